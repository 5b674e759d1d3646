import { KeyAlg } from "./constants.js";

/**
 * The JWA (RFC 7518, RFC 8037) name of every {@link KeyAlg}, as `jwsAlgorithm` returns it.
 *
 * @example
 * ```ts
 * const name: JoseAlgorithmOf<"ECDSA_P384_SHA384"> = "ES384";
 * ```
 */
export interface JoseAlgorithms {
  readonly AES256_GCM: "A256GCM";
  readonly ED25519: "EdDSA";
  readonly X25519: "ECDH-ES";
  readonly HMAC_SHA256: "HS256";
  readonly RSA_OAEP_SHA256: "RSA-OAEP-256";
  readonly RSA_PSS_SHA256: "PS256";
  readonly RSA_PSS_SHA384: "PS384";
  readonly RSA_PSS_SHA512: "PS512";
  readonly RSA_PKCS1_SHA256: "RS256";
  readonly RSA_PKCS1_SHA384: "RS384";
  readonly RSA_PKCS1_SHA512: "RS512";
  readonly ECDSA_P256_SHA256: "ES256";
  readonly ECDSA_P384_SHA384: "ES384";
  readonly ECDSA_P521_SHA512: "ES512";
}

/**
 * The JOSE name of a {@link KeyAlg}.
 *
 * @example
 * ```ts
 * type T = JoseAlgorithmOf<"ED25519">; // "EdDSA"
 * ```
 */
export type JoseAlgorithmOf<A extends KeyAlg> = JoseAlgorithms[A];

/**
 * Every JOSE algorithm name keyprovider maps to a {@link KeyAlg}.
 *
 * @example
 * ```ts
 * const alg: JoseAlgorithm = "RS256";
 * ```
 */
export type JoseAlgorithm = JoseAlgorithms[KeyAlg];

/**
 * The JWS signature algorithms keyprovider signs and verifies: `alg` values of a JWT header.
 *
 * @example
 * ```ts
 * const alg: JwsAlgorithm = "ES256";
 * ```
 */
export type JwsAlgorithm = JoseAlgorithmOf<
  | typeof KeyAlg.ED25519
  | typeof KeyAlg.HMAC_SHA256
  | typeof KeyAlg.RSA_PSS_SHA256
  | typeof KeyAlg.RSA_PSS_SHA384
  | typeof KeyAlg.RSA_PSS_SHA512
  | typeof KeyAlg.RSA_PKCS1_SHA256
  | typeof KeyAlg.RSA_PKCS1_SHA384
  | typeof KeyAlg.RSA_PKCS1_SHA512
  | typeof KeyAlg.ECDSA_P256_SHA256
  | typeof KeyAlg.ECDSA_P384_SHA384
  | typeof KeyAlg.ECDSA_P521_SHA512
>;

const JOSE: JoseAlgorithms = Object.freeze({
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
});

const FROM_JOSE: ReadonlyMap<string, KeyAlg> = new Map([
  ...Object.entries(JOSE).map(([alg, jose]) => [jose, alg as KeyAlg] as const),
  // RFC 9864's fully-specified name for EdDSA over Ed25519, which jose also accepts.
  ["Ed25519", KeyAlg.ED25519] as const,
]);

/**
 * The JOSE (JWA) name of a key algorithm: what a JWT header's `alg` or a JWK's `alg` says for it.
 *
 * @example
 * ```ts
 * import { jwsAlgorithm } from "@keyprovider/core";
 * jwsAlgorithm("RSA_PKCS1_SHA256"); // "RS256"
 * jwsAlgorithm("ECDSA_P521_SHA512"); // "ES512"
 * ```
 */
export function jwsAlgorithm<A extends KeyAlg>(alg: A): JoseAlgorithmOf<A> {
  const name = (JOSE as unknown as Record<string, string>)[alg];
  if (typeof name !== "string" || !Object.hasOwn(JOSE, alg)) {
    throw new TypeError(`jwsAlgorithm: ${String(alg).slice(0, 40)} is not a KeyAlg`);
  }
  return name as JoseAlgorithmOf<A>;
}

/**
 * The key algorithm of a JOSE algorithm name, or `undefined` for a name keyprovider does not
 * implement (`"none"`, `"HS384"`, …). `"Ed25519"` (RFC 9864) maps to `ED25519` like `"EdDSA"`.
 *
 * @example
 * ```ts
 * import { keyAlgFromJws } from "@keyprovider/core";
 * keyAlgFromJws("ES256"); // "ECDSA_P256_SHA256"
 * keyAlgFromJws("none");  // undefined
 * ```
 */
export function keyAlgFromJws(name: string): KeyAlg | undefined {
  return typeof name === "string" ? FROM_JOSE.get(name) : undefined;
}

/**
 * JWK members that carry private or secret key material (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037):
 * the one list every check uses.
 *
 * @example
 * ```ts
 * import { PRIVATE_JWK_MEMBERS } from "@keyprovider/core";
 *
 * PRIVATE_JWK_MEMBERS.some((member) => Object.hasOwn(jwk, member)); // true for a private JWK
 * ```
 */
export const PRIVATE_JWK_MEMBERS: readonly string[] = Object.freeze([
  "d",
  "p",
  "q",
  "dp",
  "dq",
  "qi",
  "oth",
  "k",
]);
