import { Buffer } from "node:buffer";
import { DecryptionError, KeyAlg, LIMITS } from "@keyprovider/core";

/**
 * The envelope format version this code writes and reads.
 *
 * @example
 * ```ts
 * ciphertext[2] === ENVELOPE_FORMAT; // true
 * ```
 */
export const ENVELOPE_FORMAT = 1;

const MAGIC = Buffer.from("kp", "latin1");
const EMPTY = new Uint8Array(0);
const AAD_LABEL = Buffer.from("keyprovider/envelope", "latin1");
const ALG_IDS: ReadonlyMap<KeyAlg, number> = new Map<KeyAlg, number>([
  [KeyAlg.AES256_GCM, 1],
  [KeyAlg.RSA_OAEP_SHA256, 2],
  [KeyAlg.X25519, 3],
]);
const ALG_BY_ID: ReadonlyMap<number, KeyAlg> = new Map([...ALG_IDS].map(([alg, id]) => [id, alg] as const));

/**
 * One encrypted message in keyprovider's envelope: which key version made it and what a backend
 * needs to open it. `wrappedKey` is empty for direct AES-GCM, the RSA-OAEP-wrapped content key for
 * RSA, the ephemeral public key for X25519, or a KMS-wrapped data key; `nonce` is the 12-byte GCM
 * nonce (empty where a backend's own ciphertext carries its IV); `body` is ciphertext and tag.
 *
 * @example
 * ```ts
 * const { kid, version } = decodeEnvelope(ciphertext);
 * ```
 */
export interface Envelope {
  readonly alg: KeyAlg;
  readonly kid: string;
  readonly version: number;
  readonly wrappedKey: Uint8Array;
  readonly nonce: Uint8Array;
  readonly body: Uint8Array;
}

/**
 * Write an envelope: `"kp"`, the format version (1 byte), the algorithm id (1 byte: 1 AES-256-GCM,
 * 2 RSA-OAEP-256 hybrid, 3 X25519 hybrid), the kid (u16 length + UTF-8), the key version (u32), the
 * wrapped key (u16 length + bytes), the nonce (u8 length + bytes), then the body to the end. All
 * integers big-endian.
 *
 * @example
 * ```ts
 * const bytes = encodeEnvelope({ alg: "AES256_GCM", kid, version: 1, wrappedKey: new Uint8Array(0), nonce, body });
 * ```
 */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  const id = ALG_IDS.get(envelope.alg);
  if (id === undefined) throw new TypeError(`encodeEnvelope: ${envelope.alg} keys do not encrypt`);
  const { wrappedKey, nonce, body } = envelope;
  const kidLength = Buffer.byteLength(envelope.kid, "utf8");
  if (kidLength === 0 || kidLength > 0xffff || wrappedKey.length > 0xffff || nonce.length > 0xff) {
    throw new RangeError("encodeEnvelope: a field is longer than the format allows");
  }
  const headerLength = 2 + 1 + 1 + 2 + kidLength + 4 + 2 + wrappedKey.length + 1 + nonce.length;
  // One allocation of its own (never Buffer's shared pool), written in place: the body is copied once.
  const out = new Uint8Array(headerLength + body.length);
  const view = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  let offset = MAGIC.copy(view, 0);
  offset = view.writeUInt8(ENVELOPE_FORMAT, offset);
  offset = view.writeUInt8(id, offset);
  offset = view.writeUInt16BE(kidLength, offset);
  offset += view.write(envelope.kid, offset, "utf8");
  offset = view.writeUInt32BE(envelope.version, offset);
  offset = view.writeUInt16BE(wrappedKey.length, offset);
  out.set(wrappedKey, offset);
  offset += wrappedKey.length;
  offset = view.writeUInt8(nonce.length, offset);
  out.set(nonce, offset);
  out.set(body, headerLength);
  return out;
}

/**
 * Read an envelope. Anything malformed (another format, a truncated field, trailing garbage in a
 * length) is the one `DecryptionError`, which says nothing about where.
 *
 * @example
 * ```ts
 * const envelope = decodeEnvelope(ciphertext); // { alg, kid, version, wrappedKey, nonce, body }
 * ```
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const need = (n: number) => {
    if (offset + n > buffer.length) throw new DecryptionError();
  };
  need(4);
  if (buffer[0] !== MAGIC[0] || buffer[1] !== MAGIC[1] || buffer[2] !== ENVELOPE_FORMAT) {
    throw new DecryptionError();
  }
  const alg = ALG_BY_ID.get(buffer[3]!);
  if (alg === undefined) throw new DecryptionError();
  offset = 4;
  need(2);
  const kidLength = buffer.readUInt16BE(offset);
  offset += 2;
  need(kidLength);
  const kid = buffer.toString("utf8", offset, offset + kidLength);
  offset += kidLength;
  need(4);
  const version = buffer.readUInt32BE(offset);
  offset += 4;
  if (kidLength === 0 || version < 1 || version > LIMITS.maxKeyVersion) throw new DecryptionError();
  need(2);
  const wrappedLength = buffer.readUInt16BE(offset);
  offset += 2;
  need(wrappedLength);
  const wrappedKey = bytes.slice(offset, offset + wrappedLength);
  offset += wrappedLength;
  need(1);
  const nonceLength = buffer.readUInt8(offset);
  offset += 1;
  need(nonceLength);
  const nonce = bytes.slice(offset, offset + nonceLength);
  offset += nonceLength;
  return { alg, kid, version, wrappedKey, nonce, body: bytes.subarray(offset) };
}

/**
 * The additional authenticated data of an envelope: the length-prefixed (u32) encoding of a label,
 * the format version, the algorithm id, the kid, the key version, the wrapped key and the caller's
 * aad. A ciphertext therefore opens only under the kid and version that made it, with the same aad.
 *
 * @example
 * ```ts
 * const aad = envelopeAad(envelope, callerAad);
 * ```
 */
export function envelopeAad(
  envelope: Pick<Envelope, "alg" | "kid" | "version" | "wrappedKey">,
  aad: Uint8Array = EMPTY,
): Uint8Array {
  const kidLength = Buffer.byteLength(envelope.kid, "utf8");
  const { wrappedKey } = envelope;
  // Seven fields, each a u32 length and its bytes: label, format (1), alg id (1), kid, version (4), wrapped key, aad.
  const out = Buffer.allocUnsafe(
    7 * 4 + AAD_LABEL.length + 1 + 1 + kidLength + 4 + wrappedKey.byteLength + aad.byteLength,
  );
  let offset = out.writeUInt32BE(AAD_LABEL.length, 0);
  offset += AAD_LABEL.copy(out, offset);
  offset = out.writeUInt32BE(1, offset);
  offset = out.writeUInt8(ENVELOPE_FORMAT, offset);
  offset = out.writeUInt32BE(1, offset);
  offset = out.writeUInt8(ALG_IDS.get(envelope.alg) ?? 0, offset);
  offset = out.writeUInt32BE(kidLength, offset);
  offset += out.write(envelope.kid, offset, "utf8");
  offset = out.writeUInt32BE(4, offset);
  offset = out.writeUInt32BE(envelope.version, offset);
  offset = out.writeUInt32BE(wrappedKey.byteLength, offset);
  out.set(wrappedKey, offset);
  offset += wrappedKey.byteLength;
  offset = out.writeUInt32BE(aad.byteLength, offset);
  out.set(aad, offset);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
