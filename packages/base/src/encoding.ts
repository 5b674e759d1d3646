import { Buffer } from "node:buffer";
import { createPrivateKey, type KeyObject } from "node:crypto";
import { KeyAlg, InvalidKeyMaterialError } from "@keyprovider/core";

/**
 * View bytes as a `Buffer` without copying.
 *
 * @example
 * ```ts
 * bufferOf(new Uint8Array([1, 2])).toString("hex"); // "0102"
 * ```
 */
export function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A `Buffer` (or text, as UTF-8) as a plain `Uint8Array` that owns its memory: a view when the
 * `Buffer` already covers its whole `ArrayBuffer`, else a copy. Small `Buffer`s from
 * `Buffer.concat`, `Buffer.from(string)` or `allocUnsafe` are slices of Node's shared 8 KiB pool;
 * handing out a view of one would give the caller (through `.buffer`) whatever else lives in the
 * pool: other keys' secrets, a passphrase.
 *
 * @example
 * ```ts
 * toBytes("abc"); // Uint8Array [97, 98, 99]
 * toBytes("abc").buffer.byteLength; // 3
 * ```
 */
export function toBytes(value: Buffer | string): Uint8Array {
  const buffer = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  if (buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength) {
    return new Uint8Array(buffer.buffer, 0, buffer.byteLength);
  }
  return new Uint8Array(buffer);
}

/**
 * A PEM document as OpenSSL writes it: `-----BEGIN <label>-----`, 64-character base64 lines and a
 * trailing newline.
 *
 * @example
 * ```ts
 * pemEncode("PUBLIC KEY", spkiDer); // "-----BEGIN PUBLIC KEY-----\nMCow…\n-----END PUBLIC KEY-----\n"
 * ```
 */
export function pemEncode(label: string, der: Uint8Array): string {
  const base64 = bufferOf(der).toString("base64");
  let body = base64.slice(0, 64);
  for (let at = 64; at < base64.length; at += 64) body += `\n${base64.slice(at, at + 64)}`;
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

const PEM_BLOCK = /^\s*-----BEGIN ([A-Z0-9 ]{1,64})-----\r?\n([\s\S]*?)\r?\n?-----END \1-----\s*$/;

/**
 * Decode a single PEM block into its label and DER bytes, or `undefined` if the text is not
 * exactly one well-formed block. Encapsulated headers (RFC 1421 `Proc-Type:` lines) make it
 * `undefined` too: encrypted PEM is never decoded here.
 *
 * @example
 * ```ts
 * pemDecode(pem); // { label: "PUBLIC KEY", der: Uint8Array(44) }
 * ```
 */
export function pemDecode(text: string): { readonly label: string; readonly der: Uint8Array } | undefined {
  const match = PEM_BLOCK.exec(text);
  if (match === null) return undefined;
  const body = match[2]!.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) return undefined;
  return { label: match[1]!, der: toBytes(Buffer.from(body, "base64")) };
}

/**
 * The label of a PEM document (`-----BEGIN <label>-----`), if the bytes start like one.
 *
 * @example
 * ```ts
 * pemLabel(new TextEncoder().encode("-----BEGIN PUBLIC KEY-----\n…")); // "PUBLIC KEY"
 * ```
 */
export function pemLabel(bytes: Uint8Array): string | undefined {
  const head = bufferOf(bytes).subarray(0, 128).toString("latin1").trimStart();
  return /^-----BEGIN ([A-Z0-9 ]+)-----/.exec(head)?.[1];
}

/** Curves whose SubjectPublicKeyInfo is a fixed prefix followed by the raw public key. */
type PrefixCurve = "Ed25519" | "X25519" | "P-256" | "P-384" | "P-521";

/** RFC 8410 §4 and RFC 5480 §2: the DER before the raw public key (EC: the uncompressed point). */
const SPKI_PREFIX: Record<PrefixCurve, Buffer> = {
  Ed25519: Buffer.from("302a300506032b6570032100", "hex"),
  X25519: Buffer.from("302a300506032b656e032100", "hex"),
  "P-256": Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex"),
  "P-384": Buffer.from("3076301006072a8648ce3d020106052b81040022036200", "hex"),
  "P-521": Buffer.from("30819b301006072a8648ce3d020106052b8104002303818600", "hex"),
};
/** RFC 8410 §7: the DER before a raw 32-byte Ed25519/X25519 private key (the seed). */
const PKCS8_PREFIX: Record<"Ed25519" | "X25519", Buffer> = {
  Ed25519: Buffer.from("302e020100300506032b657004220420", "hex"),
  X25519: Buffer.from("302e020100300506032b656e04220420", "hex"),
};
const RAW_LENGTH: Record<PrefixCurve, number> = {
  Ed25519: 32,
  X25519: 32,
  "P-256": 65,
  "P-384": 97,
  "P-521": 133,
};

