/** The key specs this endpoint creates (KMS also has ECC_SECG_P256K1, SM2, ML_DSA_* and ML_KEM_*). */
export const KEY_SPECS = [
  "SYMMETRIC_DEFAULT",
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "ECC_NIST_P256",
  "ECC_NIST_P384",
  "ECC_NIST_P521",
  "ECC_NIST_EDWARDS25519",
  "HMAC_224",
  "HMAC_256",
  "HMAC_384",
  "HMAC_512",
] as const;
export type KeySpec = (typeof KEY_SPECS)[number];

/** Every KeySpec value of the KMS API, so an unsupported one is told apart from a malformed one. */
export const AWS_KEY_SPECS: readonly string[] = [
  ...KEY_SPECS,
  "ECC_SECG_P256K1",
  "SM2",
  "ML_DSA_44",
  "ML_DSA_65",
  "ML_DSA_87",
  "ML_KEM_512",
  "ML_KEM_768",
  "ML_KEM_1024",
];

export const KEY_USAGES = [
  "SIGN_VERIFY",
  "ENCRYPT_DECRYPT",
  "GENERATE_VERIFY_MAC",
  "KEY_AGREEMENT",
  "ENCAPSULATE_DECAPSULATE",
] as const;
export type KeyUsage = (typeof KEY_USAGES)[number];

export const SIGNING_ALGORITHMS = [
  "RSASSA_PSS_SHA_256",
  "RSASSA_PSS_SHA_384",
  "RSASSA_PSS_SHA_512",
  "RSASSA_PKCS1_V1_5_SHA_256",
  "RSASSA_PKCS1_V1_5_SHA_384",
  "RSASSA_PKCS1_V1_5_SHA_512",
  "ECDSA_SHA_256",
  "ECDSA_SHA_384",
  "ECDSA_SHA_512",
  "ED25519_SHA_512",
  "ED25519_PH_SHA_512",
  "SM2DSA",
  "ML_DSA_SHAKE_256",
] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export const ENCRYPTION_ALGORITHMS = [
  "SYMMETRIC_DEFAULT",
  "RSAES_OAEP_SHA_1",
  "RSAES_OAEP_SHA_256",
  "SM2PKE",
] as const;
export type EncryptionAlgorithm = (typeof ENCRYPTION_ALGORITHMS)[number];

export const MAC_ALGORITHMS = ["HMAC_SHA_224", "HMAC_SHA_256", "HMAC_SHA_384", "HMAC_SHA_512"] as const;
export type MacAlgorithm = (typeof MAC_ALGORITHMS)[number];

/** What a key spec may be used for, and the algorithms each usage offers (as DescribeKey lists them). */
interface SpecRules {
  readonly family: "symmetric" | "rsa" | "ecc" | "hmac";
  readonly usages: Partial<
    Record<
      KeyUsage,
      {
        readonly SigningAlgorithms?: readonly SigningAlgorithm[];
        readonly EncryptionAlgorithms?: readonly EncryptionAlgorithm[];
        readonly MacAlgorithms?: readonly MacAlgorithm[];
      }
    >
  >;
}

const RSA: SpecRules = {
  family: "rsa",
  usages: {
    ENCRYPT_DECRYPT: { EncryptionAlgorithms: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] },
    SIGN_VERIFY: {
      SigningAlgorithms: [
        "RSASSA_PKCS1_V1_5_SHA_256",
        "RSASSA_PKCS1_V1_5_SHA_384",
        "RSASSA_PKCS1_V1_5_SHA_512",
        "RSASSA_PSS_SHA_256",
        "RSASSA_PSS_SHA_384",
        "RSASSA_PSS_SHA_512",
      ],
    },
  },
};

const ecc = (algorithm: SigningAlgorithm): SpecRules => ({
  family: "ecc",
  usages: { SIGN_VERIFY: { SigningAlgorithms: [algorithm] } },
});

const hmac = (algorithm: MacAlgorithm): SpecRules => ({
  family: "hmac",
  usages: { GENERATE_VERIFY_MAC: { MacAlgorithms: [algorithm] } },
});

/**
 * The valid KeySpec/KeyUsage combinations. KMS also allows KEY_AGREEMENT for the NIST curves,
 * which this endpoint does not implement.
 */
export const SPEC_RULES: Readonly<Record<KeySpec, SpecRules>> = {
  SYMMETRIC_DEFAULT: {
    family: "symmetric",
    usages: { ENCRYPT_DECRYPT: { EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"] } },
  },
  RSA_2048: RSA,
  RSA_3072: RSA,
  RSA_4096: RSA,
  ECC_NIST_P256: ecc("ECDSA_SHA_256"),
  ECC_NIST_P384: ecc("ECDSA_SHA_384"),
  ECC_NIST_P521: ecc("ECDSA_SHA_512"),
  ECC_NIST_EDWARDS25519: {
    family: "ecc",
    usages: { SIGN_VERIFY: { SigningAlgorithms: ["ED25519_SHA_512", "ED25519_PH_SHA_512"] } },
  },
  HMAC_224: hmac("HMAC_SHA_224"),
  HMAC_256: hmac("HMAC_SHA_256"),
  HMAC_384: hmac("HMAC_SHA_384"),
  HMAC_512: hmac("HMAC_SHA_512"),
};

/** The algorithm lists DescribeKey and GetPublicKey report for a key of this spec and usage. */
export function algorithmsOf(spec: KeySpec, usage: KeyUsage) {
  return SPEC_RULES[spec].usages[usage] ?? {};
}
