// Every file of a store is authenticated and bound to its place: whatever is edited, truncated or
// moved is refused with a typed error naming the file, and never yields a different key.
import { copyFile, open, readFile, readdir, rename, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  KeyNotFoundError,
  KeyProviderError,
  StoreIntegrityError,
  StoreUnlockError,
  type PublicJwk,
} from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { FileKeyProvider, type FileKek } from "../src/index.js";
import { freshProvider, rejection } from "./helpers.js";

const message = new TextEncoder().encode("integrity");

/** A store with two Ed25519 kids of two versions each, one destroyed; what each version publishes. */
async function sampleStore() {
  const { provider, directory, kek } = await freshProvider();
  const a = await provider.createKey({ alg: "ED25519" });
  const b = await provider.createKey({ alg: "ED25519" });
  for (const { kid } of [a, b]) await provider.rotateKey(kid);
  await provider.rotateKey(a.kid);
  await provider.destroyKey(a.kid, 2);
  const jwks = new Map<string, PublicJwk>();
  for (const jwk of (await provider.jwks({ allVersions: true })).keys) jwks.set(jwk.kid, jwk);
  return { provider, directory, kek, a: a.kid, b: b.kid, jwks };
}

/** Read every live version through a fresh provider: each either publishes its own JWK or fails typed. */
async function readEverything(directory: string, kek: FileKek, jwks: Map<string, PublicJwk>) {
  const provider = new FileKeyProvider({ directory, kek });
  const errors: KeyProviderError[] = [];
  for (const [versioned, expected] of jwks) {
    const [kid, version] = versioned.split(".") as [string, string];
    try {
      expect(await provider.getPublicJwk(kid, Number(version))).toEqual(expected);
      const signature = await provider.sign(kid, message, { version: Number(version) });
      expect(await provider.verify(kid, message, signature, { version: Number(version) })).toBe(true);
    } catch (error) {
      if (!KeyProviderError.isInstance(error)) throw error;
      errors.push(error);
    }
  }
  return errors;
}

/** The files of a store that hold something (superseded version lists are emptied). */
async function storeFiles(directory: string): Promise<string[]> {
  const files = ["header"];
  for (const kid of await readdir(join(directory, "keys"))) {
    for (const name of await readdir(join(directory, "keys", kid))) {
      if ((await stat(join(directory, "keys", kid, name))).size > 0) files.push(`keys/${kid}/${name}`);
    }
  }
  return files;
}

/** The sequence number of a kid's newest version list. */
async function newestList(directory: string, kid: string): Promise<number> {
  const seqs = (await readdir(join(directory, "keys", kid)))
    .filter((n) => n.startsWith("list."))
    .map((n) => Number(n.slice(5)));
  return Math.max(...seqs);
}

