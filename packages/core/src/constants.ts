/**
 * The class of a key: a secret shared by both sides, a key pair, or an opaque blob the provider
 * stores without interpreting.
 *
 * @example
 * ```ts
 * import { KeyClass } from "@keyprovider/core";
 * const klass: KeyClass = KeyClass.symmetric; // "sym"
 * ```
 */
export const KeyClass = {
  symmetric: "sym",
  asymmetric: "asym",
  opaque: "opaque",
} as const;
/** One of the {@link KeyClass} values: `"sym"`, `"asym"` or `"opaque"`. */
export type KeyClass = (typeof KeyClass)[keyof typeof KeyClass];

/**
 * The algorithm a key is for. Each value equals its member name, so `KeyAlg.ED25519` and the
 * literal `"ED25519"` are interchangeable. Beside the seven original algorithms, every asymmetric
 * JWS (RFC 7518) signature algorithm identity providers sign with: RS256/384/512 (RSASSA-PKCS1-v1_5),
 * PS384/512 and ES384/512. `jwsAlgorithm(alg)` gives the JOSE name of each.
 *
 * @example
 * ```ts
 * import { KeyAlg } from "@keyprovider/core";
 * const alg: KeyAlg = KeyAlg.ED25519; // "ED25519"
 * ```
 */
export const KeyAlg = {
  AES256_GCM: "AES256_GCM",
  ED25519: "ED25519",
  X25519: "X25519",
  HMAC_SHA256: "HMAC_SHA256",
  RSA_OAEP_SHA256: "RSA_OAEP_SHA256",
  RSA_PSS_SHA256: "RSA_PSS_SHA256",
  ECDSA_P256_SHA256: "ECDSA_P256_SHA256",
  RSA_PKCS1_SHA256: "RSA_PKCS1_SHA256",
  RSA_PKCS1_SHA384: "RSA_PKCS1_SHA384",
  RSA_PKCS1_SHA512: "RSA_PKCS1_SHA512",
  RSA_PSS_SHA384: "RSA_PSS_SHA384",
  RSA_PSS_SHA512: "RSA_PSS_SHA512",
  ECDSA_P384_SHA384: "ECDSA_P384_SHA384",
  ECDSA_P521_SHA512: "ECDSA_P521_SHA512",
} as const;
/** One of the {@link KeyAlg} values. */
export type KeyAlg = (typeof KeyAlg)[keyof typeof KeyAlg];

/**
 * What a key may be used for. Providers check that the uses fit the algorithm.
 *
 * @example
 * ```ts
 * import { KeyUse } from "@keyprovider/core";
 * const uses = [KeyUse.SIGN, KeyUse.VERIFY]; // ["sign", "verify"]
 * ```
 */
export const KeyUse = {
  ENCRYPT: "encrypt",
  DECRYPT: "decrypt",
  SIGN: "sign",
  VERIFY: "verify",
  WRAP: "wrap",
  UNWRAP: "unwrap",
  ENCAPS: "encaps",
  DECAPS: "decaps",
} as const;
/** One of the {@link KeyUse} values. */
export type KeyUse = (typeof KeyUse)[keyof typeof KeyUse];

/**
 * Whether a provider may hand secret material back to the caller.
 *
 * - `NONE`: never. The provider keeps the secret and uses it only internally.
 * - `PUBLIC_ONLY`: never; public parts (public keys, JWKs) are returned.
 * - `SECRET_WHEN_ALLOWED`: the secret is returned by `createKey`, `importKey` and `rotateKey`, and
 *   by `getKey` when the caller passes `{ includeSecret: true }`.
 *
 * @example
 * ```ts
 * import { ExportPolicy } from "@keyprovider/core";
 * const policy: ExportPolicy = ExportPolicy.PUBLIC_ONLY; // "public_only"
 * ```
 */
export const ExportPolicy = {
  NONE: "none",
  PUBLIC_ONLY: "public_only",
  SECRET_WHEN_ALLOWED: "secret_when_allowed",
} as const;
/** One of the {@link ExportPolicy} values. */
export type ExportPolicy = (typeof ExportPolicy)[keyof typeof ExportPolicy];

