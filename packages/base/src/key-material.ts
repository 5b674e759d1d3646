import { InvalidKeyMaterialError, KeyAlg, displayValue, type NormalizedKeySpec } from "@keyprovider/core";
import { ALGORITHMS } from "./algorithms.js";
import { b64urlDecode } from "./base64url.js";

/**
 * Largest secret or opaque blob accepted by `importKey`, in bytes.
 *
 * @example
 * ```ts
 * if (bytes.length > MAX_IMPORTED_SECRET_BYTES) throw new RangeError("too large");
 * ```
 */
export const MAX_IMPORTED_SECRET_BYTES = 65_536;
const HMAC_MIN_BYTES = 32;
const AES_BYTES = 32;

/**
 * The secret bytes of a symmetric key being imported: raw bytes, or an `oct` JWK as UTF-8 JSON.
 * AES256_GCM keys must be 32 bytes; HMAC_SHA256 keys at least 32 (RFC 7518 §3.2). A JWK whose `alg`
 * or `use` contradicts the spec is refused. Messages give lengths, never contents.
 *
 * @example
 * ```ts
 * const secret = symmetricSecretFromImport(spec, new TextEncoder().encode('{"kty":"oct","k":"…"}'));
 * ```
 */
export function symmetricSecretFromImport(spec: NormalizedKeySpec, material: Uint8Array): Uint8Array {
  if (material.byteLength > MAX_IMPORTED_SECRET_BYTES) {
    throw new InvalidKeyMaterialError(
      `Symmetric material must be at most ${MAX_IMPORTED_SECRET_BYTES} bytes, got ${material.byteLength}`,
    );
  }
  const text = asText(material);
  let secret = material;
  // Random key bytes are almost never valid UTF-8 text, so text that looks like JSON or PEM was
  // meant as such: refuse it if it is not a usable JWK, rather than use the text as the key.
  if (text !== undefined && /^\s*-----BEGIN /.test(text)) {
    throw new InvalidKeyMaterialError(
      `A PEM document is not a ${spec.alg} key; import the raw secret bytes or an "oct" JWK`,
    );
  }
  if (
    text !== undefined &&
    /^\s*\{/.test(text) &&
    !(spec.alg === KeyAlg.AES256_GCM && material.byteLength === AES_BYTES)
  ) {
    const jwk = parseJwkJson(material);
    if (jwk === undefined) {
      throw new InvalidKeyMaterialError(
        `The material looks like JSON but is not a JWK with "kty"; import the raw secret bytes or an "oct" JWK`,
      );
    }
    if (jwk["kty"] !== "oct") {
      throw new InvalidKeyMaterialError(
        `A ${spec.alg} key must be an "oct" JWK, got kty ${displayValue(jwk["kty"])}`,
      );
    }
    const decoded = typeof jwk["k"] === "string" ? b64urlDecode(jwk["k"]) : undefined;
    if (decoded === undefined)
      throw new InvalidKeyMaterialError('The "oct" JWK has no valid base64url "k" member');
    assertJwkIntent(jwk, spec.alg);
    secret = decoded;
  }
  const bytes = secret.byteLength;
  if (spec.alg === KeyAlg.AES256_GCM && bytes !== AES_BYTES) {
    throw new InvalidKeyMaterialError(`AES256_GCM keys are exactly ${AES_BYTES} bytes, got ${bytes}`);
  }
  if (spec.alg === KeyAlg.HMAC_SHA256 && bytes < HMAC_MIN_BYTES) {
    throw new InvalidKeyMaterialError(
      `HMAC_SHA256 keys must be ${HMAC_MIN_BYTES} to ${MAX_IMPORTED_SECRET_BYTES} bytes (RFC 7518 §3.2 requires at least the hash size), got ${bytes}`,
    );
  }
  return secret;
}

function asText(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Parse bytes as a JWK in UTF-8 JSON, or return `undefined` if they are not a JSON object with a
 * `kty` (raw key bytes, PEM, DER).
 *
 * @example
 * ```ts
 * parseJwkJson(new TextEncoder().encode('{"kty":"OKP","crv":"Ed25519","x":"…"}')); // { kty: "OKP", … }
 * ```
 */
export function parseJwkJson(bytes: Uint8Array): Record<string, unknown> | undefined {
  let start = 0;
  while (
    start < bytes.length &&
    (bytes[start] === 0x20 || bytes[start] === 0x0a || bytes[start] === 0x0d || bytes[start] === 0x09)
  )
    start += 1;
  if (bytes[start] !== 0x7b /* { */) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || !("kty" in parsed))
    return undefined;
  return parsed;
}

/**
 * Refuse a JWK whose `alg` or `use` says it is meant for something other than the spec's algorithm
 * (RFC 7517 §4.2, §4.4).
 *
 * @example
 * ```ts
 * assertJwkIntent({ kty: "RSA", alg: "RS256", n, e }, "RSA_PSS_SHA256"); // InvalidKeyMaterialError
 * ```
 */
export function assertJwkIntent(jwk: Record<string, unknown>, alg: KeyAlg): void {
  const info = ALGORITHMS[alg];
  const jwkAlg = jwk["alg"];
  if (jwkAlg !== undefined && (typeof jwkAlg !== "string" || !info.jwkAlgs.includes(jwkAlg))) {
    throw new InvalidKeyMaterialError(
      `The JWK is for alg ${displayValue(jwkAlg)}, which is not ${alg}; allowed: ${info.jwkAlgs.join(", ")}`,
    );
  }
  const use = info.jwk?.use ?? (info.uses.includes("sign") ? "sig" : "enc");
  const jwkUse = jwk["use"];
  if (jwkUse !== undefined && jwkUse !== use) {
    throw new InvalidKeyMaterialError(
      `The JWK has use ${displayValue(jwkUse)}, but ${alg} keys are for "${use}"`,
    );
  }
}
