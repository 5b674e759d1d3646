import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { FileKeyProvider, type FileKek } from "../src/index.js";

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A new empty directory under the system temp directory, removed after the test file. */
export async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "keyprovider-file-"));
  made.push(dir);
  return dir;
}

/** A store directory inside a new scratch directory (not created yet: the provider makes it). */
export async function storeDirectory(): Promise<string> {
  return join(await scratch(), "store");
}

/** A raw KEK: fast, for tests that are not about the KEK. */
export const rawKek = (): FileKek => ({ key: new Uint8Array(randomBytes(32)) });

/** A passphrase KEK at the scrypt floor (N = 2^15), so tests stay fast. */
export const passphraseKek = (passphrase: string): FileKek => ({ passphrase, scrypt: { N: 2 ** 15 } });

/** A provider on a new store with a raw KEK. */
export async function freshProvider(
  kek: FileKek = rawKek(),
): Promise<{ provider: FileKeyProvider; directory: string; kek: FileKek }> {
  const directory = await storeDirectory();
  return { provider: new FileKeyProvider({ directory, kek }), directory, kek };
}

/** What a promise rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to be rejected, but it resolved");
}

/** A predicate for `toSatisfy`: the error is of this keyprovider error class (any copy). */
export const is =
  (kind: { isInstance(value: unknown): boolean }) =>
  (error: unknown): boolean =>
    kind.isInstance(error);
