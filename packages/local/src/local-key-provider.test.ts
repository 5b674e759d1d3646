import { readFileSync } from "node:fs";
import {
  InvalidKeyMaterialError,
  InvalidKeySpecError,
  KeyAlg,
  NotSupportedError,
  createRegistry,
  type KeySpec,
} from "@keyprovider/core";
import { describeKeyProvider, findSecretLeaks } from "@keyprovider/testkit";
import { describe, expect, it } from "vitest";
import {
  anySize,
  importFixtures,
  invalidFixtures,
  keys,
  pkcs8Pem,
  specs,
  spkiPem,
  text,
} from "../test/fixtures.js";
import local, { LocalKeyProvider } from "./index.js";

describeKeyProvider("LocalKeyProvider", () => new LocalKeyProvider(), {
  keys: [
    { alg: "ED25519" },
    { alg: "ED25519", encoding: "DER" },
    { alg: "ED25519", publicFormat: "Raw", privateFormat: "Raw" },
    { alg: "X25519" },
    { alg: "X25519", publicFormat: "Raw", privateFormat: "Raw" },
    { alg: "ES256" },
    { alg: "ES384" },
    { alg: "ES512", encoding: "DER" },
    { alg: "PS256", sizeBits: 2048 },
    { alg: "PS384", sizeBits: 2048 },
    { alg: "PS512", sizeBits: 2048 },
    { alg: "RS256", sizeBits: 2048 },
    { alg: "RS384", sizeBits: 2048 },
    { alg: "RS512", sizeBits: 2048 },
    { alg: "RSA-OAEP-256", sizeBits: 2048 },
    { alg: "AES256_GCM" },
    { alg: "HMAC_SHA256" },
  ],
  imports: importFixtures,
  invalidImports: invalidFixtures,
  unsupported: [{ klass: "opaque", alg: "ED25519", uses: [] }],
});

const vectors = JSON.parse(
  readFileSync(new URL("../../../vectors/jwk-thumbprints.json", import.meta.url), "utf8"),
) as {
  cases: { name: string; jwk: Record<string, string>; thumbprint: string }[];
  import: { d: string; x: string };
};
const fromB64url = (s: string) => new Uint8Array(Buffer.from(s, "base64url"));
const modulusBits = (jwk: { n?: string }) => Buffer.from(jwk.n!, "base64url").length * 8;

