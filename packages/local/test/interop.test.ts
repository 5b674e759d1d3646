import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
} from "node:crypto";
import { readFileSync } from "node:fs";
import type { KeySpec } from "@keyprovider/core";
import {
  CompactEncrypt,
  SignJWT,
  compactDecrypt,
  createLocalJWKSet,
  errors,
  importJWK,
  importPKCS8,
  jwtVerify,
  type JWTPayload,
} from "jose";
import { describe, expect, it } from "vitest";
import { LocalKeyProvider } from "../src/index.js";
import { keys, pkcs8Pem } from "./fixtures.js";

const utf8 = (bytes: Uint8Array | undefined) => Buffer.from(bytes!).toString("utf8");
const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString("base64url");
const encode = (text: string) => new TextEncoder().encode(text);

/** Every JWS algorithm and a spec for it. RSA keys are imported (one pre-made 2048-bit key): generating them is slow. */
const SIGNING = [
  ["EdDSA", { alg: "ED25519" }],
  ["ES256", { alg: "ES256" }],
  ["ES384", { alg: "ES384" }],
  ["ES512", { alg: "ES512" }],
  ["PS256", { alg: "PS256" }],
  ["PS384", { alg: "PS384" }],
  ["PS512", { alg: "PS512" }],
  ["RS256", { alg: "RS256" }],
  ["RS384", { alg: "RS384" }],
  ["RS512", { alg: "RS512" }],
] as const satisfies readonly (readonly [string, KeySpec])[];

/** A key of the spec, made by the provider (or, for RSA, imported), under the given export policy. */
async function keyFor(
  provider: LocalKeyProvider,
  spec: KeySpec,
  exportPolicy: "none" | "secret_when_allowed",
) {
  const withPolicy = { ...spec, exportPolicy } as KeySpec;
  return spec.alg.startsWith("RS") || spec.alg.startsWith("PS")
    ? provider.importKey(withPolicy, pkcs8Pem(keys.rsa.privateKey))
    : provider.createKey(withPolicy);
}

/** A compact JWS whose signature comes from provider.sign: the private key never leaves the provider. */
async function signThroughProvider(
  provider: LocalKeyProvider,
  kid: string,
  alg: string,
  claims: JWTPayload,
): Promise<string> {
  const { version } = await provider.getKey(kid);
  const header = b64url(JSON.stringify({ alg, kid: `${kid}.${version}`, typ: "JWT" }));
  const input = `${header}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(await provider.sign(kid, encode(input)))}`;
}

/** A token signed by jose with the private key exported from the provider. */
async function signWithJose(provider: LocalKeyProvider, kid: string, alg: string): Promise<string> {
  const { version } = await provider.getKey(kid);
  const privateKey = await importPKCS8(await provider.exportKey(kid, { format: "pem", private: true }), alg);
  return new SignJWT({ sub: "user-1" })
    .setProtectedHeader({ alg, kid: `${kid}.${version}` })
    .setIssuer("https://issuer.example")
    .setExpirationTime("5m")
    .sign(privateKey);
}

