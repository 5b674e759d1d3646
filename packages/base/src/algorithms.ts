import {
  KeyAlg,
  KeyClass,
  KeyType,
  KeyUse,
  jwsAlgorithm,
  type JoseAlgorithm,
  type JwkAlgorithm,
  type PublicJwk,
} from "@keyprovider/core";

/**
 * The RSA modulus sizes keyprovider creates and imports; the first is the default.
 *
 * @example
 * ```ts
 * RSA_KEY_SIZES.includes(2048); // true
 * ```
 */
export const RSA_KEY_SIZES: readonly number[] = Object.freeze([3072, 2048, 4096]);

/**
 * The RSA sizes in words, for messages: `"2048, 3072 or 4096"`.
 *
 * @example
 * ```ts
 * `RSA keys are ${RSA_SIZES_TEXT} bits`;
 * ```
 */
export const RSA_SIZES_TEXT: string = (() => {
  const sorted = [...RSA_KEY_SIZES].sort((a, b) => a - b);
  return `${sorted.slice(0, -1).join(", ")} or ${sorted.at(-1)}`;
})();

/**
 * A hash function by its `node:crypto` name.
 *
 * @example
 * ```ts
 * const hash: HashName = "sha384";
 * ```
 */
export type HashName = "sha256" | "sha384" | "sha512";

/**
 * How a signing algorithm signs, in `node:crypto` terms and in JOSE's.
 *
 * @example
 * ```ts
 * ALGORITHMS.ECDSA_P384_SHA384.signature; // { scheme: "ecdsa", hash: "sha384", length: 96 }
 * ```
 */
export interface SignatureInfo {
  readonly scheme: "eddsa" | "ecdsa" | "rsa-pss" | "rsa-pkcs1" | "hmac";
  /** The digest `node:crypto` is given (`undefined` for Ed25519, which hashes internally). */
  readonly hash: HashName | undefined;
  /** The signature length in JOSE form, where it is fixed (RSA signatures are the modulus length). */
  readonly length: number | undefined;
  /** RSA-PSS salt length: the hash length, as JOSE (RFC 7518 §3.5) and AWS KMS use. */
  readonly saltLength?: number;
}

/**
 * How AWS KMS holds keys of an algorithm (DESIGN §6).
 *
 * @example
 * ```ts
 * ALGORITHMS.RSA_PKCS1_SHA256.kms.keySpec(4096); // "RSA_4096"
 * ```
 */
export interface KmsInfo {
  /** `CreateKey` KeySpec for a size in bits. */
  readonly keySpec: (sizeBits: number | undefined) => string;
  readonly keyUsage: "ENCRYPT_DECRYPT" | "SIGN_VERIFY" | "GENERATE_VERIFY_MAC";
  /** `Sign`/`Verify` SigningAlgorithm. */
  readonly signingAlgorithm?: string;
  /** `GenerateMac`/`VerifyMac` MacAlgorithm. */
  readonly macAlgorithm?: string;
  /** `Encrypt`/`Decrypt` EncryptionAlgorithm. */
  readonly encryptionAlgorithm?: string;
}

/**
 * What keyprovider knows about one algorithm, in one place: every provider reads this table instead
 * of switching on algorithms itself.
 *
 * @example
 * ```ts
 * ALGORITHMS.RSA_PSS_SHA256.jwk; // { kty: "RSA", alg: "PS256", use: "sig" }
 * ```
 */
export interface AlgorithmInfo {
  readonly alg: KeyAlg;
  /** The JOSE (JWA) name: `"EdDSA"`, `"RS256"`, `"A256GCM"`, … */
  readonly jose: JoseAlgorithm;
  readonly klass: typeof KeyClass.symmetric | typeof KeyClass.asymmetric;
  readonly type: KeyType;
  /** The uses that make sense. */
  readonly uses: readonly KeyUse[];
  /** The uses a spec gets when it names none. */
  readonly defaultUses: readonly KeyUse[];
  /** Allowed `sizeBits`; the first is the default. */
  readonly sizes: readonly number[];
  /** The curve of EC and OKP keys: its `node:crypto` name, JWK `crv` and coordinate length. */
  readonly curve?: { readonly node: string; readonly jwk: string; readonly bytes: number };
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
  /** For signing algorithms: how they sign. */
  readonly signature?: SignatureInfo;
  readonly kms: KmsInfo;
}

const SIGN = Object.freeze([KeyUse.SIGN, KeyUse.VERIFY]);
const ENCRYPT = Object.freeze([KeyUse.ENCRYPT, KeyUse.DECRYPT, KeyUse.WRAP, KeyUse.UNWRAP]);
const ENCRYPT_DEFAULT = Object.freeze([KeyUse.ENCRYPT, KeyUse.DECRYPT]);
const rsaKeySpec = (sizeBits: number | undefined) => `RSA_${sizeBits ?? RSA_KEY_SIZES[0]}`;
const fixed = (spec: string) => () => spec;