describe("integrity of the files at rest", () => {
  it("one byte flipped anywhere in any file: a typed error naming the file, never a different key", async () => {
    const { directory, kek, jwks, a } = await sampleStore();
    const files = await storeFiles(directory);
    expect(files.filter((name) => name.includes("/v"))).toHaveLength(5);
    /** What reading the file through a fresh provider gives: its JWK, or the error. */
    const readBack = async (name: string): Promise<unknown> => {
      const provider = new FileKeyProvider({ directory, kek });
      const [, kid, entry] = name.split("/") as [string, string | undefined, string | undefined];
      try {
        if (kid === undefined) return await provider.listKeys();
        if (entry!.startsWith("list.")) return await provider.listVersions(kid);
        return await provider.getPublicJwk(kid, Number(entry!.slice(1)));
      } catch (error) {
        return error;
      }
    };
    // Every byte of the header, of one record and of one version list; 40 bytes spread over each
    // other file. Bytes are flipped in place (no truncation, which ext4 turns into a flush).
    const exhaustive = new Set([
      "header",
      files.find((name) => name.endsWith("/v1"))!,
      files.find((name) => name.includes("/list."))!,
    ]);
    let flips = 0;
    for (const name of files) {
      const handle = await open(join(directory, name), "r+");
      const { size } = await handle.stat();
      const tombstone = name === `keys/${a}/v2`;
      const positions = exhaustive.has(name)
        ? Array.from({ length: size }, (_, i) => i)
        : Array.from({ length: 40 }, (_, i) => Math.floor((i * size) / 40));
      for (const i of positions) {
        const byte = Buffer.alloc(1);
        await handle.read(byte, 0, 1, i);
        const original = byte[0]!;
        byte[0] = original ^ [0x01, 0x20, 0x80][i % 3]!;
        await handle.write(byte, 0, 1, i);
        flips += 1;
        const result = await readBack(name);
        const where = `byte ${i} of ${name}`;
        if (name === "header") {
          expect(StoreIntegrityError.isInstance(result) || StoreUnlockError.isInstance(result), where).toBe(
            true,
          );
        } else if (tombstone) {
          // A destroyed version is never read: it stays not found, whatever its file holds.
          expect(KeyNotFoundError.isInstance(result), where).toBe(true);
        } else {
          expect(StoreIntegrityError.isInstance(result), where).toBe(true);
          expect((result as StoreIntegrityError).record, where).toBe(name);
        }
        byte[0] = original;
        await handle.write(byte, 0, 1, i);
      }
      await handle.close();
    }
    expect(flips).toBeGreaterThan(1000);
    expect(await readEverything(directory, kek, jwks)).toEqual([]);
  }, 120_000);

  it("truncated files are refused", async () => {
    const { directory, kek, jwks, b } = await sampleStore();
    const path = join(directory, "keys", b, "v1");
    const original = await readFile(path);
    for (const length of [0, 1, 40, original.length - 30, original.length - 1]) {
      await truncate(path, length);
      const errors = await readEverything(directory, kek, jwks);
      expect(errors.map((error) => [error.code, (error as StoreIntegrityError).record])).toEqual([
        ["ERR_STORE_INTEGRITY", `keys/${b}/v1`],
      ]);
      await writeFile(path, original);
    }
  });

  it("records swapped between kids, or between versions, are refused", async () => {
    const { directory, kek, jwks, a, b } = await sampleStore();
    const keys = join(directory, "keys");
    await copyFile(join(keys, b, "v1"), join(keys, a, "v1"));
    let errors = await readEverything(directory, kek, jwks);
    expect(errors.map((error) => error.message)).toEqual([
      expect.stringMatching(/belongs to another kid or version/),
    ]);
    expect((errors[0] as StoreIntegrityError).record).toBe(`keys/${a}/v1`);
    // Within one kid: v1 and v2 exchanged.
    const { directory: other, kek: otherKek, jwks: otherJwks, b: kid } = await sampleStore();
    const dir = join(other, "keys", kid);
    await rename(join(dir, "v1"), join(dir, "swap"));
    await rename(join(dir, "v2"), join(dir, "v1"));
    await rename(join(dir, "swap"), join(dir, "v2"));
    errors = await readEverything(other, otherKek, otherJwks);
    expect(errors.map((error) => (error as StoreIntegrityError).record).sort()).toEqual([
      `keys/${kid}/v1`,
      `keys/${kid}/v2`,
    ]);
  });

  it("a version list moved to another kid or renumbered is refused", async () => {
    const { directory, kek, jwks, a, b } = await sampleStore();
    const keys = join(directory, "keys");
    const listA = `list.${await newestList(directory, a)}`;
    // A's list, given the next name in B's directory: B reads it as its newest.
    const moved = `list.${(await newestList(directory, b)) + 1}`;
    await copyFile(join(keys, a, listA), join(keys, b, moved));
    const errors = await readEverything(directory, kek, jwks);
    expect(new Set(errors.map((error) => (error as StoreIntegrityError).record))).toEqual(
      new Set([`keys/${b}/${moved}`]),
    );
    expect(errors[0]!.message).toMatch(/is not the version list of kid/);
    // A's list under a later number of its own.
    const renumbered = `list.${(await newestList(directory, a)) + 7}`;
    await copyFile(join(keys, a, listA), join(keys, a, renumbered));
    const again = await readEverything(directory, kek, jwks);
    expect(
      again.some(
        (error) =>
          (error as StoreIntegrityError).record === `keys/${a}/${renumbered}` &&
          /is not entry/.test(error.message),
      ),
    ).toBe(true);
  });

  it("a record copied back over its tombstone stays destroyed (the authenticated list says so), and its material goes", async () => {
    const { provider, directory, kek } = await freshProvider();
    const { kid } = await provider.createKey({ alg: "ED25519" });
    await provider.rotateKey(kid);
    const v1 = join(directory, "keys", kid, "v1");
    const saved = await readFile(v1);
    const jwk = await provider.getPublicJwk(kid, 1);
    await provider.destroyKey(kid, 1);
    await writeFile(v1, saved, { mode: 0o600 });
    for (const reader of [provider, new FileKeyProvider({ directory, kek })]) {
      expect(await reader.listVersions(kid)).toEqual([2]);
      await expect(reader.getPublicJwk(kid, 1)).rejects.toSatisfy((error) =>
        KeyNotFoundError.isInstance(error),
      );
      expect((await reader.jwks({ allVersions: true })).keys.map((key) => key.kid)).toEqual([`${kid}.2`]);
      expect((await reader.jwks({ allVersions: true })).keys).not.toContainEqual(jwk);
    }
    // The next destroy of the kid finds it and puts the tombstone back.
    await provider.rotateKey(kid);
    await provider.destroyKey(kid, 3);
    expect((await readFile(v1, "utf8")).split("\n")[0]).toContain('"type":"tombstone"');
  });

  it("a listed record that disappeared is refused, not treated as destroyed", async () => {
    const { provider, directory, kek } = await freshProvider();
    const { kid } = await provider.createKey({ alg: "ED25519" });
    await rm(join(directory, "keys", kid, "v1"));
    const error = await rejection(new FileKeyProvider({ directory, kek }).getKey(kid));
    expect(StoreIntegrityError.isInstance(error) && error.message).toMatch(
      /is missing, but the version list says/,
    );
  });

  it("a file of a newer format says to upgrade", async () => {
    const { provider, directory, kek } = await freshProvider();
    const { kid } = await provider.createKey({ alg: "ED25519" });
    const path = join(directory, "keys", kid, "v1");
    await writeFile(path, (await readFile(path, "utf8")).replace('"format":1', '"format":2'));
    const error = await rejection(new FileKeyProvider({ directory, kek }).getKey(kid));
    expect(StoreIntegrityError.isInstance(error) && error.message).toMatch(
      /store format 2 by a newer release.*upgrade/,
    );
  });
});