/**
 * The curve name of an OKP key algorithm (`"Ed25519"` or `"X25519"`), or `undefined` for others.
 *
 * @example
 * ```ts
 * okpCurve("X25519"); // "X25519"
 * ```
 */
export function okpCurve(alg: KeyAlg): "Ed25519" | "X25519" | undefined {
  return alg === KeyAlg.ED25519 ? "Ed25519" : alg === KeyAlg.X25519 ? "X25519" : undefined;
}

/**
 * The SubjectPublicKeyInfo DER of a raw public key: 32 bytes for Ed25519/X25519, the uncompressed
 * point `0x04‖X‖Y` for P-256/P-384/P-521. Built from the fixed prefix, byte-identical to OpenSSL's
 * and far cheaper.
 *
 * @example
 * ```ts
 * spkiFromRaw("Ed25519", rawPublicKey); // Uint8Array(44)
 * ```
 */
export function spkiFromRaw(curve: PrefixCurve, raw: Uint8Array): Uint8Array {
  if (raw.byteLength !== RAW_LENGTH[curve]) {
    throw new InvalidKeyMaterialError(
      `A raw ${curve} public key is ${RAW_LENGTH[curve]} bytes, got ${raw.byteLength}`,
    );
  }
  return toBytes(Buffer.concat([SPKI_PREFIX[curve], raw]));
}

/**
 * The raw public key inside a SubjectPublicKeyInfo DER of the curve, or `undefined` if the DER is
 * not one.
 *
 * @example
 * ```ts
 * rawFromSpki("X25519", spkiDer); // Uint8Array(32)
 * ```
 */
export function rawFromSpki(curve: PrefixCurve, der: Uint8Array): Uint8Array | undefined {
  const prefix = SPKI_PREFIX[curve];
  if (der.byteLength !== prefix.length + RAW_LENGTH[curve]) return undefined;
  if (!bufferOf(der).subarray(0, prefix.length).equals(prefix)) return undefined;
  return new Uint8Array(der.subarray(prefix.length));
}

/** SEC 2 / RFC 5480: the curve OID (DER, tag and length included) and the size of a raw private scalar. */
const EC_PRIVATE: Record<
  "P-256" | "P-384" | "P-521",
  { readonly oid: Buffer; readonly length: number; readonly order: bigint }
> = {
  "P-256": {
    oid: Buffer.from("06082a8648ce3d030107", "hex"),
    length: 32,
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  "P-384": {
    oid: Buffer.from("06052b81040022", "hex"),
    length: 48,
    order:
      0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
  "P-521": {
    oid: Buffer.from("06052b81040023", "hex"),
    length: 66,
    order:
      0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  },
};
const NODE_CURVE: Record<"P-256" | "P-384" | "P-521", string> = {
  "P-256": "prime256v1",
  "P-384": "secp384r1",
  "P-521": "secp521r1",
};

/**
 * The PKCS#8 DER of a raw private key: the 32-byte seed of Ed25519 or X25519 (RFC 8410), or the
 * big-endian scalar `d` of P-256/384/521 (32, 48 or 66 bytes, the JWK `d`). A wrong length, or a
 * scalar that is not a valid private key of the curve, is `InvalidKeyMaterialError`.
 *
 * @example
 * ```ts
 * pkcs8FromRaw("Ed25519", seed); // Uint8Array(48)
 * pkcs8FromRaw("P-256", d); // the PKCS#8 of the same key as the JWK { crv: "P-256", d, … }
 * ```
 */
export function pkcs8FromRaw(curve: PrefixCurve, raw: Uint8Array): Uint8Array {
  if (curve === "Ed25519" || curve === "X25519") {
    if (raw.byteLength !== 32) {
      throw new InvalidKeyMaterialError(`A raw ${curve} private key is 32 bytes, got ${raw.byteLength}`);
    }
    return toBytes(Buffer.concat([PKCS8_PREFIX[curve], raw]));
  }
  const { oid, length, order } = EC_PRIVATE[curve];
  if (raw.byteLength !== length) {
    throw new InvalidKeyMaterialError(`A raw ${curve} private key is ${length} bytes, got ${raw.byteLength}`);
  }
  // OpenSSL parses any scalar; a private key is 0 < d < n (SEC 1 §3.2.1).
  const scalar = BigInt(`0x${bufferOf(raw).toString("hex")}`);
  if (scalar === 0n || scalar >= order) {
    throw new InvalidKeyMaterialError(`The raw bytes are not a valid ${curve} private key (0 < d < n)`);
  }
  // SEC 1 ECPrivateKey { version 1, privateKey OCTET STRING, [0] parameters }; OpenSSL derives the
  // public point. Every length here is under 128, so one length byte each.
  const body = Buffer.concat([
    Buffer.from([0x02, 0x01, 0x01, 0x04, length]),
    raw,
    Buffer.from([0xa0, oid.length]),
    oid,
  ]);
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: Buffer.concat([Buffer.from([0x30, body.length]), body]),
      format: "der",
      type: "sec1",
    });
  } catch {
    throw new InvalidKeyMaterialError(`The raw bytes are not a valid ${curve} private key`);
  }
  return toBytes(key.export({ type: "pkcs8", format: "der" }));
}

