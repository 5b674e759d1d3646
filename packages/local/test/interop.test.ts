import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
} from "node:crypto";
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
} from "jose";
import { describe, expect, it } from "vitest";
import { LocalKeyProvider } from "../src/index.js";

const utf8 = (bytes: Uint8Array | undefined) => Buffer.from(bytes!).toString("utf8");
const signing = [
  ["EdDSA", { klass: "asym", alg: "ED25519", uses: ["sign", "verify"], exportPolicy: "secret_when_allowed" }],
  [
    "ES256",
    {
      klass: "asym",
      alg: "ECDSA_P256_SHA256",
      uses: ["sign", "verify"],
      exportPolicy: "secret_when_allowed",
    },
  ],
  [
    "PS256",
    {
      klass: "asym",
      alg: "RSA_PSS_SHA256",
      uses: ["sign", "verify"],
      exportPolicy: "secret_when_allowed",
      sizeBits: 2048,
    },
  ],
] as const satisfies readonly (readonly [string, KeySpec])[];

async function signToken(
  provider: LocalKeyProvider,
  kid: string,
  version: number,
  alg: string,
): Promise<string> {
  const { material } = await provider.getKey(kid, version, { includeSecret: true });
  const privateKey = await importPKCS8(utf8(material), alg);
  return new SignJWT({ sub: "user-1" })
    .setProtectedHeader({ alg, kid: `${kid}.${version}` })
    .setIssuer("https://issuer.example")
    .setExpirationTime("5m")
    .sign(privateKey);
}

describe("JWT interop with jose", () => {
  it.each(signing)(
    "%s: signed with the exported private key, verified with only getPublicJwk",
    async (alg, spec) => {
      const provider = new LocalKeyProvider();
      const { kid } = await provider.createKey(spec);
      const token = await signToken(provider, kid, 1, alg);
      const jwk = await provider.getPublicJwk(kid);
      expect(jwk.alg).toBe(alg);
      const { payload, protectedHeader } = await jwtVerify(token, await importJWK(jwk, jwk.alg), {
        issuer: "https://issuer.example",
      });
      expect(payload.sub).toBe("user-1");
      expect(protectedHeader.kid).toBe(jwk.kid);
    },
  );

  it.each(signing)(
    "%s: verified through jwks() with createLocalJWKSet, choosing the key by kid",
    async (alg, spec) => {
      const provider = new LocalKeyProvider();
      const first = await provider.createKey(spec);
      await provider.createKey(spec); // another key in the set
      const token = await signToken(provider, first.kid, 1, alg);
      const { payload } = await jwtVerify(token, createLocalJWKSet(await provider.jwks()));
      expect(payload.sub).toBe("user-1");
    },
  );

  it("after rotation, old tokens verify against allVersions and new tokens against the latest set", async () => {
    const provider = new LocalKeyProvider();
    const { kid } = await provider.createKey(signing[0][1]);
    const oldToken = await signToken(provider, kid, 1, "EdDSA");
    await provider.rotateKey(kid);
    const newToken = await signToken(provider, kid, 2, "EdDSA");
    const latest = createLocalJWKSet(await provider.jwks());
    const all = createLocalJWKSet(await provider.jwks({ allVersions: true }));
    await expect(jwtVerify(newToken, latest)).resolves.toBeDefined();
    await expect(jwtVerify(oldToken, all)).resolves.toBeDefined();
    await expect(jwtVerify(oldToken, latest)).rejects.toThrow(errors.JWKSNoMatchingKey);
    await provider.destroyKey(kid, 1);
    await expect(
      jwtVerify(oldToken, createLocalJWKSet(await provider.jwks({ allVersions: true }))),
    ).rejects.toThrow(errors.JWKSNoMatchingKey);
  });

  it("a token signed by another key with the same kid header does not verify", async () => {
    const provider = new LocalKeyProvider();
    const { kid } = await provider.createKey(signing[0][1]);
    const impostor = generateKeyPairSync("ed25519").privateKey;
    const forged = await new SignJWT({ sub: "admin" })
      .setProtectedHeader({ alg: "EdDSA", kid: `${kid}.1` })
      .sign(impostor);
    await expect(jwtVerify(forged, createLocalJWKSet(await provider.jwks()))).rejects.toThrow(
      errors.JWSSignatureVerificationFailed,
    );
  });
});

