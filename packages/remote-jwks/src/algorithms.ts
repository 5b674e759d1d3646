/**
 * Which JOSE algorithms a public key of a given type can serve. A JWK without `alg` verifies every
 * JWS algorithm of its key type; a JWK with `alg` only that one, and only if it fits the key type.
 */

const RSA_JWS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] as const;

/** JWS algorithms a key verifies, by `kty` and `crv`, when the JWK does not name one. */
function jwsAlgsOf(kty: string, crv: string | undefined): readonly string[] {
  if (kty === "RSA") return RSA_JWS;
  if (kty === "EC") {
    if (crv === "P-256") return ["ES256"];
    if (crv === "P-384") return ["ES384"];
    if (crv === "P-521") return ["ES512"];
    if (crv === "secp256k1") return ["ES256K"];
    return [];
  }
  if (kty === "OKP") {
    if (crv === "Ed25519") return ["EdDSA", "Ed25519"];
    if (crv === "Ed448") return ["EdDSA", "Ed448"];
  }
  return [];
}

/** Whether a JWE key-management algorithm fits the key type (RFC 7518 §4, RFC 8037). */
function fitsJweAlg(alg: string, kty: string, crv: string | undefined): boolean | undefined {
  if (alg === "RSA1_5" || alg.startsWith("RSA-OAEP")) return kty === "RSA";
  if (alg.startsWith("ECDH-ES")) {
    return kty === "EC" || (kty === "OKP" && (crv === "X25519" || crv === "X448"));
  }
  return undefined;
}

/** JWS algorithms every key type knows about: an `alg` outside this set is not a signature algorithm we verify. */
const KNOWN_JWS = new Set([...RSA_JWS, "ES256", "ES384", "ES512", "ES256K", "EdDSA", "Ed25519", "Ed448"]);

/** `none` and the algorithms of secret keys: no public key can carry them. */
const SYMMETRIC_OR_NONE = /^(?:none|dir|HS\d+|A\d+(?:GCM)?KW|A\d+GCM|A\d+CBC-HS\d+|PBES2-.*)$/;

/**
 * The JWS algorithms a JWK may verify, or `undefined` if its `alg` contradicts its key type (an
 * `"RS256"` EC key, an `"HS256"` RSA key), which makes the JWK unusable. An encryption `alg`
 * (`RSA-OAEP-256`, `ECDH-ES`) or an `alg` this package does not know gives no algorithm, so the key
 * stays in the set but never verifies.
 */
export function verificationAlgorithms(
  kty: string,
  crv: string | undefined,
  alg: string | undefined,
): readonly string[] | undefined {
  const native = jwsAlgsOf(kty, crv);
  if (alg === undefined) return native;
  if (KNOWN_JWS.has(alg)) return native.includes(alg) ? [alg] : undefined;
  if (SYMMETRIC_OR_NONE.test(alg)) return undefined;
  const jwe = fitsJweAlg(alg, kty, crv);
  return jwe === false ? undefined : [];
}