/**
 * The raw private key inside a PKCS#8 DER: the 32-byte seed of Ed25519 or X25519, or the scalar
 * `d` of P-256/384/521 (fixed length, as in a JWK). `undefined` when the DER is not a private key
 * of that curve.
 *
 * @example
 * ```ts
 * rawFromPkcs8("Ed25519", pkcs8FromRaw("Ed25519", seed)); // the seed again
 * ```
 */
export function rawFromPkcs8(curve: PrefixCurve, der: Uint8Array): Uint8Array | undefined {
  if (curve === "Ed25519" || curve === "X25519") {
    const prefix = PKCS8_PREFIX[curve];
    if (der.byteLength !== prefix.length + 32) return undefined;
    if (!bufferOf(der).subarray(0, prefix.length).equals(prefix)) return undefined;
    return new Uint8Array(der.subarray(prefix.length));
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: bufferOf(der), format: "der", type: "pkcs8" });
  } catch {
    return undefined;
  }
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== NODE_CURVE[curve])
    return undefined;
  const { d } = key.export({ format: "jwk" });
  return d === undefined ? undefined : new Uint8Array(Buffer.from(d, "base64url"));
}

/**
 * Convert an ECDSA signature from DER (`SEQUENCE { r INTEGER, s INTEGER }`, what OpenSSL and AWS
 * KMS `Sign` return) to the JOSE form `r‖s` with each half `size` bytes (32, 48 or 66 for
 * P-256/384/521). Malformed or non-minimal DER is `InvalidKeyMaterialError`.
 *
 * @example
 * ```ts
 * ecdsaDerToJose(derSignature, 32); // Uint8Array(64)
 * ```
 */
export function ecdsaDerToJose(der: Uint8Array, size: number): Uint8Array {
  const fail = (): never => {
    throw new InvalidKeyMaterialError(
      "The ECDSA signature is not a well-formed DER SEQUENCE of two INTEGERs",
    );
  };
  let offset = 0;
  const readLength = (): number => {
    const first = der[offset++];
    if (first === undefined) return fail();
    if (first < 0x80) return first;
    if (first !== 0x81) return fail(); // signatures up to P-521 need at most one length byte
    const value = der[offset++];
    if (value === undefined || value < 0x80) return fail();
    return value;
  };
  if (der[offset++] !== 0x30) fail();
  const sequenceLength = readLength();
  if (offset + sequenceLength !== der.byteLength) fail();
  const out = new Uint8Array(size * 2);
  for (const half of [0, 1]) {
    if (der[offset++] !== 0x02) fail();
    const length = readLength();
    if (length === 0 || offset + length > der.byteLength) fail();
    let integer = der.subarray(offset, offset + length);
    offset += length;
    if ((integer[0]! & 0x80) !== 0) fail(); // negative
    if (integer.length > 1 && integer[0] === 0 && (integer[1]! & 0x80) === 0) fail(); // not minimal
    if (integer[0] === 0) integer = integer.subarray(1);
    if (integer.length > size) fail();
    out.set(integer, half * size + (size - integer.length));
  }
  if (offset !== der.byteLength) fail();
  return out;
}

/**
 * Convert an ECDSA signature from the JOSE form `r‖s` (`2 × size` bytes) to DER, as `node:crypto`
 * with its default `dsaEncoding` and AWS KMS `Verify` expect it.
 *
 * @example
 * ```ts
 * ecdsaJoseToDer(joseSignature, 32); // Uint8Array(70..72)
 * ```
 */
export function ecdsaJoseToDer(signature: Uint8Array, size: number): Uint8Array {
  if (signature.byteLength !== size * 2) {
    throw new InvalidKeyMaterialError(
      `A JOSE ECDSA signature on this curve is ${size * 2} bytes, got ${signature.byteLength}`,
    );
  }
  const integer = (bytes: Uint8Array): Buffer => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
    const trimmed = bytes.subarray(start);
    const body = (trimmed[0]! & 0x80) !== 0 ? Buffer.concat([Buffer.of(0), trimmed]) : Buffer.from(trimmed);
    return Buffer.concat([Buffer.of(0x02, body.length), body]);
  };
  const content = Buffer.concat([integer(signature.subarray(0, size)), integer(signature.subarray(size))]);
  const header =
    content.length < 0x80 ? Buffer.of(0x30, content.length) : Buffer.of(0x30, 0x81, content.length);
  return toBytes(Buffer.concat([header, content]));
}
