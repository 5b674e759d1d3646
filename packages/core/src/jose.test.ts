import { describe, expect, it } from "vitest";
import { KeyAlg, jwsAlgorithm, keyAlgFromJws } from "./index.js";

describe("JOSE names", () => {
  it("names every KeyAlg and maps each name back", () => {
    const expected: Record<KeyAlg, string> = {
      AES256_GCM: "A256GCM",
      ED25519: "EdDSA",
      X25519: "ECDH-ES",
      HMAC_SHA256: "HS256",
      RSA_OAEP_SHA256: "RSA-OAEP-256",
      RSA_PSS_SHA256: "PS256",
      RSA_PSS_SHA384: "PS384",
      RSA_PSS_SHA512: "PS512",
      RSA_PKCS1_SHA256: "RS256",
      RSA_PKCS1_SHA384: "RS384",
      RSA_PKCS1_SHA512: "RS512",
      ECDSA_P256_SHA256: "ES256",
      ECDSA_P384_SHA384: "ES384",
      ECDSA_P521_SHA512: "ES512",
    };
    for (const alg of Object.values(KeyAlg)) {
      expect(jwsAlgorithm(alg)).toBe(expected[alg]);
      expect(keyAlgFromJws(expected[alg])).toBe(alg);
    }
    expect(keyAlgFromJws("Ed25519")).toBe("ED25519");
  });

  it("knows nothing of algorithms it does not implement", () => {
    for (const name of ["none", "HS384", "ES256K", "RSA1_5", "", "toString", "__proto__"]) {
      expect(keyAlgFromJws(name)).toBeUndefined();
    }
    expect(() => jwsAlgorithm("toString" as KeyAlg)).toThrow(TypeError);
  });
});
