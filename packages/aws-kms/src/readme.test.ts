import { describeReadme } from "@keyprovider/repo-tools/readme";
import { afterAll, beforeAll, inject } from "vitest";

// The README's examples are production code: region and aliases, credentials and endpoint from the
// AWS SDK's own chain. Here that chain points at the integration tests' KMS API (KMS_ENDPOINT,
// LocalStack or the KMS test endpoint), through the SDK's AWS_ENDPOINT_URL_KMS.
const target = inject("kms");
const saved = { ...process.env };
beforeAll(() => {
  if (target === null) throw new Error("no KMS API for the README examples (see test/global-setup.ts)");
  process.env["AWS_ENDPOINT_URL_KMS"] = target.endpoint;
  process.env["AWS_REGION"] = target.region;
  if (target.kind !== "KMS_ENDPOINT") {
    process.env["AWS_ACCESS_KEY_ID"] = "test";
    process.env["AWS_SECRET_ACCESS_KEY"] = "test";
  }
});
afterAll(() => {
  for (const name of ["AWS_ENDPOINT_URL_KMS", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describeReadme(import.meta.url);
