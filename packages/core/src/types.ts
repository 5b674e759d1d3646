import type { KeyObject, webcrypto } from "node:crypto";
import type {
  ExportPolicy,
  KeyAlg,
  KeyClass,
  KeyStatus,
  KeyType,
  KeyUse,
  ProviderFeature,
} from "./constants.js";
import type { JoseAlgorithmOf } from "./jose.js";

/** RSA key algorithms. @internal */
type RsaAlg =
  | typeof KeyAlg.RSA_OAEP_SHA256
  | typeof KeyAlg.RSA_PSS_SHA256
  | typeof KeyAlg.RSA_PSS_SHA384
  | typeof KeyAlg.RSA_PSS_SHA512
  | typeof KeyAlg.RSA_PKCS1_SHA256
  | typeof KeyAlg.RSA_PKCS1_SHA384
  | typeof KeyAlg.RSA_PKCS1_SHA512;
/** ECDSA key algorithms. @internal */
type EcdsaAlg =
  typeof KeyAlg.ECDSA_P256_SHA256 | typeof KeyAlg.ECDSA_P384_SHA384 | typeof KeyAlg.ECDSA_P521_SHA512;
/** Key algorithms of RFC 8037 octet key pairs. @internal */
type OkpAlg = typeof KeyAlg.ED25519 | typeof KeyAlg.X25519;
/** Symmetric key algorithms. @internal */
type SymmetricAlg = typeof KeyAlg.AES256_GCM | typeof KeyAlg.HMAC_SHA256;

/**
 * The RSA modulus sizes keyprovider creates and imports.
 *
 * @example
 * ```ts
 * const size: RsaKeySize = 3072;
 * ```
 */
export type RsaKeySize = 2048 | 3072 | 4096;

/**
 * What every {@link KeySpec} may say, whatever its algorithm.
 *
 * @example
 * ```ts
 * const common: KeySpecCommon = { exportPolicy: "none", label: "api-signing", tags: { team: "id" } };
 * ```
 */
