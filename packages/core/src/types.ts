import type { ExportPolicy, KeyAlg, KeyClass, KeyType, KeyUse, ProviderFeature } from "./constants.js";

/**
 * What to create or import: class, algorithm, uses, export policy and optional encodings.
 *
 * @example
 * ```ts
 * import type { KeySpec } from "@keyprovider/core";
 * const spec: KeySpec = {
 *   klass: "asym",
 *   alg: "RSA_PSS_SHA256",
 *   uses: ["sign", "verify"],
 *   exportPolicy: "public_only",
 *   sizeBits: 3072,
 *   label: "api-signing",
 * };
 * ```
 */
export interface KeySpec {
  readonly klass: KeyClass;
  readonly alg: KeyAlg;
  readonly uses: readonly KeyUse[];
  readonly exportPolicy: ExportPolicy;
  /** RSA modulus size: 2048, 3072 or 4096; default 3072. Other algorithms have a fixed size. */
  readonly sizeBits?: number;
  /** How `KeyRef.public` and `KeyRef.material` are encoded when not raw. Default `"PEM"`. */
  readonly encoding?: "PEM" | "DER";
  /** Form of `KeyRef.public`. `"Raw"` is the 32-byte key for Ed25519 and X25519 only. */
  readonly publicFormat?: "SubjectPublicKeyInfo" | "Raw";
  /** Form of `KeyRef.material`. `"Raw"` is the 32-byte seed for Ed25519/X25519, or the secret of a symmetric key. */
  readonly privateFormat?: "PKCS8" | "Raw";
  /** A human name, returned in `KeyRef.tags.label`. */
  readonly label?: string;
  /** Free-form string tags, returned in `KeyRef.tags`. */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * A frozen description of one version of a key. Secret `material` is present only where the
 * export policy allows it, and never appears in `JSON.stringify(ref)`, `String(ref)` or
 * `util.inspect(ref)`.
 *
 * @example
 * ```ts
 * const ref = await provider.getKey(kid);
 * console.log(ref); // KeyRef { kid: '…', version: 2, alg: 'ED25519', … } — no secret
 * ```
 */
export interface KeyRef {
  /** 32 lowercase hex characters from a CSPRNG, never derived from the key. */
  readonly kid: string;
  /** Positive integer; versions of one kid count up from 1. */
  readonly version: number;
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
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of the public JWK, or of the `oct` JWK for secrets. */
  readonly fingerprint: string;
}

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
 * The JWA algorithm names providers put in a published JWK's `alg`.
 *
 * @example
 * ```ts
 * const alg: JwkAlgorithm = "EdDSA";
 * ```
 */
export type JwkAlgorithm = "EdDSA" | "ES256" | "PS256" | "RSA-OAEP-256" | "ECDH-ES";

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
 * if (provider.supports().algs.includes("ED25519")) { … }
 * ```
 */
export interface ProviderSupports {
  readonly class: readonly KeyClass[];
  readonly algs: readonly KeyAlg[];
  readonly features: readonly ProviderFeature[];
}

/**
 * Options of {@link KeyProvider.importKey}.
 *
 * @example
 * ```ts
 * await provider.importKey(spec, undefined, { public: spkiPem });        // verification-only key
 * await provider.importKey(spec, pkcs8Pem, { kid: existingKid });        // next version of a kid
 * await provider.importKey(spec, pkcs8Pem, { kid: existingKid, version: 7 });
 * ```
 */
export interface ImportKeyOptions {
  /** Public key bytes (PEM, DER, raw or JWK JSON). Alone, they make a verification-only key. */
  readonly public?: Uint8Array;
  /** Add a version to this kid, or create it. */
  readonly kid?: string;
  /** Import as exactly this version; refused with `KeyExistsError` if it is taken. */
  readonly version?: number;
}

/**
 * The parts of a spec a rotation may change. Algorithm and class always stay the same.
 *
 * @example
 * ```ts
 * const overrides: RotationOverrides = { sizeBits: 4096, label: "api-signing-2027" };
 * ```
 */
export type RotationOverrides = Partial<Omit<KeySpec, "klass" | "alg">>;

/**
 * Options of {@link KeyProvider.rotateKey}.
 *
 * @example
 * ```ts
 * await provider.rotateKey(kid, { specOverrides: { sizeBits: 4096 } });
 * ```
 */
export interface RotateKeyOptions {
  readonly specOverrides?: RotationOverrides;
}

/**
 * Options of {@link KeyProvider.getKey}.
 *
 * @example
 * ```ts
 * const { material } = await provider.getKey(kid, undefined, { includeSecret: true });
 * ```
 */
export interface GetKeyOptions {
  /** Return the secret, if the key's export policy is `SECRET_WHEN_ALLOWED`. Default `false`. */
  readonly includeSecret?: boolean;
}

/**
 * Options of {@link KeyProvider.listKeys}.
 *
 * @example
 * ```ts
 * await provider.listKeys({ prefix: "3f" });
 * ```
 */
export interface ListKeysOptions {
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
export interface JwksOptions {
  /** Only keys whose bare kid starts with this string. */
  readonly prefixKids?: string;
  /** Every live version instead of only the latest of each kid. */
  readonly allVersions?: boolean;
}

/**
 * Options of {@link KeyProvider.hkdf}: HKDF-SHA256 per RFC 5869.
 *
 * @example
 * ```ts
 * const okm = await provider.hkdf(ikm, { salt, info: new TextEncoder().encode("ctx"), length: 32 });
 * ```
 */
export interface HkdfOptions {
  /** Defaults to empty, which RFC 5869 treats as HashLen zero bytes. */
  readonly salt?: Uint8Array;
  /** Context and application specific information. Defaults to empty. */
  readonly info?: Uint8Array;
  /** Output length in bytes, 0..8160. */
  readonly length: number;
}

/**
 * One interface for key lifecycle over interchangeable backends. Every method returns a Promise
 * except `supports()`.
 *
 * Unknown kids and versions raise `KeyNotFoundError` from every read and from `rotateKey`;
 * `destroyKey` returns `false` for them. What a provider cannot do raises `NotSupportedError`.
 * Wrong argument types raise `TypeError`; out-of-range numbers raise `RangeError`.
 *
 * @example
 * ```ts
 * const ref = await provider.createKey({
 *   klass: "asym", alg: "ED25519", uses: ["sign", "verify"], exportPolicy: "public_only",
 * });
 * const jwks = await provider.jwks();
 * ```
 */
export interface KeyProvider {
  /** What this provider can do. */
  supports(): ProviderSupports;
  /** Create a new kid at version 1. */
  createKey(spec: KeySpec): Promise<KeyRef>;
  /** Import material and/or a public key, as a new kid or as a version of an existing one. */
  importKey(spec: KeySpec, material?: Uint8Array, options?: ImportKeyOptions): Promise<KeyRef>;
  /**
   * Add version `highest + 1` with fresh material and the same spec unless overridden. The algorithm
   * cannot change and the export policy can only get stricter (`InvalidKeySpecError`); a key imported
   * without its secret cannot be rotated (`NotSupportedError`).
   */
  rotateKey(kid: string, options?: RotateKeyOptions): Promise<KeyRef>;
  /**
   * Remove one version, or every version; `true` only if something was removed. A destroyed version
   * number is never issued again while the kid exists.
   */
  destroyKey(kid: string, version?: number): Promise<boolean>;
  /** One version (default: the latest). */
  getKey(kid: string, version?: number, options?: GetKeyOptions): Promise<KeyRef>;
  /** Live versions of a kid, ascending. */
  listVersions(kid: string): Promise<number[]>;
  /** The kids this provider holds, sorted. */
  listKeys(options?: ListKeysOptions): Promise<string[]>;
  /** The public JWK of one version (default: the latest). */
  getPublicJwk(kid: string, version?: number): Promise<PublicJwk>;
  /** The JWK Set of asymmetric keys; symmetric keys are never published. */
  jwks(options?: JwksOptions): Promise<Jwks>;
  /** `n` CSPRNG bytes, `n` an integer in 0..65536. */
  randomBytes(n: number): Promise<Uint8Array>;
  /** HKDF-SHA256 (RFC 5869). */
  hkdf(ikm: Uint8Array, options: HkdfOptions): Promise<Uint8Array>;
}
