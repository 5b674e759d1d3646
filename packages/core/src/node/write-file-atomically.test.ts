import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomically } from "./write-file-atomically.js";

describe("writeFileAtomically", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "kp-atomic-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("replaces the file whole, with exactly the mode asked for, and leaves no temporary file", async () => {
    const path = join(dir, "jwks.json");
    await writeFile(path, "old");
    await writeFileAtomically(path, '{"keys":[]}\n', { mode: 0o640 });
    expect(await readFile(path, "utf8")).toBe('{"keys":[]}\n');
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    await writeFileAtomically(path, new Uint8Array([1, 2, 3]), { mode: 0o600 });
    expect([...(await readFile(path))]).toEqual([1, 2, 3]);
    expect(await readdir(dir)).toEqual(["jwks.json"]);
  });

  it("concurrent writers leave one of their files, never a mix", async () => {
    const path = join(dir, "set.json");
    const bodies = Array.from({ length: 20 }, (_, i) => `${String(i).repeat(10_000)}\n`);
    await Promise.all(bodies.map((body) => writeFileAtomically(path, body, { mode: 0o644 })));
    expect(bodies).toContain(await readFile(path, "utf8"));
    expect(await readdir(dir)).toEqual(["set.json"]);
  });

  it("names a missing directory", async () => {
    const missing = join(dir, "nope", "jwks.json");
    await expect(writeFileAtomically(missing, "x", { mode: 0o644 })).rejects.toThrow(
      `the directory ${join(dir, "nope")} does not exist`,
    );
  });
});