export interface KeySpecCommon {
  /**
   * What the key may be used for; each must make sense for the algorithm. Default: every use of the
   * algorithm (`["sign", "verify"]` for signing keys, `["encrypt", "decrypt"]` for AES and RSA-OAEP,
   * `["encrypt", "decrypt", "decaps"]` for X25519).
   */
  readonly uses?: readonly KeyUse[];
  /** Whether the secret may ever be handed out. Default `"none"`: secure by default. */
  readonly exportPolicy?: ExportPolicy;
  /** A human name, returned in `KeyRef.tags.label`. At most 256 characters. */
  readonly label?: string;
  /** Free-form string tags, returned in `KeyRef.tags` (at most 50; keys ≤ 128, values ≤ 256 characters). */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * How the public and private halves of a key pair are encoded in `KeyRef.public` and
 * `KeyRef.material`.
 *
 * @example
 * ```ts
 * const encoding: KeyPairEncoding<"SubjectPublicKeyInfo"> = { encoding: "DER" };
 * ```
 */
export interface KeyPairEncoding<PublicFormat extends string, PrivateFormat extends string = "PKCS8"> {
  /** `"PEM"` (default) or `"DER"`. */
  readonly encoding?: "PEM" | "DER";
  /** Form of `KeyRef.public`. Default `"SubjectPublicKeyInfo"`. */
  readonly publicFormat?: PublicFormat;
  /** Form of `KeyRef.material`. Default `"PKCS8"`. */
  readonly privateFormat?: PrivateFormat;
}

/**
 * A spec for an RSA key: RSA-OAEP-256 encryption, or RS256/384/512 and PS256/384/512 signatures.
 *
 * @example
 * ```ts
 * const spec: RsaKeySpec = { alg: "RSA_PKCS1_SHA256", sizeBits: 3072 };
 * ```
 */
export interface RsaKeySpec extends KeySpecCommon, KeyPairEncoding<"SubjectPublicKeyInfo"> {
  readonly klass?: typeof KeyClass.asymmetric;
  readonly alg: RsaAlg | JoseAlgorithmOf<RsaAlg>;
  /** Modulus size in bits. Default 3072. */
  readonly sizeBits?: RsaKeySize;
}

/**
 * A spec for an ECDSA key on P-256, P-384 or P-521 (ES256, ES384, ES512).
 *
 * @example
 * ```ts
 * const spec: EcKeySpec = { alg: "ES256" };
 * ```
 */
export interface EcKeySpec extends KeySpecCommon, KeyPairEncoding<"SubjectPublicKeyInfo"> {
  readonly klass?: typeof KeyClass.asymmetric;
  readonly alg: EcdsaAlg | JoseAlgorithmOf<EcdsaAlg>;
  /** The curve fixes the size: only RSA specs take `sizeBits`. */
  readonly sizeBits?: never;
}

/**
 * A spec for an Ed25519 (EdDSA signatures) or X25519 (key agreement, hybrid encryption) key.
 * `"Raw"` formats are the 32-byte public key and seed.
 *
 * @example
 * ```ts
 * const spec: OkpKeySpec = { alg: "ED25519", publicFormat: "Raw" };
 * ```
 */
export interface OkpKeySpec
  extends KeySpecCommon, KeyPairEncoding<"SubjectPublicKeyInfo" | "Raw", "PKCS8" | "Raw"> {
  readonly klass?: typeof KeyClass.asymmetric;
  readonly alg: OkpAlg | JoseAlgorithmOf<OkpAlg>;
  readonly sizeBits?: never;
}

/**
 * A spec for a symmetric key: AES-256-GCM (`A256GCM`) or HMAC-SHA256 (`HS256`), 32 bytes.
 *
 * @example
 * ```ts
 * const spec: SymmetricKeySpec = { alg: "AES256_GCM" };
 * ```
 */
export interface SymmetricKeySpec extends KeySpecCommon {
  readonly klass?: typeof KeyClass.symmetric;
  readonly alg: SymmetricAlg | JoseAlgorithmOf<SymmetricAlg>;
  readonly sizeBits?: never;
  readonly encoding?: never;
  readonly publicFormat?: never;
  /** Secrets are raw bytes. */
  readonly privateFormat?: "Raw";
}

/**
 * A spec for an opaque key: bytes the provider stores and returns without interpreting, under any
 * `alg` label. Opaque keys have no key operations.
 *
 * @example
 * ```ts
 * const spec: OpaqueKeySpec = { klass: "opaque", alg: "HMAC_SHA256", exportPolicy: "secret_when_allowed" };
 * ```
 */
export interface OpaqueKeySpec extends KeySpecCommon {
  readonly klass: typeof KeyClass.opaque;
  readonly alg: KeyAlg;
  readonly sizeBits?: never;
  readonly encoding?: never;
  readonly publicFormat?: never;
  readonly privateFormat?: "Raw";
}

/**
 * What to create or import, keyed on `alg` so that only sensible specs type-check: `sizeBits` only
 * on RSA algorithms, `"Raw"` formats only on Ed25519/X25519, no encodings on secrets. `alg` may be
 * the {@link KeyAlg} or its JOSE name (`"ES256"`); `klass` is derived from it (and refused when it
 * contradicts it), `uses` default to every use of the algorithm, and `exportPolicy` defaults to
 * `"none"`.
 *
 * @example
 * ```ts
 * import type { KeySpec } from "@keyprovider/core";
 * const signing: KeySpec = { alg: "ED25519" };
 * const rsa: KeySpec = { alg: "RS256", sizeBits: 4096, label: "id-tokens" };
 * const aes: KeySpec = { alg: "AES256_GCM", exportPolicy: "secret_when_allowed" };
 * // @ts-expect-error: Ed25519 keys have no size
 * const wrong: KeySpec = { alg: "ED25519", sizeBits: 2048 };
 * ```
 */
export type KeySpec = RsaKeySpec | EcKeySpec | OkpKeySpec | SymmetricKeySpec | OpaqueKeySpec;

/**
 * A {@link KeySpec} after validation, with every default filled in and `alg` canonical. Every
 * `KeyRef` carries the spec of its version, so a version can be copied exactly (a mirror keeps size,
 * encodings and label).
 *
 * @example
 * ```ts
 * const { spec } = await provider.getKey(kid);
 * spec.sizeBits; // 3072
 * spec.encoding; // "PEM"
 * ```
 */
export interface NormalizedKeySpec {
  readonly klass: KeyClass;
  readonly alg: KeyAlg;
  readonly uses: readonly KeyUse[];
  readonly exportPolicy: ExportPolicy;
  /** RSA modulus size; the fixed size of other algorithms; `undefined` for opaque keys. */
  readonly sizeBits: number | undefined;
  readonly encoding: "PEM" | "DER";
  readonly publicFormat: "SubjectPublicKeyInfo" | "Raw";
  readonly privateFormat: "PKCS8" | "Raw";
  readonly label: string | undefined;
  /** The caller's tags, with `label` under `tags.label`. */
  readonly tags: Readonly<Record<string, string>>;
  /** The `KeyRef.type` of keys made from this spec. */
  readonly type: KeyType;
}

/**
 * A frozen description of one version of a key. Secret `material` is present only where the
 * export policy allows it, and never appears in `JSON.stringify(ref)`, `String(ref)` or
 * `util.inspect(ref)`.
 *
 * @example
 * ```ts
 * const ref = await provider.getKey(kid);
 * console.log(ref); // KeyRef { kid: '…', version: 2, alg: 'ED25519', status: 'primary', … } — no secret
 * ```
 */
export interface KeyRef {
  /** 32 lowercase hex characters from a CSPRNG for created keys, never derived from the key. */
  readonly kid: string;
  /** Positive integer; versions of one kid count up from 1. */
  readonly version: number;
  /** Whether this version is the kid's primary, an older active one, or a newer staged one. */
  readonly status: KeyStatus;
  readonly type: KeyType;
  readonly uses: readonly KeyUse[];
  readonly exportPolicy: ExportPolicy;
  readonly alg: KeyAlg;
  /** A backend handle, such as a KMS key ARN. */
  readonly uri?: string;
  /** Public key, encoded per the spec (SPKI PEM by default). */
  readonly public?: Uint8Array;
  /** Secret material, encoded per the spec; only present where the export policy allows. */
  readonly material?: Uint8Array;
  readonly tags: Readonly<Record<string, string>>;
  /**
   * Asymmetric keys: the RFC 7638 thumbprint of the public JWK (the same in every provider).
   * Exportable secrets: the thumbprint of the `oct` JWK. Opaque and non-exportable secrets: a stable,
   * provider-scoped identifier that is not a hash of the secret.
   */
  readonly fingerprint: string;
  /** The spec this version was made from, with defaults filled in. */
  readonly spec: NormalizedKeySpec;
}

/**
 * A JSON Web Key (RFC 7517) as keyprovider reads and writes it: the members of RSA, EC, OKP and
 * `oct` keys, public and private.
 *
 * @example
 * ```ts
 * const jwk: Jwk = { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" };
 * ```
 */
export interface Jwk {
  readonly kty: string;
  readonly kid?: string;
  readonly alg?: string;
  readonly use?: string;
  readonly key_ops?: readonly string[];
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
  readonly n?: string;
  readonly e?: string;
  readonly d?: string;
  readonly p?: string;
  readonly q?: string;
  readonly dp?: string;
  readonly dq?: string;
  readonly qi?: string;
  readonly k?: string;
}

/**
 * The JWA algorithm names providers put in a published JWK's `alg`.
 *
 * @example
 * ```ts
 * const alg: JwkAlgorithm = "EdDSA";
 * ```
 */
export type JwkAlgorithm = JoseAlgorithmOf<Exclude<KeyAlg, SymmetricAlg>>;

/**
 * An RFC 7517 public JSON Web Key as providers publish it: `kid` is `"<kid>.<version>"`, and
 * `alg` and `use` are always set. It never carries private members.
 *
 * @example
 * ```ts
 * const jwk: PublicJwk = await provider.getPublicJwk(kid);
 * // { kty: "OKP", crv: "Ed25519", x: "…", kid: "3f…a1.1", alg: "EdDSA", use: "sig" }
 * ```
 */
export interface PublicJwk {
  readonly kty: "RSA" | "EC" | "OKP";
  readonly kid: string;
  readonly alg: JwkAlgorithm;
  readonly use: "sig" | "enc";
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
  readonly n?: string;
  readonly e?: string;
}

/**
 * An RFC 7517 JWK Set.
 *
 * @example
 * ```ts
 * const set: Jwks = await provider.jwks();
 * res.json(set); // serve it at /.well-known/jwks.json
 * ```
 */
export interface Jwks {
  /** A fresh array on every call; mutable so it can be passed straight to jose's `createLocalJWKSet`. */
  keys: PublicJwk[];
}

/**
 * What a provider can do, in plain strings from {@link KeyClass}, {@link KeyAlg} and
 * {@link ProviderFeature}.
 *
 * @example
 * ```ts
 * if (provider.supports().features.includes("sign")) { … }
 * ```
 */
export interface ProviderSupports {
  readonly class: readonly KeyClass[];
  readonly algs: readonly KeyAlg[];
  readonly features: readonly ProviderFeature[];
}

/**
 * Options every provider method takes. An aborted `signal` rejects the call with `signal.reason`;
 * it is forwarded to `fetch` and to a KMS client's `send`, and clean-up (such as the rollback of a
 * half-made KMS key) still runs.
 *
 * @example
 * ```ts
 * await provider.getKey(kid, undefined, { signal: AbortSignal.timeout(2_000) });
 * ```
 */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/**
 * Key bytes or key objects as applications hold them: PEM text, DER/raw bytes or UTF-8 JWK JSON
 * (`Uint8Array`), a `node:crypto` `KeyObject`, a WebCrypto `CryptoKey` (extractable), or a JWK object.
 *
 * @example
 * ```ts
 * const input: KeyInput = readFileSync("key.pem", "utf8");
 * ```
 */
export type KeyInput = Uint8Array | string | KeyObject | webcrypto.CryptoKey | Jwk;

/**
 * How to read {@link KeyInput} bytes where they are ambiguous (a 32-byte string of bytes could be
 * a raw key or DER). Without it, PEM, JWK JSON, DER and raw keys are told apart by their shape.
 *
 * @example
 * ```ts
 * const format: KeyInputFormat = "raw";
 * ```
 */
export type KeyInputFormat = "pem" | "der" | "raw" | "jwk";

/**
 * Options of {@link KeyProvider.importKey}.
 *
 * @example
 * ```ts
 * await provider.importKey(spec, undefined, { public: spkiPem });        // verification-only key
 * await provider.importKey(spec, pkcs8Pem, { kid: existingKid });        // next version of a kid
 * await provider.importKey(spec, seed, { format: "raw", kid: "k1", version: 7 });
 * ```
 */
export interface ImportKeyOptions extends CallOptions {
  /** The public key. Alone, it makes a verification-only (or encryption-only) key. */
  readonly public?: KeyInput;
  /** How to read `material` and `public` when they are bytes. */
  readonly format?: KeyInputFormat;
  /** Add a version to this kid, or create it (1–128 characters of `A-Z a-z 0-9 _ -`). */
  readonly kid?: string;
  /** Import as exactly this version; refused with `KeyExistsError` if it is taken or was destroyed. */
  readonly version?: number;
  /** Make the imported version primary (default `true`); `false` stages it. */
  readonly activate?: boolean;
  /** Accept an RSA public exponent below 65537 (3, 17, …). Even exponents and 1 are always refused. */
  readonly allowSmallRsaExponent?: boolean;
}

/**
 * The parts of a spec a rotation may change. Algorithm and class always stay the same, and the
 * export policy may only get stricter.
 *
 * @example
 * ```ts
 * const overrides: RotationOverrides = { sizeBits: 4096, label: "api-signing-2027" };
 * ```
 */
export interface RotationOverrides extends KeySpecCommon {
  readonly sizeBits?: RsaKeySize;
  readonly encoding?: "PEM" | "DER";
  readonly publicFormat?: "SubjectPublicKeyInfo" | "Raw";
  readonly privateFormat?: "PKCS8" | "Raw";
}

/**
 * Options of {@link KeyProvider.rotateKey}.
 *
 * @example
 * ```ts
 * const staged = await provider.rotateKey(kid, { activate: false }); // publish first, sign later
 * ```
 */
export interface RotateKeyOptions extends CallOptions {
  readonly specOverrides?: RotationOverrides;
  /** Make the new version primary at once (default `true`); `false` stages it. */
  readonly activate?: boolean;
}

/**
 * Options of {@link KeyProvider.getKey}.
 *
 * @example
 * ```ts
 * const { material } = await provider.getKey(kid, undefined, { includeSecret: true });
 * ```
 */
export interface GetKeyOptions extends CallOptions {
  /** Return the secret, if the key's export policy is `SECRET_WHEN_ALLOWED`. Default `false`. */
  readonly includeSecret?: boolean;
}

/**
 * Options of {@link KeyProvider.exportKey}.
 *
 * @example
 * ```ts
 * const pem = await provider.exportKey(kid, { format: "pem" });
 * ```
 */
export interface ExportKeyOptions extends CallOptions {
  readonly format: "pem" | "der" | "jwk";
  /** Default: the primary version. */
  readonly version?: number;
  /** The private key or secret instead of the public key; only under `SECRET_WHEN_ALLOWED`. */
  readonly private?: boolean;
}

/**
 * Options of {@link KeyProvider.listKeys}.
 *
 * @example
 * ```ts
 * await provider.listKeys({ prefix: "3f" });
 * ```
 */
export interface ListKeysOptions extends CallOptions {
  readonly prefix?: string;
}

/**
 * Options of {@link KeyProvider.jwks}.
 *
 * @example
 * ```ts
 * await provider.jwks({ allVersions: true });
 * ```
 */
export interface JwksOptions extends CallOptions {
  /** Only keys whose bare kid starts with this string. */
  readonly prefixKids?: string;
  /** Every live version instead of the primary and any newer staged version of each kid. */
  readonly allVersions?: boolean;
}

/**
 * Options of the key operations that take a version.
 *
 * @example
 * ```ts
 * await provider.sign(kid, data, { version: 2 });
 * ```
 */
export interface KeyOperationOptions extends CallOptions {
  /** Default: the primary version. */
  readonly version?: number;
}

/**
 * Options of {@link KeyProvider.encrypt}.
 *
 * @example
 * ```ts
 * await provider.encrypt(kid, plaintext, { aad: new TextEncoder().encode("user:42") });
 * ```
 */
export interface EncryptOptions extends KeyOperationOptions {
  /** Associated data: authenticated, not encrypted; `decrypt` needs the same bytes. */
  readonly aad?: Uint8Array;
}

/**
 * Options of {@link KeyProvider.decrypt}. The version comes from the ciphertext.
 *
 * @example
 * ```ts
 * await provider.decrypt(kid, ciphertext, { aad: new TextEncoder().encode("user:42") });
 * ```
 */
export interface DecryptOptions extends CallOptions {
  readonly aad?: Uint8Array;
}

/**
 * Options of {@link KeyProvider.hkdf}: HKDF-SHA256 per RFC 5869.
 *
 * @example
 * ```ts
 * const okm = await provider.hkdf(ikm, { salt, info: new TextEncoder().encode("ctx"), length: 32 });
 * ```
 */
export interface HkdfOptions extends CallOptions {
  /** Defaults to empty, which RFC 5869 treats as HashLen zero bytes. */
  readonly salt?: Uint8Array;
  /** Context and application specific information. Defaults to empty. */
  readonly info?: Uint8Array;
  /** Output length in bytes, 0..8160. */
  readonly length: number;
}

/**
 * One interface for key lifecycle and key use over interchangeable backends. Every method returns a
 * Promise except `supports()`, and every one takes `{ signal }` in its options.
 *
 * Unknown kids and versions raise `KeyNotFoundError` from every read, from `rotateKey` and from the
 * key operations; `destroyKey` returns `false` for them. What a provider cannot do raises
 * `NotSupportedError`; an operation the key's `uses` do not allow raises `KeyUsageError` before any
 * cryptography. Wrong argument types raise `TypeError`; out-of-range numbers raise `RangeError`.
 * Keys are used where they live: a key with `exportPolicy: "none"` signs, decrypts and agrees
 * without its secret ever leaving the provider.
 *
 * @example
 * ```ts
 * const ref = await provider.createKey({ alg: "ED25519" });
 * const signature = await provider.sign(ref.kid, data);
 * await provider.verify(ref.kid, data, signature); // true
 * const jwks = await provider.jwks();
 * ```
 */
export interface KeyProvider {
  /** The provider's canonical name, such as `"LocalKeyProvider"`. */
  readonly name: string;
  /** What this provider can do. */
  supports(): ProviderSupports;
  /** Create a new kid at version 1 (its primary). */
  createKey(spec: KeySpec, options?: CallOptions): Promise<KeyRef>;
  /** Import a key as a new kid, or as a version of an existing one. */
  importKey(spec: KeySpec, material?: KeyInput, options?: ImportKeyOptions): Promise<KeyRef>;
  /**
   * Add version `highest + 1` with fresh material and the same spec unless overridden, primary at
   * once unless `activate: false` stages it. The algorithm cannot change and the export policy can
   * only get stricter (`InvalidKeySpecError`); a key imported without its secret cannot be rotated
   * (`NotSupportedError`).
   */
  rotateKey(kid: string, options?: RotateKeyOptions): Promise<KeyRef>;
  /** Make a live version the kid's primary: the one reads and operations without a version use. */
  activateVersion(kid: string, version: number, options?: CallOptions): Promise<KeyRef>;
  /**
   * Remove one version, or every version; `true` only if something was removed. A destroyed version
   * number is never issued again, not even after the whole kid was destroyed and is used again
   * (`"<kid>.<n>"` names one key for good).
   */
  destroyKey(kid: string, version?: number, options?: CallOptions): Promise<boolean>;
  /** One version (default: the primary). */
  getKey(kid: string, version?: number, options?: GetKeyOptions): Promise<KeyRef>;
  /** The public key as PEM text, public by default; the private key only under `SECRET_WHEN_ALLOWED`. */
  exportKey(kid: string, options: ExportKeyOptions & { readonly format: "pem" }): Promise<string>;
  /** The public key as DER bytes (SPKI), or the private key as PKCS#8 DER where the policy allows. */
  exportKey(kid: string, options: ExportKeyOptions & { readonly format: "der" }): Promise<Uint8Array>;
  /** The key as a JWK: public members only unless `private: true` and the policy allows. */
  exportKey(kid: string, options: ExportKeyOptions & { readonly format: "jwk" }): Promise<Jwk>;
  /** The key in a format chosen at run time. */
  exportKey(kid: string, options: ExportKeyOptions): Promise<string | Uint8Array | Jwk>;
  /** Live versions of a kid, ascending. */
  listVersions(kid: string, options?: CallOptions): Promise<number[]>;
  /** The kids this provider holds, sorted. */
  listKeys(options?: ListKeysOptions): Promise<string[]>;
  /** The public JWK of one version (default: the primary). */
  getPublicJwk(kid: string, version?: number, options?: CallOptions): Promise<PublicJwk>;
  /** The JWK Set of asymmetric keys; symmetric keys are never published. */
  jwks(options?: JwksOptions): Promise<Jwks>;
  /**
   * Sign the message `data` (not a digest) and return the signature in JOSE form: Ed25519 64 bytes,
   * ECDSA `r‖s` (64/96/132 bytes), RSA-PSS with MGF1 and a salt of the hash length, RSASSA-PKCS1-v1_5,
   * HMAC-SHA256 32 bytes. Needs use `sign`.
   */
  sign(kid: string, data: Uint8Array, options?: KeyOperationOptions): Promise<Uint8Array>;
  /** `true` if `signature` is valid for `data`; a mismatched or malformed signature is `false`. Needs use `verify`. */
  verify(
    kid: string,
    data: Uint8Array,
    signature: Uint8Array,
    options?: KeyOperationOptions,
  ): Promise<boolean>;
  /** Encrypt into the versioned keyprovider envelope (AES-256-GCM, or hybrid for RSA-OAEP and X25519). Needs use `encrypt`. */
  encrypt(kid: string, plaintext: Uint8Array, options?: EncryptOptions): Promise<Uint8Array>;
  /** Decrypt an envelope made by `encrypt` with this kid; any tampering is one `DecryptionError`. Needs use `decrypt`. */
  decrypt(kid: string, ciphertext: Uint8Array, options?: DecryptOptions): Promise<Uint8Array>;
  /** X25519 agreement with a peer's public key; an all-zero result is refused. Needs use `decaps`. */
  deriveSharedSecret(
    kid: string,
    peerPublicKey: KeyInput,
    options?: KeyOperationOptions,
  ): Promise<Uint8Array>;
  /** `n` CSPRNG bytes, `n` an integer in 0..65536. */
  randomBytes(n: number, options?: CallOptions): Promise<Uint8Array>;
  /** HKDF-SHA256 (RFC 5869). */
  hkdf(ikm: Uint8Array, options: HkdfOptions): Promise<Uint8Array>;
}
