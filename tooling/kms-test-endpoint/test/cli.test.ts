import { CreateKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const packageDir = join(import.meta.dirname, "..");
const cli = join(packageDir, "dist/cli.js");

// The built entry points are what plain Node scripts (the demo, a vitest global setup) use.
describe("the built package (dist/)", () => {
  beforeAll(() => {
    if (!existsSync(cli)) {
      expect.fail(
        "dist/ is missing: run `pnpm exec turbo run build --filter=@keyprovider/kms-test-endpoint` first",
      );
    }
  });

  it("node dist/cli.js prints the endpoint URL, serves KMS, and stops on SIGTERM", async () => {
    const child = spawn(process.execPath, [cli, "--port", "0", "--region", "eu-west-1"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), "line")) as [string];
      expect(line).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const client = new KMSClient({
        endpoint: line,
        region: "eu-west-1",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      });
      const { KeyMetadata } = await client.send(new CreateKeyCommand({}));
      expect(KeyMetadata!.Arn).toMatch(/^arn:aws:kms:eu-west-1:000000000000:key\//);
      client.destroy();
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
  });

  it('plain Node imports "@keyprovider/kms-test-endpoint/dist"', async () => {
    const script = [
      'const { startKmsTestEndpoint } = await import("@keyprovider/kms-test-endpoint/dist");',
      "const kms = await startKmsTestEndpoint();",
      "console.log(kms.endpoint);",
      "await kms.close();",
    ].join("\n");
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      cwd: packageDir,
    });
    expect(stdout.trim()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
