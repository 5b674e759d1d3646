// A store written by the first release (format 1), committed: every later release must read it.
// (test/fixtures/make-store-format-1.mjs wrote it; never regenerate it.)
import { cp, chmod, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { KeyNotFoundError, type Jwks } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { FileKeyProvider } from "../src/index.js";
import { scratch } from "./helpers.js";

const fixtures = join(import.meta.dirname, "fixtures");
const expected = JSON.parse(await readFile(join(fixtures, "store-format-1.json"), "utf8")) as {
  passphrase: string;
  kids: string[];
  versions: Record<string, number[]>;
  primaries: Record<string, number>;
  jwks: Jwks;
  message: string;
  signatures: Record<string, string>;
  es256Signature: string;
  aad: string;
  ciphertext: string;
  aesSecret: string;
  fingerprints: Record<string, string>;
};
const bytes = (b64url: string) => new Uint8Array(Buffer.from(b64url, "base64url"));

/** A private copy of the fixture (git keeps neither modes nor empty directories). */
async function copyOfFixture(): Promise<string> {
  const directory = join(await scratch(), "store");
  await cp(join(fixtures, "store-format-1"), directory, { recursive: true });
  const restrict = async (dir: string): Promise<void> => {
    await chmod(dir, 0o700);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await restrict(path);
      else await chmod(path, 0o600);
    }
  };
  await restrict(directory);
  return directory;
}

describe("the committed store of format 1", () => {
  it("is format 1, and opens with its passphrase", async () => {
    const header = await readFile(join(fixtures, "store-format-1", "header"), "utf8");
    expect(JSON.parse(header.split("\n")[0]!)).toMatchObject({
      format: 1,
      type: "header",
      kek: { type: "passphrase", N: 2 ** 15 },
    });
    const provider = new FileKeyProvider({
      directory: await copyOfFixture(),
      kek: { passphrase: expected.passphrase },
    });
    expect(await provider.listKeys()).toEqual(expected.kids);
    for (const kid of expected.kids) {
      expect(await provider.listVersions(kid)).toEqual(expected.versions[kid]);
      const ref = await provider.getKey(kid);
      expect([ref.version, ref.fingerprint]).toEqual([expected.primaries[kid], expected.fingerprints[kid]]);
    }
    expect(await provider.jwks({ allVersions: true })).toEqual(expected.jwks);
  });

  it("reproduces its signatures, decrypts its ciphertext and keeps its policies", async () => {
    const provider = new FileKeyProvider({
      directory: await copyOfFixture(),
      kek: { passphrase: expected.passphrase },
    });
    const message = bytes(expected.message);
    for (const [versioned, signature] of Object.entries(expected.signatures)) {
      const [kid, version] = versioned.split(".") as [string, string];
      expect(await provider.sign(kid, message, { version: Number(version) })).toEqual(bytes(signature));
    }
    expect(await provider.verify("fixture-es256-public", message, bytes(expected.es256Signature))).toBe(true);
    await expect(provider.sign("fixture-es256-public", message)).rejects.toThrow(
      /imported without its private key/,
    );
    expect(
      await provider.decrypt("fixture-aes", bytes(expected.ciphertext), { aad: bytes(expected.aad) }),
    ).toEqual(message);
    expect((await provider.getKey("fixture-aes", 1, { includeSecret: true })).material).toEqual(
      bytes(expected.aesSecret),
    );
    expect((await provider.getKey("fixture-hmac", 1, { includeSecret: true })).material).toBeUndefined();
    expect((await provider.getKey("fixture-hmac")).tags).toEqual({ team: "fixtures" });
    expect((await provider.getKey("fixture-signing", 3)).status).toBe("staged");
    await expect(provider.getKey("fixture-signing", 1)).rejects.toSatisfy((error) =>
      KeyNotFoundError.isInstance(error),
    );
  });

  it("takes new versions after the ones it has issued", async () => {
    const provider = new FileKeyProvider({
      directory: await copyOfFixture(),
      kek: { passphrase: expected.passphrase },
    });
    expect((await provider.rotateKey("fixture-signing")).version).toBe(4);
    await expect(
      provider.importKey({ alg: "ED25519" }, undefined, {
        kid: "fixture-signing",
        version: 1,
        public: new Uint8Array(32),
      }),
    ).rejects.toThrow(/destroyed/);
  });
});