describe("LocalKeyProvider", () => {
  it("declares every algorithm of keyprovider, and the key operations", () => {
    const supported = new LocalKeyProvider().supports();
    expect([...supported.algs].sort()).toEqual(Object.values(KeyAlg).sort());
    expect(supported.features).toEqual(
      expect.arrayContaining(["sign", "encrypt", "derive", "stage", "export", "jwks", "import"]),
    );
  });

  describe("RSA sizes", () => {
    it("defaults to 3072 bits", async () => {
      const provider = new LocalKeyProvider();
      const defaulted = await provider.createKey(anySize.oaep);
      expect(modulusBits(await provider.getPublicJwk(defaulted.kid))).toBe(3072);
      expect(defaulted.spec.sizeBits).toBe(3072);
    });

    it.each([1024, 2047, 8192])("refuses %i bits with InvalidKeySpecError", async (sizeBits) => {
      const error = await new LocalKeyProvider()
        .createKey({ ...specs.pss, sizeBits } as KeySpec)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidKeySpecError);
      expect((error as InvalidKeySpecError).field).toBe("sizeBits");
      expect((error as Error).message).toContain("2048, 3072 or 4096 bits");
    });

    it("an imported key's size is kept by rotation (the suite creates 2048-bit keys of every RSA algorithm)", async () => {
      const provider = new LocalKeyProvider();
      const imported = await provider.importKey(anySize.rs256, pkcs8Pem(keys.rsa.privateKey));
      expect(imported.spec.sizeBits).toBe(2048);
      await provider.rotateKey(imported.kid);
      expect(modulusBits(await provider.getPublicJwk(imported.kid))).toBe(2048);
    });

    it("concurrent rotations of an RSA key (slow generation) give distinct consecutive versions", async () => {
      const provider = new LocalKeyProvider();
      const { kid } = await provider.importKey(specs.pss, pkcs8Pem(keys.rsa.privateKey));
      const rotated = await Promise.all(Array.from({ length: 3 }, () => provider.rotateKey(kid)));
      expect(rotated.map((ref) => ref.version).sort((a, b) => a - b)).toEqual([2, 3, 4]);
      expect(new Set(rotated.map((ref) => ref.fingerprint)).size).toBe(3);
      expect(await provider.listKeys()).toEqual([kid]);
    });
  });

  describe("encodings", () => {
    const pem = (b: Uint8Array | undefined) => Buffer.from(b!).toString("utf8");

    it("returns SPKI PEM and PKCS#8 PEM by default", async () => {
      const ref = await new LocalKeyProvider().createKey(specs.p384);
      expect(pem(ref.public)).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      expect(pem(ref.material)).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    });

    it("returns DER when asked", async () => {
      const ref = await new LocalKeyProvider().createKey({ ...specs.p521, encoding: "DER" });
      expect(ref.public![0]).toBe(0x30);
      expect(ref.material![0]).toBe(0x30);
    });

    it("returns raw 32-byte Ed25519 and X25519 keys when asked, and rotation keeps the format", async () => {
      const provider = new LocalKeyProvider();
      for (const spec of [specs.ed25519, specs.x25519]) {
        const ref = await provider.createKey({ ...spec, publicFormat: "Raw", privateFormat: "Raw" });
        expect([ref.public!.length, ref.material!.length]).toEqual([32, 32]);
        const jwk = await provider.getPublicJwk(ref.kid);
        expect(fromB64url(jwk.x!)).toEqual(ref.public);
        const rotated = await provider.rotateKey(ref.kid);
        expect([rotated.public!.length, rotated.material!.length]).toEqual([32, 32]);
      }
    });

    it("keeps DER through rotation", async () => {
      const provider = new LocalKeyProvider();
      const ref = await provider.createKey({ ...specs.ed25519, encoding: "DER" });
      const rotated = await provider.rotateKey(ref.kid);
      expect(rotated.public![0]).toBe(0x30);
      expect(rotated.material![0]).toBe(0x30);
    });

    it("encodes an imported key per the spec, not per the input", async () => {
      const provider = new LocalKeyProvider();
      const ref = await provider.importKey(
        { ...specs.ed25519, encoding: "DER" },
        pkcs8Pem(keys.ed25519.privateKey),
      );
      expect(new Uint8Array(ref.material!)).toEqual(
        new Uint8Array(keys.ed25519.privateKey.export({ type: "pkcs8", format: "der" })),
      );
    });
  });

  describe("RFC vectors", () => {
    it.each(vectors.cases)(
      "$name: an imported public JWK has the RFC 7638 thumbprint as its fingerprint",
      async ({ jwk, thumbprint }) => {
        const spec: KeySpec = jwk.kty === "RSA" ? anySize.rs256 : specs.ed25519;
        const ref = await new LocalKeyProvider().importKey(spec, undefined, {
          public: text(JSON.stringify(jwk)),
        });
        expect(ref.fingerprint).toBe(thumbprint);
        const asObject = await new LocalKeyProvider().importKey(spec, undefined, { public: jwk as never });
        expect(asObject.fingerprint).toBe(thumbprint);
      },
    );

    it("importing the RFC 8037 Ed25519 seed yields its x", async () => {
      const provider = new LocalKeyProvider();
      const ref = await provider.importKey(specs.ed25519, fromB64url(vectors.import.d));
      expect((await provider.getPublicJwk(ref.kid)).x).toBe(vectors.import.x);
      expect(ref.fingerprint).toBe(vectors.cases[1]!.thumbprint);
    });
  });

  describe("imports", () => {
    it("gives verification-only keys for a public key alone", async () => {
      const provider = new LocalKeyProvider();
      const ref = await provider.importKey(specs.ed25519, undefined, {
        public: spkiPem(keys.ed25519.publicKey),
      });
      expect(ref.material).toBeUndefined();
      expect((await provider.getKey(ref.kid, undefined, { includeSecret: true })).material).toBeUndefined();
      expect((await provider.getPublicJwk(ref.kid)).x).toBe(
        keys.ed25519.publicKey.export({ format: "jwk" }).x,
      );
    });

    it("adds an imported version to an existing kid, refusing another algorithm", async () => {
      const provider = new LocalKeyProvider();
      const created = await provider.createKey(specs.ed25519);
      const next = await provider.importKey(specs.ed25519, pkcs8Pem(keys.ed25519.privateKey), {
        kid: created.kid,
      });
      expect(next.version).toBe(2);
      expect((await provider.getPublicJwk(created.kid)).kid).toBe(`${created.kid}.2`);
      await expect(
        provider.importKey(specs.p256, pkcs8Pem(keys.p256.privateKey), { kid: created.kid }),
      ).rejects.toThrow(/holds asym ED25519 keys; a new version must be the same/);
    });

    it.each(invalidFixtures.map((fixture) => [fixture.name, fixture] as const))(
      "refuses %s with InvalidKeyMaterialError, without its secrets in the error",
      async (_name, fixture) => {
        const error = await new LocalKeyProvider()
          .importKey(
            fixture.spec,
            fixture.material,
            fixture.public === undefined ? undefined : { public: fixture.public },
          )
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidKeyMaterialError);
        expect((error as Error).message.length).toBeGreaterThan(20);
        const secrets = fixture.secrets ?? (fixture.material instanceof Uint8Array ? [fixture.material] : []);
        expect(findSecretLeaks([error], secrets)).toEqual([]);
      },
    );

    it("explains each refusal", async () => {
      const messages = await Promise.all(
        invalidFixtures.map((fixture) =>
          new LocalKeyProvider()
            .importKey(
              fixture.spec,
              fixture.material,
              fixture.public === undefined ? undefined : { public: fixture.public },
            )
            .then(
              () => "accepted",
              (e: unknown) => (e as Error).message,
            ),
        ),
      );
      expect(messages).toEqual([
        "options.public does not belong to the private key in material; they are not a key pair",
        "The key is a ed25519 key, not a ECDSA_P256_SHA256 key",
        "The key is an EC secp384r1 key, not a ECDSA_P256_SHA256 key",
        "RSA keys must be 2048, 3072 or 4096 bits, got 1024",
        "The key is 2048 bits but the spec says sizeBits 4096; omit sizeBits or make them agree",
        "The key is an RSASSA-PSS-restricted RSA key (use an rsaEncryption key), not a RSA_PSS_SHA256 key",
        "Encrypted private keys are not accepted; decrypt the PEM before importing it",
        "material holds a public key; import it as options.public (material undefined) for a verification-only key",
        "options.public holds a private key; pass it as material (the public key is derived from it)",
        'The JWK\'s public member "x" does not belong to its private key',
        'The JWK is for alg "RS256", which is not RSA_PSS_SHA256; allowed: PS256',
        "The bytes are not a ED25519 private key as PEM, PKCS#8 DER, JWK JSON or a raw 32-byte seed",
        "AES256_GCM keys are symmetric: import the secret as material, without options.public",
        "The X25519 public key is a low-order point: every agreement with it gives the all-zero secret; it is refused",
      ]);
    });

    it("refuses a rotation of a verification-only key, pointing to importKey", async () => {
      const provider = new LocalKeyProvider();
      const ref = await provider.importKey(specs.ed25519, undefined, {
        public: spkiPem(keys.ed25519.publicKey),
      });
      await expect(provider.rotateKey(ref.kid)).rejects.toThrow(NotSupportedError);
      await expect(provider.rotateKey(ref.kid)).rejects.toThrow(/import it with importKey/);
    });
  });

  describe("JWKS", () => {
    it("publishes keys of every encoding and algorithm; one DER or raw key does not break the set", async () => {
      const provider = new LocalKeyProvider();
      const created = await Promise.all([
        provider.createKey(specs.ed25519),
        provider.createKey({ ...specs.ed25519, encoding: "DER" }),
        provider.createKey({ ...specs.x25519, publicFormat: "Raw", privateFormat: "Raw" }),
        provider.createKey(specs.p256),
        provider.createKey(specs.p384),
        provider.createKey({ ...specs.p521, encoding: "DER" }),
        provider.importKey(specs.rs512, pkcs8Pem(keys.rsa.privateKey)),
        provider.importKey(specs.pss384, pkcs8Pem(keys.rsa.privateKey)),
        provider.createKey(specs.aes),
      ]);
      const { keys: published } = await provider.jwks();
      expect(published.map((jwk) => jwk.kid).sort()).toEqual(
        created
          .slice(0, -1)
          .map((ref) => `${ref.kid}.1`)
          .sort(),
      );
      expect(published.map((jwk) => `${jwk.kty}/${jwk.alg}/${jwk.use}`).sort()).toEqual([
        "EC/ES256/sig",
        "EC/ES384/sig",
        "EC/ES512/sig",
        "OKP/ECDH-ES/enc",
        "OKP/EdDSA/sig",
        "OKP/EdDSA/sig",
        "RSA/PS384/sig",
        "RSA/RS512/sig",
      ]);
    });
  });

  describe("rotation", () => {
    it("after N rotations there is one kid with N+1 versions and no stray keys", async () => {
      const provider = new LocalKeyProvider();
      const { kid } = await provider.createKey(specs.ed25519);
      for (let i = 0; i < 10; i += 1) await provider.rotateKey(kid);
      expect(await provider.listKeys()).toEqual([kid]);
      expect(await provider.listVersions(kid)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
      expect((await provider.jwks({ allVersions: true })).keys).toHaveLength(11);
      expect((await provider.jwks()).keys).toHaveLength(1);
    });
  });

  it("refuses nonsensical class/alg/uses combinations, naming what is allowed", async () => {
    const provider = new LocalKeyProvider();
    await expect(
      provider.createKey({ ...specs.ed25519, klass: "sym" } as unknown as KeySpec),
    ).rejects.toThrow('KeySpec.klass: ED25519 is an asymmetric algorithm; use klass "asym"');
    await expect(provider.createKey({ ...specs.x25519, uses: ["sign"] })).rejects.toThrow(
      '"sign" is not a use of X25519; allowed: "encrypt", "decrypt", "wrap", "unwrap", "encaps", "decaps"',
    );
    await expect(provider.createKey({ ...specs.aes, klass: "asym" } as unknown as KeySpec)).rejects.toThrow(
      'use klass "sym"',
    );
    await expect(
      provider.createKey({ alg: "ED25519", sizeBits: 2048 } as unknown as KeySpec),
    ).rejects.toThrow(InvalidKeySpecError);
  });

  it("is created by the registry by name and alias", async () => {
    const registry = createRegistry({ providers: [local] });
    expect(await registry.create("local")).toBeInstanceOf(LocalKeyProvider);
    expect(await registry.create("LocalKeyProvider", {})).toBeInstanceOf(LocalKeyProvider);
    expect(() => new LocalKeyProvider({ dir: "/tmp" } as never)).toThrow(TypeError);
  });
});
