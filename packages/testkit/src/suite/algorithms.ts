import { KeyAlg, KeyType, KeyUse, keyAlgFromJws, type KeySpec } from "@keyprovider/core";

/** How a signing algorithm signs, as the contract states it (DESIGN §3), in node:crypto terms. */
export interface ExpectedSignature {
  readonly scheme: "eddsa" | "ecdsa" | "rsa-pss" | "rsa-pkcs1" | "hmac";
  /** The digest; `null` for Ed25519, which hashes internally. */
  readonly hash: "sha256" | "sha384" | "sha512" | null;
  /** JOSE signature length in bytes where it is fixed (RSA: the modulus length). */
  readonly length: number | undefined;
  /** RSA-PSS: the salt is the hash length. */
  readonly saltLength?: number;
}

/** What the contract says about one algorithm, written independently of any implementation. */
export interface ExpectedAlgorithm {
  readonly klass: "sym" | "asym";
  readonly type: KeyType;
  /** Every use that makes sense; anything else is refused at create. */
  readonly uses: readonly KeyUse[];
  /** The uses a spec without `uses` gets. */
  readonly defaultUses: readonly KeyUse[];
  /** The JOSE name; `createKey` accepts it as `alg`. */
  readonly jose: string;
  /** How the public key is published (asymmetric keys only). */
  readonly jwk?: {
    readonly kty: "OKP" | "EC" | "RSA";
    readonly crv?: string;
    readonly alg: string;
    readonly use: "sig" | "enc";
  };
  readonly signature?: ExpectedSignature;
  /** The envelope's algorithm id (DESIGN §7.6) for algorithms that encrypt. */
  readonly envelopeId?: 1 | 2 | 3;
  /** X25519: `deriveSharedSecret`, gated by `decaps`. */
  readonly agrees?: boolean;
  /** The node:crypto key type and EC curve of the key. */
  readonly node?: { readonly type: "ed25519" | "x25519" | "ec" | "rsa"; readonly namedCurve?: string };
}

const SIGNING = [KeyUse.SIGN, KeyUse.VERIFY] as const;
const ENCRYPTING = [KeyUse.ENCRYPT, KeyUse.DECRYPT, KeyUse.WRAP, KeyUse.UNWRAP] as const;
const ENCRYPT_DEFAULT = [KeyUse.ENCRYPT, KeyUse.DECRYPT] as const;

function rsaSigning(jose: string, scheme: "rsa-pss" | "rsa-pkcs1", bits: 256 | 384 | 512): ExpectedAlgorithm {
  return {
    klass: "asym",
    type: KeyType.RSA,
    uses: SIGNING,
    defaultUses: SIGNING,
    jose,
    jwk: { kty: "RSA", alg: jose, use: "sig" },
    signature: {
      scheme,
      hash: `sha${bits}`,
      length: undefined,
      ...(scheme === "rsa-pss" ? { saltLength: bits / 8 } : {}),
    },
    node: { type: "rsa" },
  };
}

function ecdsa(
  jose: string,
  crv: string,
  namedCurve: string,
  bits: 256 | 384 | 512,
  length: number,
): ExpectedAlgorithm {
  return {
    klass: "asym",
    type: KeyType.EC,
    uses: SIGNING,
    defaultUses: SIGNING,
    jose,
    jwk: { kty: "EC", crv, alg: jose, use: "sig" },
    signature: { scheme: "ecdsa", hash: `sha${bits}`, length },
    node: { type: "ec", namedCurve },
  };
}