describe("JWS interop with jose, for every algorithm", () => {
  it.each(SIGNING)(
    "%s: a token signed through provider.sign (exportPolicy none) verifies with jose against jwks()",
    async (alg, spec) => {
      const provider = new LocalKeyProvider();
      const { kid } = await keyFor(provider, spec, "none");
      await provider.createKey({ alg: "ED25519" }); // another key in the set
      const token = await signThroughProvider(provider, kid, alg, {
        sub: "user-1",
        exp: Math.floor(Date.now() / 1000) + 300,
      });
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await provider.jwks()), {
        algorithms: [alg],
      });
      expect([payload.sub, protectedHeader.alg, protectedHeader.kid]).toEqual(["user-1", alg, `${kid}.1`]);
    },
  );

  it.each(SIGNING)(
    "%s: a token signed by jose with the exported key verifies through provider.verify and getPublicJwk",
    async (alg, spec) => {
      const provider = new LocalKeyProvider();
      const { kid } = await keyFor(provider, spec, "secret_when_allowed");
      const token = await signWithJose(provider, kid, alg);
      const [header, payload, signature] = token.split(".") as [string, string, string];
      const input = encode(`${header}.${payload}`);
      const bytes = new Uint8Array(Buffer.from(signature, "base64url"));
      expect(await provider.verify(kid, input, bytes)).toBe(true);
      expect(await provider.verify(kid, encode(`${header}.${payload}x`), bytes)).toBe(false);
      const jwk = await provider.getPublicJwk(kid);
      expect(jwk.alg).toBe(alg);
      const { payload: claims } = await jwtVerify(token, await importJWK(jwk, jwk.alg), {
        issuer: "https://issuer.example",
      });
      expect(claims.sub).toBe("user-1");
    },
  );

  it.each([
    ["RS256", "PS256", { alg: "PS256" }],
    ["PS256", "RS256", { alg: "RS256" }],
    ["ES256", "ES384", { alg: "ES384" }],
  ] as const)(
    "a token claiming %s does not verify against a published %s key",
    async (claimed, _keyAlg, spec) => {
      const provider = new LocalKeyProvider();
      const { kid } = await keyFor(provider, spec, "none");
      const token = await signThroughProvider(provider, kid, claimed, { sub: "x" });
      await expect(jwtVerify(token, createLocalJWKSet(await provider.jwks()))).rejects.toThrow(
        errors.JOSEError,
      );
    },
  );

  it("rotation: old tokens verify against allVersions, a staged version is published before it signs", async () => {
    const provider = new LocalKeyProvider();
    const { kid } = await provider.createKey({ alg: "ED25519" });
    const oldToken = await signThroughProvider(provider, kid, "EdDSA", { v: 1 });
    const staged = await provider.rotateKey(kid, { activate: false });
    const published = createLocalJWKSet(await provider.jwks());
    // Staged: published, but version 1 still signs.
    expect((await provider.jwks()).keys.map((jwk) => jwk.kid)).toEqual([`${kid}.1`, `${kid}.2`]);
    await expect(
      jwtVerify(await signThroughProvider(provider, kid, "EdDSA", { v: 1 }), published),
    ).resolves.toBeDefined();
    await provider.activateVersion(kid, staged.version);
    const newToken = await signThroughProvider(provider, kid, "EdDSA", { v: 2 });
    expect((await jwtVerify(newToken, published)).protectedHeader.kid).toBe(`${kid}.2`);
    const latest = createLocalJWKSet(await provider.jwks());
    await expect(jwtVerify(newToken, latest)).resolves.toBeDefined();
    await expect(jwtVerify(oldToken, latest)).rejects.toThrow(errors.JWKSNoMatchingKey);
    await expect(
      jwtVerify(oldToken, createLocalJWKSet(await provider.jwks({ allVersions: true }))),
    ).resolves.toBeDefined();
    await provider.destroyKey(kid, 1);
    await expect(
      jwtVerify(oldToken, createLocalJWKSet(await provider.jwks({ allVersions: true }))),
    ).rejects.toThrow(errors.JWKSNoMatchingKey);
  });

  it("a token signed by another key with the same kid header does not verify", async () => {
    const provider = new LocalKeyProvider();
    const { kid } = await provider.createKey({ alg: "ED25519" });
    const impostor = generateKeyPairSync("ed25519").privateKey;
    const forged = await new SignJWT({ sub: "admin" })
      .setProtectedHeader({ alg: "EdDSA", kid: `${kid}.1` })
      .sign(impostor);
    await expect(jwtVerify(forged, createLocalJWKSet(await provider.jwks()))).rejects.toThrow(
      errors.JWSSignatureVerificationFailed,
    );
  });

  it("HS256: a token signed through provider.sign verifies with jose, and one signed by jose through provider.verify", async () => {
    const provider = new LocalKeyProvider();
    const secret = randomBytes(32);
    const { kid } = await provider.importKey({ alg: "HS256" }, secret); // exportPolicy "none": the secret stays
    const token = await signThroughProvider(provider, kid, "HS256", { sub: "x" });
    expect((await jwtVerify(token, secret)).payload.sub).toBe("x");
    const joseToken = await new SignJWT({ sub: "y" }).setProtectedHeader({ alg: "HS256" }).sign(secret);
    const [header, payload, signature] = joseToken.split(".") as [string, string, string];
    expect(
      await provider.verify(
        kid,
        encode(`${header}.${payload}`),
        new Uint8Array(Buffer.from(signature, "base64url")),
      ),
    ).toBe(true);
    expect(createHmac("sha256", secret).update(`${header}.${payload}`).digest("base64url")).toBe(signature);
  });
});