describe("encryption and key agreement", () => {
  it("RSA-OAEP-256: encrypt with the public key, decrypt with the private key (node:crypto and jose)", async () => {
    const provider = new LocalKeyProvider();
    const ref = await provider.createKey({
      klass: "asym",
      alg: "RSA_OAEP_SHA256",
      uses: ["encrypt", "decrypt"],
      exportPolicy: "secret_when_allowed",
      sizeBits: 2048,
    });
    const message = Buffer.from("attack at dawn");
    const ciphertext = publicEncrypt(
      { key: utf8(ref.public), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      message,
    );
    expect(
      privateDecrypt(
        { key: utf8(ref.material), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
        ciphertext,
      ),
    ).toEqual(message);

    const jwk = await provider.getPublicJwk(ref.kid);
    expect([jwk.alg, jwk.use]).toEqual(["RSA-OAEP-256", "enc"]);
    const jwe = await new CompactEncrypt(message)
      .setProtectedHeader({ alg: jwk.alg, enc: "A256GCM", kid: jwk.kid })
      .encrypt(await importJWK(jwk, jwk.alg));
    const { plaintext } = await compactDecrypt(jwe, await importPKCS8(utf8(ref.material), "RSA-OAEP-256"));
    expect(Buffer.from(plaintext)).toEqual(message);
  });

  it("X25519: both sides derive the same shared secret, and jose ECDH-ES to the published JWK decrypts", async () => {
    const provider = new LocalKeyProvider();
    const ref = await provider.createKey({
      klass: "asym",
      alg: "X25519",
      uses: ["wrap", "unwrap"],
      exportPolicy: "secret_when_allowed",
    });
    const ours = createPrivateKey(utf8(ref.material));
    const peer = generateKeyPairSync("x25519");
    const jwk = await provider.getPublicJwk(ref.kid);
    const oursPublic = createPublicKey({ key: { ...jwk }, format: "jwk" });
    const fromUs = diffieHellman({ privateKey: ours, publicKey: peer.publicKey });
    const fromPeer = diffieHellman({ privateKey: peer.privateKey, publicKey: oursPublic });
    expect(fromUs).toEqual(fromPeer);
    expect(fromUs).toHaveLength(32);

    expect([jwk.alg, jwk.use]).toEqual(["ECDH-ES", "enc"]);
    const jwe = await new CompactEncrypt(Buffer.from("hello"))
      .setProtectedHeader({ alg: "ECDH-ES", enc: "A256GCM" })
      .encrypt(await importJWK(jwk, "ECDH-ES"));
    const { plaintext } = await compactDecrypt(jwe, await importPKCS8(utf8(ref.material), "ECDH-ES"));
    expect(Buffer.from(plaintext).toString()).toBe("hello");
  });

  it("AES-256-GCM: a round trip with the exported secret, and jose dir/A256GCM", async () => {
    const provider = new LocalKeyProvider();
    const { material } = await provider.createKey({
      klass: "sym",
      alg: "AES256_GCM",
      uses: ["encrypt", "decrypt"],
      exportPolicy: "secret_when_allowed",
    });
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

  it("HMAC-SHA256: an imported key gives the same MAC as node:crypto, and jose HS256 agrees", async () => {
    const provider = new LocalKeyProvider();
    const key = randomBytes(32);
    const ref = await provider.importKey(
      { klass: "sym", alg: "HMAC_SHA256", uses: ["sign", "verify"], exportPolicy: "secret_when_allowed" },
      key,
    );
    const exported = (await provider.getKey(ref.kid, undefined, { includeSecret: true })).material!;
    expect(createHmac("sha256", exported).update("data").digest()).toEqual(
      createHmac("sha256", key).update("data").digest(),
    );

    const token = await new SignJWT({ sub: "x" }).setProtectedHeader({ alg: "HS256" }).sign(exported);
    const [header, payload, signature] = token.split(".");
    expect(createHmac("sha256", key).update(`${header}.${payload}`).digest("base64url")).toBe(signature);
  });
});