/** The contract per algorithm. */
export const EXPECTED: Readonly<Record<KeyAlg, ExpectedAlgorithm>> = {
  [KeyAlg.AES256_GCM]: {
    klass: "sym",
    type: KeyType.SYMMETRIC,
    uses: ENCRYPTING,
    defaultUses: ENCRYPT_DEFAULT,
    jose: "A256GCM",
    envelopeId: 1,
  },
  [KeyAlg.HMAC_SHA256]: {
    klass: "sym",
    type: KeyType.SYMMETRIC,
    uses: SIGNING,
    defaultUses: SIGNING,
    jose: "HS256",
    signature: { scheme: "hmac", hash: "sha256", length: 32 },
  },
  [KeyAlg.ED25519]: {
    klass: "asym",
    type: KeyType.ED25519,
    uses: SIGNING,
    defaultUses: SIGNING,
    jose: "EdDSA",
    jwk: { kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" },
    signature: { scheme: "eddsa", hash: null, length: 64 },
    node: { type: "ed25519" },
  },
  [KeyAlg.X25519]: {
    klass: "asym",
    type: KeyType.X25519,
    uses: [...ENCRYPTING, KeyUse.ENCAPS, KeyUse.DECAPS],
    defaultUses: [KeyUse.ENCRYPT, KeyUse.DECRYPT, KeyUse.DECAPS],
    jose: "ECDH-ES",
    jwk: { kty: "OKP", crv: "X25519", alg: "ECDH-ES", use: "enc" },
    envelopeId: 3,
    agrees: true,
    node: { type: "x25519" },
  },
  [KeyAlg.RSA_OAEP_SHA256]: {
    klass: "asym",
    type: KeyType.RSA,
    uses: ENCRYPTING,
    defaultUses: ENCRYPT_DEFAULT,
    jose: "RSA-OAEP-256",
    jwk: { kty: "RSA", alg: "RSA-OAEP-256", use: "enc" },
    envelopeId: 2,
    node: { type: "rsa" },
  },
  [KeyAlg.RSA_PSS_SHA256]: rsaSigning("PS256", "rsa-pss", 256),
  [KeyAlg.RSA_PSS_SHA384]: rsaSigning("PS384", "rsa-pss", 384),
  [KeyAlg.RSA_PSS_SHA512]: rsaSigning("PS512", "rsa-pss", 512),
  [KeyAlg.RSA_PKCS1_SHA256]: rsaSigning("RS256", "rsa-pkcs1", 256),
  [KeyAlg.RSA_PKCS1_SHA384]: rsaSigning("RS384", "rsa-pkcs1", 384),
  [KeyAlg.RSA_PKCS1_SHA512]: rsaSigning("RS512", "rsa-pkcs1", 512),
  [KeyAlg.ECDSA_P256_SHA256]: ecdsa("ES256", "P-256", "prime256v1", 256, 64),
  [KeyAlg.ECDSA_P384_SHA384]: ecdsa("ES384", "P-384", "secp384r1", 384, 96),
  [KeyAlg.ECDSA_P521_SHA512]: ecdsa("ES512", "P-521", "secp521r1", 512, 132),
};

/** The canonical `KeyAlg` of a spec, whose `alg` may be the JOSE name. */
export function algOf(spec: KeySpec): KeyAlg {
  const alg = spec.alg as string;
  if (Object.hasOwn(EXPECTED, alg)) return alg as KeyAlg;
  const fromJose = keyAlgFromJws(alg);
  if (fromJose === undefined)
    throw new TypeError(`describeKeyProvider: ${JSON.stringify(alg).slice(0, 40)} is not an algorithm`);
  return fromJose;
}

/** The class of a spec: as given, or derived from its algorithm. */
export function klassOf(spec: KeySpec): "sym" | "asym" | "opaque" {
  return spec.klass ?? EXPECTED[algOf(spec)].klass;
}

/** The uses a spec asks for, with the algorithm's defaults filled in. */
export function usesOf(spec: KeySpec): readonly KeyUse[] {
  if (spec.uses !== undefined) return spec.uses;
  return klassOf(spec) === "opaque" ? [] : EXPECTED[algOf(spec)].defaultUses;
}

/** What the suite calls a spec in test names: `asym ED25519/2048 DER raw`. */
export function specName(spec: KeySpec): string {
  const size = "sizeBits" in spec && spec.sizeBits !== undefined ? `/${spec.sizeBits}` : "";
  const encoding = "encoding" in spec && spec.encoding !== undefined ? ` ${spec.encoding}` : "";
  const raw =
    ("publicFormat" in spec && spec.publicFormat === "Raw") || spec.privateFormat === "Raw" ? " raw" : "";
  const uses = spec.uses === undefined ? "" : ` [${spec.uses.join(",")}]`;
  return `${klassOf(spec)} ${algOf(spec)}${size}${encoding}${raw}${uses}`;
}