/**
 * The kind of key material a {@link KeyRef} describes, derived from its algorithm.
 *
 * @example
 * ```ts
 * import { KeyType } from "@keyprovider/core";
 * ref.type === KeyType.ED25519; // "ed25519"
 * ```
 */
export const KeyType = {
  SYMMETRIC: "symmetric",
  RSA: "rsa",
  EC: "ec",
  ED25519: "ed25519",
  X25519: "x25519",
  OPAQUE: "opaque",
} as const;
/** One of the {@link KeyType} values. */
export type KeyType = (typeof KeyType)[keyof typeof KeyType];

/**
 * The capability names a provider reports in `supports().features`.
 *
 * @example
 * ```ts
 * import { ProviderFeature } from "@keyprovider/core";
 * provider.supports().features.includes(ProviderFeature.JWKS);
 * ```
 */
export const ProviderFeature = {
  CREATE: "create",
  IMPORT: "import",
  ROTATE: "rotate",
  DESTROY: "destroy",
  JWKS: "jwks",
  HKDF: "hkdf",
  RANDOM: "random",
  NON_EXPORTABLE: "non_exportable",
  MIRROR: "mirror",
  FAILOVER: "failover",
  REMOTE: "remote",
  PERSIST: "persist",
  /** `sign` and `verify` work for the keys whose uses allow them. */
  SIGN: "sign",
  /** `encrypt` and `decrypt` work for the keys whose uses allow them. */
  ENCRYPT: "encrypt",
  /** `deriveSharedSecret` works for X25519 keys. */
  DERIVE: "derive",
  /** `rotateKey(kid, { activate: false })` and `activateVersion`. */
  STAGE: "stage",
  /** `exportKey` of public keys (and of secrets where the export policy allows). */
  EXPORT: "export",
} as const;
/** One of the {@link ProviderFeature} values. */
export type ProviderFeature = (typeof ProviderFeature)[keyof typeof ProviderFeature];

/**
 * Limits every provider enforces on `randomBytes` and `hkdf`.
 *
 * @example
 * ```ts
 * import { LIMITS } from "@keyprovider/core";
 * await provider.randomBytes(LIMITS.maxRandomBytes);
 * ```
 */
export const LIMITS = {
  /** Largest `n` accepted by `randomBytes(n)`. */
  maxRandomBytes: 65_536,
  /** Largest HKDF-SHA256 output: 255 × HashLen (RFC 5869 §2.3). */
  maxHkdfLength: 8_160,
  /** Largest plaintext `encrypt` accepts, in bytes (64 MiB). */
  maxPlaintextBytes: 67_108_864,
  /** Highest key version: versions are signed 32-bit integers in every backend we map to. */
  maxKeyVersion: 2_147_483_647,
  /** Longest kid of keyprovider's own providers (DESIGN §7.1). */
  maxKidLength: 128,
  /** Largest message `sign` and `verify` accept, in bytes (64 MiB). */
  maxMessageBytes: 67_108_864,
} as const;

/**
 * The state of one version of a key. Each kid has one primary version: reads and operations without
 * a version use it. `rotateKey` makes the new version primary, unless called with
 * `{ activate: false }`, which stages it: published in `jwks()` so verifiers can fetch it before it
 * signs, but not used by default until `activateVersion`. Every live version newer than the primary
 * is staged; every older one is active (it still verifies, decrypts and is published with
 * `allVersions`).
 *
 * @example
 * ```ts
 * import { KeyStatus } from "@keyprovider/core";
 * const next = await provider.rotateKey(kid, { activate: false });
 * next.status === KeyStatus.STAGED; // true
 * ```
 */
export const KeyStatus = {
  PRIMARY: "primary",
  ACTIVE: "active",
  STAGED: "staged",
} as const;
/** One of the {@link KeyStatus} values. */
export type KeyStatus = (typeof KeyStatus)[keyof typeof KeyStatus];
