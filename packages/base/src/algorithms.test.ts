import { generateKeyPairSync } from "node:crypto";
import { KeyAlg, jwsAlgorithm } from "@keyprovider/core";
import { calculateJwkThumbprint } from "jose";
import { describe, expect, it } from "vitest";
import { ALGORITHMS, algorithmInfo, algorithmsForKey, jwkThumbprint, publicJwkMembers } from "./index.js";

describe("the algorithm table", () => {
  it("has one entry per KeyAlg, consistent with the JOSE names in core", () => {
    expect(Object.keys(ALGORITHMS).sort()).toEqual(Object.values(KeyAlg).sort());
    for (const info of Object.values(ALGORITHMS)) {
      expect(info.jose).toBe(jwsAlgorithm(info.alg));
      expect(algorithmInfo(info.jose)).toBe(info);
      expect(algorithmInfo(info.alg)).toBe(info);
      for (const use of info.defaultUses) expect(info.uses).toContain(use);
      if (info.jwk !== undefined) expect(info.jwk.alg).toBe(info.jose);
    }
    expect(algorithmInfo("Ed25519")).toBe(ALGORITHMS.ED25519);
    for (const name of ["none", "HS", "es256", "__proto__", "toString", "constructor", ""]) {
      expect(algorithmInfo(name), name).toBeUndefined();
    }
  });

  it("states signature sizes and KMS mappings as JOSE and AWS define them", () => {
    expect(ALGORITHMS.ECDSA_P256_SHA256.signature).toEqual({ scheme: "ecdsa", hash: "sha256", length: 64 });
    expect(ALGORITHMS.ECDSA_P384_SHA384.signature?.length).toBe(96);
    expect(ALGORITHMS.ECDSA_P521_SHA512.signature?.length).toBe(132);
    expect(ALGORITHMS.RSA_PSS_SHA384.signature?.saltLength).toBe(48);
    expect(ALGORITHMS.RSA_PSS_SHA512.kms.signingAlgorithm).toBe("RSASSA_PSS_SHA_512");
    expect(ALGORITHMS.RSA_PKCS1_SHA384.kms.signingAlgorithm).toBe("RSASSA_PKCS1_V1_5_SHA_384");
    expect(ALGORITHMS.RSA_PKCS1_SHA256.kms.keySpec(4096)).toBe("RSA_4096");
    expect(ALGORITHMS.ECDSA_P521_SHA512.kms.keySpec(undefined)).toBe("ECC_NIST_P521");
    expect(ALGORITHMS.ED25519.kms.keySpec(undefined)).toBe("ECC_NIST_EDWARDS25519");
    expect(ALGORITHMS.HMAC_SHA256.kms.macAlgorithm).toBe("HMAC_SHA_256");
  });

  it("finds the algorithms a JWK without alg may be used for", () => {
    expect(algorithmsForKey("EC", "P-384")).toEqual(["ECDSA_P384_SHA384"]);
    expect(algorithmsForKey("OKP", "Ed25519")).toEqual(["ED25519"]);
    expect(algorithmsForKey("RSA").sort()).toEqual(
      [
        "RSA_OAEP_SHA256",
        "RSA_PSS_SHA256",
        "RSA_PSS_SHA384",
        "RSA_PSS_SHA512",
        "RSA_PKCS1_SHA256",
        "RSA_PKCS1_SHA384",
        "RSA_PKCS1_SHA512",
      ].sort(),
    );
  });

  it("publishes P-384 and P-521 keys with thumbprints jose agrees with", async () => {
    for (const namedCurve of ["secp384r1", "secp521r1"]) {
      const members = publicJwkMembers(generateKeyPairSync("ec", { namedCurve }).publicKey);
      expect(jwkThumbprint(members)).toBe(await calculateJwkThumbprint(members));
    }
  });
});
