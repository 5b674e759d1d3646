import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { main } from "./main.js";

describe("quickstart (pnpm demo)", () => {
  it("walks through the whole system, each step checked", async () => {
    const lines: string[] = [];
    const results = await main((line) => lines.push(line));
    expect(results.filter((result) => !result.ok)).toEqual([]);
    expect(results.map((result) => result.name)).toEqual([
      "registry",
      "keys that never leave the provider",
      "signJwt",
      "JWKS over HTTP",
      "remote verification",
      "rotation without breaking verifiers",
      "failover",
      "AWS KMS",
      "keyprovider from the shell",
      "envelope encryption",
      "keys survive a restart",
      "teardown",
    ]);
    expect(lines.at(-1)).toBe(`all ${results.length} steps checked out`);
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^✓ .+: .+ \(\d+ ms\)$/);
  }, 120_000);

  it("runs as `pnpm demo` runs it: the built script in plain Node, exit code 0", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(import.meta.dirname, "../dist/main.js")],
      {
        env: { ...process.env, KMS_ENDPOINT: "" },
      },
    );
    expect(stdout).toMatch(/all \d+ steps checked out\n$/);
  }, 120_000);

  it("exits 1, naming the step, when a step does not check out (here: KMS_ENDPOINT points nowhere)", async () => {
    const failure = await promisify(execFile)(
      process.execPath,
      [join(import.meta.dirname, "../dist/main.js")],
      {
        env: { ...process.env, KMS_ENDPOINT: "http://127.0.0.1:9", AWS_MAX_ATTEMPTS: "1" },
      },
    ).catch((error: unknown) => error as { code: number; stdout: string });
    expect("code" in failure ? failure.code : 0).toBe(1);
    expect(failure.stdout).toMatch(/^✗ AWS KMS: /m);
    expect(failure.stdout).toMatch(/^✓ envelope encryption: /m);
    expect(failure.stdout).toMatch(/\d+ of \d+ steps failed\n$/);
  }, 120_000);
});