function rsaSigning(alg: KeyAlg, scheme: "rsa-pss" | "rsa-pkcs1", hash: HashName): AlgorithmInfo {
  const bits = hash.slice(3);
  const jose = jwsAlgorithm(alg) as JwkAlgorithm;
  return {
    alg,
    jose,
    klass: KeyClass.asymmetric,
    type: KeyType.RSA,
    uses: SIGN,
    defaultUses: SIGN,
    sizes: RSA_KEY_SIZES,
    jwk: { kty: "RSA", alg: jose, use: "sig" },
    jwkAlgs: [jose],
    raw: false,
    signature: {
      scheme,
      hash,
      length: undefined,
      ...(scheme === "rsa-pss" ? { saltLength: Number(bits) / 8 } : {}),
    },
    kms: {
      keySpec: rsaKeySpec,
      keyUsage: "SIGN_VERIFY",
      signingAlgorithm: `${scheme === "rsa-pss" ? "RSASSA_PSS" : "RSASSA_PKCS1_V1_5"}_SHA_${bits}`,
    },
  };
}

function ecdsa(alg: KeyAlg, curve: AlgorithmInfo["curve"] & object, hash: HashName): AlgorithmInfo {
  const jose = jwsAlgorithm(alg) as JwkAlgorithm;
  const bits = hash.slice(3);
  return {
    alg,
    jose,
    klass: KeyClass.asymmetric,
    type: KeyType.EC,
    uses: SIGN,
    defaultUses: SIGN,
    sizes: [curve.bytes === 66 ? 521 : curve.bytes * 8],
    curve,
    jwk: { kty: "EC", crv: curve.jwk, alg: jose, use: "sig" },
    jwkAlgs: [jose],
    raw: false,
    signature: { scheme: "ecdsa", hash, length: curve.bytes * 2 },
    kms: {
      keySpec: fixed(`ECC_NIST_${curve.jwk.replace("-", "")}`),
      keyUsage: "SIGN_VERIFY",
      signingAlgorithm: `ECDSA_SHA_${bits}`,
    },
  };
}

/**
 * The algorithm table: class, key type, uses, sizes, JOSE names and JWK publication, signature
 * parameters and the AWS KMS mapping of every {@link KeyAlg}.
 *
 * @example
 * ```ts
 * ALGORITHMS.ED25519.uses;                        // ["sign", "verify"]
 * ALGORITHMS.ECDSA_P521_SHA512.signature?.length; // 132
 * ```
 */
