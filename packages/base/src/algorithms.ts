import { KeyAlg, KeyClass, KeyType, KeyUse, type JwkAlgorithm, type PublicJwk } from "@keyprovider/core";

/**
 * What keyprovider knows about one algorithm: its class, key type, the uses that make sense, its
 * sizes, and how its public key is published as a JWK.
 *
 * @example
 * ```ts
 * ALGORITHMS.RSA_PSS_SHA256.jwk; // { kty: "RSA", alg: "PS256", use: "sig" }
 * ```
 */
export interface AlgorithmInfo {
  readonly alg: KeyAlg;
  readonly klass: typeof KeyClass.symmetric | typeof KeyClass.asymmetric;
  readonly type: KeyType;
  readonly uses: readonly KeyUse[];
  /** Allowed `sizeBits`; the first is the default. */
  readonly sizes: readonly number[];
  /** How the public key is published; absent for symmetric keys, which never are. */
  readonly jwk?: {
    readonly kty: PublicJwk["kty"];
    readonly crv?: string;
    readonly alg: JwkAlgorithm;
    readonly use: PublicJwk["use"];
  };
  /** The `alg` values an imported JWK of this key may carry. */
  readonly jwkAlgs: readonly string[];
  /** Whether `publicFormat`/`privateFormat` `"Raw"` (32-byte keys) apply. */
  readonly raw: boolean;
}

const SIGN = [KeyUse.SIGN, KeyUse.VERIFY] as const;
const ENCRYPT = [KeyUse.ENCRYPT, KeyUse.DECRYPT, KeyUse.WRAP, KeyUse.UNWRAP] as const;

/**
 * The algorithm table every provider validates against.
 *
 * @example
 * ```ts
 * ALGORITHMS.ED25519.uses; // ["sign", "verify"]
 * ```
 */
export const ALGORITHMS: Readonly<Record<KeyAlg, AlgorithmInfo>> = Object.freeze({
  [KeyAlg.AES256_GCM]: {
    alg: KeyAlg.AES256_GCM,
    klass: KeyClass.symmetric,
    type: KeyType.SYMMETRIC,
    uses: ENCRYPT,
    sizes: [256],
    jwkAlgs: ["A256GCM", "A256GCMKW", "A256KW", "dir"],
    raw: true,
  },
  [KeyAlg.HMAC_SHA256]: {
    alg: KeyAlg.HMAC_SHA256,
    klass: KeyClass.symmetric,
    type: KeyType.SYMMETRIC,
    uses: SIGN,
    sizes: [256],
    jwkAlgs: ["HS256"],
    raw: true,
  },
  [KeyAlg.ED25519]: {
    alg: KeyAlg.ED25519,
    klass: KeyClass.asymmetric,
    type: KeyType.ED25519,
    uses: SIGN,
    sizes: [256],
    jwk: { kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" },
    jwkAlgs: ["EdDSA", "Ed25519"],
    raw: true,
  },
  [KeyAlg.X25519]: {
    alg: KeyAlg.X25519,
    klass: KeyClass.asymmetric,
    type: KeyType.X25519,
    uses: [...ENCRYPT, KeyUse.ENCAPS, KeyUse.DECAPS],
    sizes: [256],
    jwk: { kty: "OKP", crv: "X25519", alg: "ECDH-ES", use: "enc" },
    jwkAlgs: ["ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW"],
    raw: true,
  },
  [KeyAlg.RSA_OAEP_SHA256]: {
    alg: KeyAlg.RSA_OAEP_SHA256,
    klass: KeyClass.asymmetric,
    type: KeyType.RSA,
    uses: ENCRYPT,
    sizes: [3072, 2048, 4096],
    jwk: { kty: "RSA", alg: "RSA-OAEP-256", use: "enc" },
    jwkAlgs: ["RSA-OAEP-256"],
    raw: false,
  },
  [KeyAlg.RSA_PSS_SHA256]: {
    alg: KeyAlg.RSA_PSS_SHA256,
    klass: KeyClass.asymmetric,
    type: KeyType.RSA,
    uses: SIGN,
    sizes: [3072, 2048, 4096],
    jwk: { kty: "RSA", alg: "PS256", use: "sig" },
    jwkAlgs: ["PS256"],
    raw: false,
  },
  [KeyAlg.ECDSA_P256_SHA256]: {
    alg: KeyAlg.ECDSA_P256_SHA256,
    klass: KeyClass.asymmetric,
    type: KeyType.EC,
    uses: SIGN,
    sizes: [256],
    jwk: { kty: "EC", crv: "P-256", alg: "ES256", use: "sig" },
    jwkAlgs: ["ES256"],
    raw: false,
  },
});
