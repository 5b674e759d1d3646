import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { InvalidKeyMaterialError } from "@keyprovider/core";
import { calculateJwkThumbprint, exportJWK } from "jose";
import { describe, expect, it } from "vitest";
import {
  ALGORITHMS,
  jwkThumbprint,
  publicJwkMembers,
  publishedJwk,
  hasPrivateMembers,
  mergeJwks,
  type PublicJwkMembers,
} from "./index.js";

const vectors = JSON.parse(
  readFileSync(new URL("../../../vectors/jwk-thumbprints.json", import.meta.url), "utf8"),
) as {
  cases: { name: string; jwk: PublicJwkMembers; thumbprint: string }[];
};

describe("jwkThumbprint (RFC 7638)", () => {
  it.each(vectors.cases)("matches $name", ({ jwk, thumbprint }) => {
    expect(jwkThumbprint(jwk)).toBe(thumbprint);
    expect(jwkThumbprint({ ...jwk, kid: "ignored", alg: "EdDSA" } as PublicJwkMembers)).toBe(thumbprint);
  });

  it.each([
    ["ed25519", {}],
    ["x25519", {}],
    ["ec", { namedCurve: "P-256" }],
    ["rsa", { modulusLength: 2048 }],
  ] as const)("agrees with jose for a %s key", async (type, options) => {
    const { publicKey } = generateKeyPairSync(type as "ed25519", options);
    const members = publicJwkMembers(publicKey);
    expect(jwkThumbprint(members)).toBe(await calculateJwkThumbprint(members));
  });

  it("agrees with jose for an oct key, and refuses incomplete JWKs", async () => {
    const oct = { kty: "oct", k: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8" } as const;
    expect(jwkThumbprint(oct)).toBe(await calculateJwkThumbprint(oct));
    expect(() => jwkThumbprint({ kty: "RSA", n: "x" })).toThrow('a RSA JWK needs a string "e"');
    expect(() => jwkThumbprint({ kty: "XYZ" } as never)).toThrow(TypeError);
  });
});

describe("publicJwkMembers", () => {
  it.each([
    ["ed25519", {}],
    ["x25519", {}],
    ["ec", { namedCurve: "P-256" }],
    ["rsa", { modulusLength: 2048 }],
  ] as const)("gives the public members of a %s key, private or public", async (type, options) => {
    const { publicKey, privateKey } = generateKeyPairSync(type as "ed25519", options);
    const fromPrivate = publicJwkMembers(privateKey);
    expect(fromPrivate).toEqual(publicJwkMembers(publicKey));
    const viaJose = await exportJWK(publicKey);
    expect(fromPrivate).toEqual(viaJose);
    expect(Object.keys(fromPrivate)).not.toContain("d");
  });
});

describe("publishedJwk", () => {
  const members = {
    ED25519: publicJwkMembers(generateKeyPairSync("ed25519").publicKey),
    X25519: publicJwkMembers(generateKeyPairSync("x25519").publicKey),
    ECDSA_P256_SHA256: publicJwkMembers(generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey),
    RSA_PSS_SHA256: publicJwkMembers(generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey),
  };
  it.each([
    ["ED25519", "EdDSA", "sig", members.ED25519],
    ["ECDSA_P256_SHA256", "ES256", "sig", members.ECDSA_P256_SHA256],
    ["RSA_PSS_SHA256", "PS256", "sig", members.RSA_PSS_SHA256],
    ["RSA_OAEP_SHA256", "RSA-OAEP-256", "enc", members.RSA_PSS_SHA256],
    ["X25519", "ECDH-ES", "enc", members.X25519],
  ] as const)("%s is published with alg %s and use %s", (alg, jwa, use, keyMembers) => {
    const jwk = publishedJwk(keyMembers, "abc", 3, alg);
    expect(jwk).toEqual({ ...keyMembers, kid: "abc.3", alg: jwa, use });
    expect(ALGORITHMS[alg].jwk?.alg).toBe(jwa);
  });

  it("refuses symmetric algorithms and members of another key type", () => {
    expect(() => publishedJwk(members.ED25519, "abc", 1, "AES256_GCM")).toThrow(InvalidKeyMaterialError);
    expect(() => publishedJwk(members.ED25519, "abc", 1, "ECDSA_P256_SHA256")).toThrow(
      'A ECDSA_P256_SHA256 key is published with kty "EC", not "OKP"',
    );
  });

  it("copies only the public members, whatever else it is given", () => {
    const withPrivate = { ...members.ED25519, d: "PRIVATE", kid: "x", extra: "y" } as PublicJwkMembers;
    expect(Object.keys(publishedJwk(withPrivate, "abc", 1, "ED25519")).sort()).toEqual([
      "alg",
      "crv",
      "kid",
      "kty",
      "use",
      "x",
    ]);
  });
});

describe("publicJwkMembers refuses key types keyprovider does not publish", () => {
  it.each([
    ["rsa-pss", { modulusLength: 2048 }],
    ["ec", { namedCurve: "secp256k1" }],
    ["ed448", {}],
  ] as const)("%s %j", (type, options) => {
    const { publicKey } = generateKeyPairSync(type as "ed25519", options);
    expect(() => publicJwkMembers(publicKey)).toThrow(InvalidKeyMaterialError);
  });
});

describe("hasPrivateMembers and mergeJwks", () => {
  it("finds every private member, own properties only", () => {
    for (const member of ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]) {
      expect(hasPrivateMembers({ kty: "RSA", [member]: "x" })).toBe(true);
    }
    expect(hasPrivateMembers({ kty: "RSA", n: "n", e: "e" })).toBe(false);
    expect(hasPrivateMembers(Object.create({ d: "x" }) as object)).toBe(false);
  });

  it("merges sets with the first key of each kid winning", () => {
    const a = { kty: "OKP", crv: "Ed25519", x: "a", kid: "k.1", alg: "EdDSA", use: "sig" } as const;
    const b = { ...a, x: "b" };
    const c = { ...a, kid: "k.2" };
    expect(mergeJwks({ keys: [a] }, { keys: [b, c] })).toEqual({ keys: [a, c] });
    expect(mergeJwks()).toEqual({ keys: [] });
  });
});
