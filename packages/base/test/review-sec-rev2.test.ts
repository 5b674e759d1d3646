// Security review (rev2): a failing test for the "pooled CSPRNG for public values" of branch
// `bench` (packages/base/src/random.ts). It passes on `contract` (one CSPRNG call per nonce) and
// fails once the pool is merged: a pool filled before a V8 startup snapshot is taken (a warm-up
// that makes a kid or encrypts, as an application built into a snapshot or a single executable
// application with `useSnapshot` does) is copied into every process started from the snapshot, so
// they all hand out the same GCM nonces. Node's own entropy cache (randomUUID) is refilled per
// process; the pool is not.
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const here = import.meta.dirname;

/** The one esbuild call this test needs (esbuild as tsup, the repository's build tool, has it). */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<unknown>;
}
async function esbuild(): Promise<Esbuild> {
  const fromTsup = createRequire(createRequire(import.meta.url).resolve("tsup/package.json"));
  return (await import(fromTsup.resolve("esbuild"))) as Esbuild;
}

describe("review-sec rev2: GCM nonces from the public-random pool", () => {
  it("differ between processes started from one V8 startup snapshot", async () => {
    const dir = await mkdtemp(join(tmpdir(), "keyprovider-snapshot-"));
    try {
      const entry = join(dir, "entry.ts");
      await writeFile(
        entry,
        [
          `import { aesGcmSeal } from ${JSON.stringify(resolve(here, "../src/key-operations.ts"))};`,
          `const v8 = require("node:v8");`,
          `const key = Buffer.alloc(32, 1);`,
          `aesGcmSeal(key, new Uint8Array(1), new Uint8Array(0)); // warm-up while the snapshot is built`,
          `v8.startupSnapshot.setDeserializeMainFunction(() => {`,
          `  process.stdout.write(Buffer.from(aesGcmSeal(key, new Uint8Array(1), new Uint8Array(0)).nonce).toString("hex"));`,
          `});`,
        ].join("\n"),
      );
      const bundle = join(dir, "entry.cjs");
      await (
        await esbuild()
      ).build({
        entryPoints: [entry],
        bundle: true,
        platform: "node",
        format: "cjs",
        outfile: bundle,
        logLevel: "error",
        alias: { "@keyprovider/core": resolve(here, "../../core/src/index.ts") },
      });
      const blob = join(dir, "snapshot.blob");
      execFileSync(process.execPath, ["--snapshot-blob", blob, "--build-snapshot", bundle], { cwd: dir });
      const nonces = [1, 2, 3].map(() =>
        execFileSync(process.execPath, ["--snapshot-blob", blob], { cwd: dir, encoding: "utf8" }),
      );
      for (const nonce of nonces) expect(nonce).toMatch(/^[0-9a-f]{24}$/);
      // Three processes, one key: a repeated nonce gives away the XOR of the plaintexts and GHASH's key.
      expect(new Set(nonces).size).toBe(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
