import { Buffer } from "node:buffer";
import type { KeyObject } from "node:crypto";
import type { NormalizedKeySpec } from "@keyprovider/core";
import { ALGORITHMS } from "./algorithms.js";
import { b64urlDecode } from "./base64url.js";
import { okpCurve, pemEncode, pkcs8FromRaw, spkiFromRaw, toBytes } from "./encoding.js";
import type { PublicJwkMembers } from "./jwk.js";

/**
 * The SubjectPublicKeyInfo DER of a public key. Ed25519, X25519 and EC keys are built from their
 * fixed prefix and JWK members (byte-identical to OpenSSL's output, and 30–70× cheaper); RSA keys go
 * through OpenSSL.
 *
 * @example
 * ```ts
 * spkiDer(spec, publicKey, publicJwkMembers(publicKey)); // Uint8Array(44) for Ed25519
 * ```
 */
export function spkiDer(
  spec: NormalizedKeySpec,
  publicKey: KeyObject,
  members: PublicJwkMembers,
): Uint8Array {
  const info = ALGORITHMS[spec.alg];
  const okp = okpCurve(spec.alg);
  if (okp !== undefined) return spkiFromRaw(okp, b64urlDecode(members.x!)!);
  if (info.curve !== undefined && members.y !== undefined) {
    const point = Buffer.concat([Buffer.of(0x04), b64urlDecode(members.x!)!, b64urlDecode(members.y)!]);
    return spkiFromRaw(info.curve.jwk as "P-256", point);
  }
  return toBytes(publicKey.export({ type: "spki", format: "der" }));
}

/**
 * The public key as `KeyRef.public` carries it: SPKI PEM (default) or DER, or the raw 32-byte key
 * for Ed25519/X25519 with `publicFormat: "Raw"`.
 *
 * @example
 * ```ts
 * encodePublicKey(spec, publicKey, members); // PEM bytes
 * ```
 */
export function encodePublicKey(
  spec: NormalizedKeySpec,
  publicKey: KeyObject,
  members: PublicJwkMembers,
): Uint8Array {
  if (spec.publicFormat === "Raw") return b64urlDecode(members.x!)!;
  const der = spkiDer(spec, publicKey, members);
  return spec.encoding === "DER" ? der : toBytes(pemEncode("PUBLIC KEY", der));
}

/**
 * The PKCS#8 DER of a private key (Ed25519/X25519 from the fixed prefix and seed, as OpenSSL
 * writes it).
 *
 * @example
 * ```ts
 * pkcs8Der(spec, privateKey); // Uint8Array(48) for Ed25519
 * ```
 */
export function pkcs8Der(spec: NormalizedKeySpec, privateKey: KeyObject): Uint8Array {
  const okp = okpCurve(spec.alg);
  if (okp === undefined) return toBytes(privateKey.export({ type: "pkcs8", format: "der" }));
  const seed = b64urlDecode(privateKey.export({ format: "jwk" }).d!)!;
  try {
    return pkcs8FromRaw(okp, seed);
  } finally {
    seed.fill(0);
  }
}

/**
 * The private key as `KeyRef.material` carries it: PKCS#8 PEM (default) or DER, or the raw 32-byte
 * seed for Ed25519/X25519 with `privateFormat: "Raw"`. Call only where the export policy allows.
 *
 * @example
 * ```ts
 * encodePrivateKey(spec, privateKey); // PEM bytes
 * ```
 */
export function encodePrivateKey(spec: NormalizedKeySpec, privateKey: KeyObject): Uint8Array {
  if (okpCurve(spec.alg) !== undefined && spec.privateFormat === "Raw") {
    return b64urlDecode(privateKey.export({ format: "jwk" }).d!)!;
  }
  const der = pkcs8Der(spec, privateKey);
  if (spec.encoding === "DER") return der;
  try {
    return toBytes(pemEncode("PRIVATE KEY", der));
  } finally {
    der.fill(0);
  }
}
