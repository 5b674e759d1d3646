import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

interface Row {
  readonly kind: "time" | "count" | "growth";
  readonly operation: string;
  readonly ratio?: number;
  readonly target?: string;
  readonly met?: boolean;
}
interface Results {
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string };
  readonly settings: { readonly quick: boolean };
  readonly sections: readonly {
    readonly id: string;
    readonly rows: readonly Row[];
    readonly error?: string;
  }[];
}

/**
 * `pnpm bench` in its quickest mode, only to prove that every case runs and the report is written.
 * Timings are never asserted: they depend on the machine and its load.
 */
describe("pnpm bench --quick", () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it("runs every case and writes benchmarks.md and benchmarks.json", async () => {
    const out = await mkdtemp(join(tmpdir(), "keyprovider-bench-"));
    dirs.push(out);
    await run(process.execPath, [join(import.meta.dirname, "../run.js"), "--quick", "--out", out], {
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, FORCE_COLOR: "0" },
    });
    const results = JSON.parse(await readFile(join(out, "benchmarks.json"), "utf8")) as Results;
    expect(results.settings.quick).toBe(true);
    expect(results.machine.node).toBe(process.version);
    expect(results.sections.map((section) => section.id)).toEqual(
      expect.arrayContaining([
        "create-key",
        "jwk",
        "hkdf",
        "remote-jwks",
        "aws-kms",
        "mirrored",
        "random",
        "key-operations",
        "jwt",
        "file",
      ]),
    );
    for (const section of results.sections) {
      expect(section.error, section.id).toBeUndefined();
      expect(section.rows.length, section.id).toBeGreaterThan(0);
    }
    const markdown = await readFile(join(out, "benchmarks.md"), "utf8");
    expect(markdown).toMatch(/^\| operation +\| ours +\| baseline +\| ratio +\| target +\|$/m);
    expect(markdown).toMatch(/Node\.js v\d+/);
  }, 300_000);
});