export const ALGORITHMS: Readonly<Record<KeyAlg, AlgorithmInfo>> = Object.freeze({
  [KeyAlg.AES256_GCM]: {
    alg: KeyAlg.AES256_GCM,
    jose: "A256GCM",
    klass: KeyClass.symmetric,
    type: KeyType.SYMMETRIC,
    uses: ENCRYPT,
    defaultUses: ENCRYPT_DEFAULT,
    sizes: [256],
    jwkAlgs: ["A256GCM", "A256GCMKW", "A256KW", "dir"],
    raw: true,
    kms: {
      keySpec: fixed("SYMMETRIC_DEFAULT"),
      keyUsage: "ENCRYPT_DECRYPT",
      encryptionAlgorithm: "SYMMETRIC_DEFAULT",
    },
  },
  [KeyAlg.HMAC_SHA256]: {
    alg: KeyAlg.HMAC_SHA256,
    jose: "HS256",
    klass: KeyClass.symmetric,
    type: KeyType.SYMMETRIC,
    uses: SIGN,
    defaultUses: SIGN,
    sizes: [256],
    jwkAlgs: ["HS256"],
    raw: true,
    signature: { scheme: "hmac", hash: "sha256", length: 32 },
    kms: { keySpec: fixed("HMAC_256"), keyUsage: "GENERATE_VERIFY_MAC", macAlgorithm: "HMAC_SHA_256" },
  },
  [KeyAlg.ED25519]: {
    alg: KeyAlg.ED25519,
    jose: "EdDSA",
    klass: KeyClass.asymmetric,
    type: KeyType.ED25519,
    uses: SIGN,
    defaultUses: SIGN,
    sizes: [256],
    curve: { node: "ed25519", jwk: "Ed25519", bytes: 32 },
    jwk: { kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" },
    jwkAlgs: ["EdDSA", "Ed25519"],
    raw: true,
    signature: { scheme: "eddsa", hash: undefined, length: 64 },
    kms: {
      keySpec: fixed("ECC_NIST_EDWARDS25519"),
      keyUsage: "SIGN_VERIFY",
      signingAlgorithm: "ED25519_SHA_512",
    },
  },
  [KeyAlg.X25519]: {
    alg: KeyAlg.X25519,
    jose: "ECDH-ES",
    klass: KeyClass.asymmetric,
    type: KeyType.X25519,
    uses: Object.freeze([...ENCRYPT, KeyUse.ENCAPS, KeyUse.DECAPS]),
    defaultUses: Object.freeze([KeyUse.ENCRYPT, KeyUse.DECRYPT, KeyUse.DECAPS]),
    sizes: [256],
    curve: { node: "x25519", jwk: "X25519", bytes: 32 },
    jwk: { kty: "OKP", crv: "X25519", alg: "ECDH-ES", use: "enc" },
    jwkAlgs: ["ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW"],
    raw: true,
    kms: { keySpec: fixed("ECC_NIST_EDWARDS25519"), keyUsage: "ENCRYPT_DECRYPT" },
  },
  [KeyAlg.RSA_OAEP_SHA256]: {
    alg: KeyAlg.RSA_OAEP_SHA256,
    jose: "RSA-OAEP-256",
    klass: KeyClass.asymmetric,
    type: KeyType.RSA,
    uses: ENCRYPT,
    defaultUses: ENCRYPT_DEFAULT,
    sizes: RSA_KEY_SIZES,
    jwk: { kty: "RSA", alg: "RSA-OAEP-256", use: "enc" },
    jwkAlgs: ["RSA-OAEP-256"],
    raw: false,
    kms: { keySpec: rsaKeySpec, keyUsage: "ENCRYPT_DECRYPT", encryptionAlgorithm: "RSAES_OAEP_SHA_256" },
  },
  [KeyAlg.RSA_PSS_SHA256]: rsaSigning(KeyAlg.RSA_PSS_SHA256, "rsa-pss", "sha256"),
  [KeyAlg.RSA_PSS_SHA384]: rsaSigning(KeyAlg.RSA_PSS_SHA384, "rsa-pss", "sha384"),
  [KeyAlg.RSA_PSS_SHA512]: rsaSigning(KeyAlg.RSA_PSS_SHA512, "rsa-pss", "sha512"),
  [KeyAlg.RSA_PKCS1_SHA256]: rsaSigning(KeyAlg.RSA_PKCS1_SHA256, "rsa-pkcs1", "sha256"),
  [KeyAlg.RSA_PKCS1_SHA384]: rsaSigning(KeyAlg.RSA_PKCS1_SHA384, "rsa-pkcs1", "sha384"),
  [KeyAlg.RSA_PKCS1_SHA512]: rsaSigning(KeyAlg.RSA_PKCS1_SHA512, "rsa-pkcs1", "sha512"),
  [KeyAlg.ECDSA_P256_SHA256]: ecdsa(
    KeyAlg.ECDSA_P256_SHA256,
    { node: "prime256v1", jwk: "P-256", bytes: 32 },
    "sha256",
  ),
  [KeyAlg.ECDSA_P384_SHA384]: ecdsa(
    KeyAlg.ECDSA_P384_SHA384,
    { node: "secp384r1", jwk: "P-384", bytes: 48 },
    "sha384",
  ),
  [KeyAlg.ECDSA_P521_SHA512]: ecdsa(
    KeyAlg.ECDSA_P521_SHA512,
    { node: "secp521r1", jwk: "P-521", bytes: 66 },
    "sha512",
  ),
} satisfies Record<KeyAlg, AlgorithmInfo>);

/**
 * Every name `algorithmInfo` answers, built once (a lookup per token header must not scan the table):
 * our names win over JOSE names, the first algorithm with a JOSE name wins, and "Ed25519" (RFC 8037's
 * curve name, which some issuers put in `alg`) means ED25519.
 */
const BY_NAME: ReadonlyMap<string, AlgorithmInfo> = (() => {
  const byName = new Map<string, AlgorithmInfo>();
  for (const info of Object.values(ALGORITHMS)) if (!byName.has(info.jose)) byName.set(info.jose, info);
  if (!byName.has("Ed25519")) byName.set("Ed25519", ALGORITHMS.ED25519);
  for (const [alg, info] of Object.entries(ALGORITHMS)) byName.set(alg, info);
  return byName;
})();

/**
 * The algorithm table entry of a key algorithm or of its JOSE name, or `undefined`.
 *
 * @example
 * ```ts
 * algorithmInfo("ES256")?.alg; // "ECDSA_P256_SHA256"
 * ```
 */
export function algorithmInfo(name: string): AlgorithmInfo | undefined {
  return BY_NAME.get(name);
}

/**
 * The algorithms whose public key is an RSA key, an EC key on a curve, or an OKP key on a curve:
 * what a JWK without `alg` may be used for.
 *
 * @example
 * ```ts
 * algorithmsForKey("EC", "P-384"); // ["ECDSA_P384_SHA384"]
 * ```
 */
export function algorithmsForKey(kty: string, crv?: string): KeyAlg[] {
  return Object.values(ALGORITHMS)
    .filter((info) => info.jwk?.kty === kty && (info.jwk.crv === undefined || info.jwk.crv === crv))
    .map((info) => info.alg);
}
