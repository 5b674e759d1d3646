import {
  InvalidKeyMaterialError,
  NotSupportedError,
  UnsupportedAlgorithmError,
  createRegistry,
  type KeySpec,
} from "@keyprovider/core";
import { describeKeyProvider } from "@keyprovider/testkit";
import { describe, expect, it } from "vitest";
import inmemory, { InMemoryKeyProvider } from "./index.js";

const aes: KeySpec = { alg: "AES256_GCM", exportPolicy: "secret_when_allowed" };
const hmac: KeySpec = { alg: "HMAC_SHA256", exportPolicy: "secret_when_allowed" };
const opaque: KeySpec = {
  klass: "opaque",
  alg: "ED25519",
  uses: ["sign"],
  exportPolicy: "secret_when_allowed",
};
const pattern = (length: number, seed: number) =>
  new Uint8Array(length).map((_, i) => (i * 31 + seed) & 0xff);

describeKeyProvider("InMemoryKeyProvider", () => new InMemoryKeyProvider(), {
  keys: [aes, hmac, opaque],
  imports: [
    { name: "raw AES256_GCM key", spec: aes, material: pattern(32, 1) },
    { name: "raw HMAC_SHA256 key of 48 bytes", spec: hmac, material: pattern(48, 2) },
    {
      name: "oct JWK for AES256_GCM",
      spec: aes,
      material: new TextEncoder().encode(
        JSON.stringify({ kty: "oct", k: Buffer.from(pattern(32, 3)).toString("base64url") }),
      ),
      secrets: [pattern(32, 3)],
    },
    {
      name: "opaque blob with a public part",
      spec: opaque,
      material: pattern(100, 4),
      public: new Uint8Array(40).fill(0x5a),
    },
    { name: "opaque public part alone", spec: opaque, public: new Uint8Array(40).fill(0xa5) },
  ],
  invalidImports: [
    { name: "a 31-byte AES key", spec: aes, material: pattern(31, 6) },
    { name: "a 16-byte HMAC key", spec: hmac, material: pattern(16, 7) },
    { name: "a public part on an AES key", spec: aes, material: pattern(32, 8), public: pattern(32, 9) },
  ],
  unsupported: [{ alg: "ED25519" }, { alg: "RSA_PSS_SHA256", sizeBits: 2048 }, { alg: "X25519" }],
});

describe("InMemoryKeyProvider", () => {
  it("runs the seed README walk-through", async () => {
    const provider = new InMemoryKeyProvider();
    const spec: KeySpec = { ...aes, label: "session-key" };

    const ref = await provider.createKey(spec);
    expect(ref.kid).toMatch(/^[0-9a-f]{32}$/);
    expect(ref.version).toBe(1);
    expect(ref.material).toHaveLength(32);

    const ref2 = await provider.rotateKey(ref.kid);
    expect(ref2.version).toBe(2);

    const versions = await provider.listVersions(ref.kid);
    expect(versions).toEqual([1, 2]);

    const imported = await provider.importKey(spec, new Uint8Array(32));
    expect(imported.version).toBe(1);
    expect(imported.material).toEqual(new Uint8Array(32));

    const current = await provider.getKey(ref.kid);
    expect(current.version).toBe(Math.max(...versions));

    expect(await provider.destroyKey(ref.kid, 1)).toBe(true);
    expect(await provider.listVersions(ref.kid)).toEqual([2]);
    expect(await provider.destroyKey(imported.kid)).toBe(true);

    const rand = await provider.randomBytes(16);
    const okm = await provider.hkdf(new TextEncoder().encode("ikm"), {
      salt: new TextEncoder().encode("salt"),
      info: new TextEncoder().encode("ctx"),
      length: 32,
    });
    expect([rand.length, okm.length]).toEqual([16, 32]);
  });

  it("keeps NONE keys usable: rotation still works and material never leaves", async () => {
    const provider = new InMemoryKeyProvider();
    const ref = await provider.createKey({
      ...aes,
      exportPolicy: "none",
      label: "session-key",
      tags: { scope: "unit" },
    });
    expect(ref.material).toBeUndefined();
    expect(ref.tags).toEqual({ scope: "unit", label: "session-key" });
    const rotated = await provider.rotateKey(ref.kid);
    expect(rotated.fingerprint).not.toBe(ref.fingerprint);
    expect((await provider.getKey(ref.kid, 2, { includeSecret: true })).material).toBeUndefined();
  });

  it("rotates an opaque key to fresh random bytes of the same length, without the old public part", async () => {
    const provider = new InMemoryKeyProvider();
    const imported = await provider.importKey(opaque, pattern(100, 9), { public: pattern(40, 1) });
    expect(imported.public).toEqual(pattern(40, 1));
    const rotated = await provider.rotateKey(imported.kid);
    expect(rotated.material).toHaveLength(100);
    expect(rotated.material).not.toEqual(pattern(100, 9));
    expect(rotated.public).toBeUndefined();
  });

  it("imports a public-only opaque blob", async () => {
    const provider = new InMemoryKeyProvider();
    const ref = await provider.importKey(opaque, undefined, { public: pattern(32, 2) });
    expect(ref.public).toEqual(pattern(32, 2));
    expect(ref.material).toBeUndefined();
  });

  it("refuses a public part on a symmetric key, and symmetric imports without material", async () => {
    const provider = new InMemoryKeyProvider();
    await expect(provider.importKey(aes, pattern(32, 1), { public: pattern(32, 2) })).rejects.toThrow(
      InvalidKeyMaterialError,
    );
    await expect(provider.importKey(aes, undefined, { public: pattern(32, 2) })).rejects.toThrow(
      "AES256_GCM keys are symmetric: import the secret as material, without options.public",
    );
    await expect(provider.importKey(opaque, new Uint8Array(0))).rejects.toThrow(
      "Opaque material must be 1 to 65536 bytes, got 0",
    );
  });

  it("says which provider to use for key pairs", async () => {
    const provider = new InMemoryKeyProvider();
    const error = await provider
      .createKey({ klass: "asym", alg: "ED25519", uses: ["sign"], exportPolicy: "none" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedAlgorithmError);
    expect((error as Error).message).toBe(
      "InMemoryKeyProvider does not support asym ED25519 keys; it supports classes sym, opaque and algorithms AES256_GCM, HMAC_SHA256",
    );
  });

  it("refuses JWK export with NotSupportedError, even for unknown kids", async () => {
    const provider = new InMemoryKeyProvider();
    await expect(provider.getPublicJwk("missing")).rejects.toThrow(NotSupportedError);
    await expect(provider.jwks()).rejects.toThrow("InMemoryKeyProvider cannot publish JWKs");
  });

  it("refuses unknown options", () => {
    expect(() => new InMemoryKeyProvider({ persist: true } as never)).toThrow(TypeError);
  });

  it("is created by the registry by name and alias", async () => {
    const registry = createRegistry({ providers: [inmemory] });
    expect(await registry.create("inmemory")).toBeInstanceOf(InMemoryKeyProvider);
    expect(await registry.create("InMemoryKeyProvider", {})).toBeInstanceOf(InMemoryKeyProvider);
  });
});
