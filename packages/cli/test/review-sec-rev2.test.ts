// Security review (rev2): failing tests for defects found in the keyprovider command. Each test
// states the attack or the mistake, and fails on the code as reviewed.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
// Not a dependency of the cli package: the file provider from its workspace source, as the alias would give it.
import file from "../../file/src/index.js";
import { afterAll, describe, expect, it } from "vitest";
import { runKeyprovider } from "../src/index.js";

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function scratch(): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), "keyprovider-cli-review-")));
  made.push(dir);
  return dir;
}

/** Run the command as the bin does from `cwd` (the process's directory too), with the file provider. */
async function run(args: readonly string[], cwd: string, env: Record<string, string>) {
  let stdout = "";
  let stderr = "";
  const previous = process.cwd();
  process.chdir(cwd); // the bin's process.cwd() is where the shell is
  try {
    const status = await runKeyprovider(args, {
      stdout: { write: (text) => (stdout += text) },
      stderr: { write: (text) => (stderr += text) },
      stdin: Readable.from([]),
      cwd,
      env,
      providers: [file],
    });
    return { status, stdout, stderr };
  } finally {
    process.chdir(previous);
  }
}

describe("review-sec rev2: the store a config file names", () => {
  it("a relative directory in keyprovider.config.json names one store, whichever directory below the config the command runs in", async () => {
    const app = await scratch();
    const env = { KEK: "ab".repeat(32) };
    await writeFile(
      join(app, "keyprovider.config.json"),
      JSON.stringify({ provider: "file", options: { directory: "keys", kek: { key: { $env: "KEK" } } } }),
    );
    const created = await run(["create", "--alg", "ES256", "--json"], app, env);
    expect(created.status).toBe(0);
    const { kid } = JSON.parse(created.stdout) as { kid: string };

    // The operator runs the publishing step from the web root below the application, as the
    // config is found upward from there.
    const www = join(app, "public");
    await mkdir(www);
    const published = await run(["jwks", "--out", "jwks.json", "--json"], www, env);
    expect(published.status).toBe(0);
    // The set must hold the key; instead a second, empty store is made in public/keys (inside the
    // web root) and an empty JWK Set is written over the served one.
    expect((JSON.parse(published.stdout) as { keys: string[] }).keys).toEqual([`${kid}.1`]);
    expect(existsSync(join(www, "keys"))).toBe(false);
  });
});