describe("RFC 7515 known answers", () => {
  const vectors = JSON.parse(
    readFileSync(new URL("../../../vectors/rfc7515-jws.json", import.meta.url), "utf8"),
  ) as {
    cases: { name: string; publicJwk: Record<string, string>; compact: string }[];
  };

  it.each(vectors.cases.map((v) => [v.name, v] as const))(
    "%s verifies through an imported public JWK",
    async (_name, vector) => {
      const [header, payload, signature] = vector.compact.split(".") as [string, string, string];
      const { alg } = JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as { alg: string };
      const provider = new LocalKeyProvider();
      const { kid } = await provider.importKey({ alg } as KeySpec, undefined, {
        public: vector.publicJwk as never,
      });
      const bytes = new Uint8Array(Buffer.from(signature, "base64url"));
      expect(await provider.verify(kid, encode(`${header}.${payload}`), bytes)).toBe(true);
      expect(await provider.verify(kid, encode(`${header}.${payload}A`), bytes)).toBe(false);
      expect((await provider.getPublicJwk(kid)).alg).toBe(alg);
    },
  );
});

describe("encryption and key agreement", () => {
  it("RSA-OAEP-256: jose JWE to the published JWK decrypts with the exported private key", async () => {
    const provider = new LocalKeyProvider();
    const ref = await provider.importKey(
      { alg: "RSA-OAEP-256", exportPolicy: "secret_when_allowed" },
      pkcs8Pem(keys.rsa.privateKey),
    );
    const jwk = await provider.getPublicJwk(ref.kid);
    expect([jwk.alg, jwk.use]).toEqual(["RSA-OAEP-256", "enc"]);
    const message = Buffer.from("attack at dawn");
    const jwe = await new CompactEncrypt(message)
      .setProtectedHeader({ alg: jwk.alg, enc: "A256GCM", kid: jwk.kid })
      .encrypt(await importJWK(jwk, jwk.alg));
    const { plaintext } = await compactDecrypt(jwe, await importPKCS8(utf8(ref.material), "RSA-OAEP-256"));
    expect(Buffer.from(plaintext)).toEqual(message);
  });

  it("X25519: provider agreement equals node:crypto's, and jose ECDH-ES to the published JWK decrypts", async () => {
    const provider = new LocalKeyProvider();
    const ref = await provider.createKey({ alg: "X25519", exportPolicy: "secret_when_allowed" });
    const peer = generateKeyPairSync("x25519");
    const jwk = await provider.getPublicJwk(ref.kid);
    const ours = createPublicKey({ key: { ...jwk }, format: "jwk" });
    const fromPeer = diffieHellman({ privateKey: peer.privateKey, publicKey: ours });
    expect(await provider.deriveSharedSecret(ref.kid, peer.publicKey)).toEqual(new Uint8Array(fromPeer));
    expect(
      diffieHellman({ privateKey: createPrivateKey(utf8(ref.material)), publicKey: peer.publicKey }),
    ).toEqual(fromPeer);

    expect([jwk.alg, jwk.use]).toEqual(["ECDH-ES", "enc"]);
    const jwe = await new CompactEncrypt(Buffer.from("hello"))
      .setProtectedHeader({ alg: "ECDH-ES", enc: "A256GCM" })
      .encrypt(await importJWK(jwk, "ECDH-ES"));
    const { plaintext } = await compactDecrypt(jwe, await importPKCS8(utf8(ref.material), "ECDH-ES"));
    expect(Buffer.from(plaintext).toString()).toBe("hello");
  });

  it("AES-256-GCM: the exported secret round-trips with node:crypto and jose dir/A256GCM", async () => {
    const provider = new LocalKeyProvider();
    const { material } = await provider.createKey({ alg: "AES256_GCM", exportPolicy: "secret_when_allowed" });
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", material!, iv);
    const ciphertext = Buffer.concat([cipher.update("secret message"), cipher.final()]);
    const decipher = createDecipheriv("aes-256-gcm", material!, iv).setAuthTag(cipher.getAuthTag());
    expect(Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString()).toBe("secret message");

    const jwe = await new CompactEncrypt(Buffer.from("hi"))
      .setProtectedHeader({ alg: "dir", enc: "A256GCM" })
      .encrypt(material!);
    expect(Buffer.from((await compactDecrypt(jwe, material!)).plaintext).toString()).toBe("hi");
  });
});
