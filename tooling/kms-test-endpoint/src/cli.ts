#!/usr/bin/env node
// Starts the KMS test endpoint and prints its URL on stdout, then runs until SIGINT or SIGTERM:
//   node tooling/kms-test-endpoint/dist/cli.js [--port N] [--region R] [--account-id 000000000000]
import { parseArgs } from "node:util";
import { startKmsTestEndpoint } from "./start-kms-test-endpoint.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    region: { type: "string", default: "us-east-1" },
    "account-id": { type: "string", default: "000000000000" },
  },
  strict: true,
});

const port = Number(values.port);
const kms = await startKmsTestEndpoint({ port, region: values.region, accountId: values["account-id"] });
process.stdout.write(`${kms.endpoint}\n`);

const stop = () => {
  kms.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
