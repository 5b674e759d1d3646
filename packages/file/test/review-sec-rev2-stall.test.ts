// Security review (rev2): a writer that stalls for more than TEMP_GRACE_MS (60 s) between claiming
// a version's number and committing it to the version list (a VM paused, a process stopped, a slow
// fsync) has its record shredded by another writer, then commits it anyway: the version is listed
// live over a tombstone, the call that made it resolves, and every other reader fails.
//
// The stall is simulated without waiting: `link` is wrapped so that, just before the stalled writer
// claims its list entry, its record file is aged past the grace period (what 60 s of stall does to
// it) and another writer (a second provider on the directory, standing for another process) rotates.
import type * as fsPromises from "node:fs/promises";
import { utimes } from "node:fs/promises";
import { basename, join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { FileKeyProvider } from "../src/index.js";
import { freshProvider } from "./helpers.js";

let beforeListLink: (() => Promise<void>) | undefined;

vi.mock("node:fs/promises", async (importOriginal) => {
  const original = await importOriginal<typeof fsPromises>();
  return {
    ...original,
    link: async (from: string, to: string) => {
      const hook = beforeListLink;
      if (hook !== undefined && basename(to).startsWith("list.")) {
        beforeListLink = undefined;
        await hook();
      }
      return original.link(from, to);
    },
  };
});

const message = new TextEncoder().encode("stall");

describe("review-sec rev2: a writer stalled between its claim and its commit", () => {
  it("never leaves a version listed live whose record another writer shredded", async () => {
    const { provider: a, directory, kek } = await freshProvider();
    const { kid } = await a.createKey({ alg: "ED25519" });
    const b = new FileKeyProvider({ directory, kek });
    await b.listVersions(kid);
    beforeListLink = async () => {
      // A has claimed keys/<kid>/v2 and stalls for over a minute before committing it.
      const minutesAgo = new Date(Date.now() - 5 * 60_000);
      await utimes(join(directory, "keys", kid, "v2"), minutesAgo, minutesAgo);
      await b.rotateKey(kid); // B finds v2 claimed, unlisted and "abandoned": it shreds v2 and takes v3
    };
    // B committed v2 as destroyed before shredding it, so A's commit of v2 fails and A takes the
    // next free number (v4, after B's v3). The version A reports is one every process can read.
    // (As first written this test required version 2: no writer can deliver that once another has
    // destroyed the number, which it must be able to do for a claim whose writer really died.)
    const rotated = await a.rotateKey(kid);
    expect(rotated.version).not.toBe(2);
    const { version } = rotated;
    const signature = await a.sign(kid, message, { version }); // A signs with it (cached)
    // Every other process must be able to read what A reported as made.
    const other = new FileKeyProvider({ directory, kek });
    expect(await other.verify(kid, message, signature, { version })).toBe(true);
    const kids = (await other.jwks({ allVersions: true })).keys.map((jwk) => jwk.kid);
    expect(kids).toContain(`${kid}.${version}`);
    expect(kids).not.toContain(`${kid}.2`); // never listed live over its tombstone
    expect(await other.listVersions(kid)).toEqual([1, 3, version]);
  });
});
