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
  const kid = Buffer.from(envelope.kid, "utf8");
  if (
    kid.length === 0 ||
    kid.length > 0xffff ||
    envelope.wrappedKey.length > 0xffff ||
    envelope.nonce.length > 0xff
  ) {
    throw new RangeError("encodeEnvelope: a field is longer than the format allows");
  }
  const header = Buffer.alloc(
    2 + 1 + 1 + 2 + kid.length + 4 + 2 + envelope.wrappedKey.length + 1 + envelope.nonce.length,
  );
  let offset = MAGIC.copy(header, 0);
  offset = header.writeUInt8(ENVELOPE_FORMAT, offset);
  offset = header.writeUInt8(id, offset);
  offset = header.writeUInt16BE(kid.length, offset);
  offset += kid.copy(header, offset);
  offset = header.writeUInt32BE(envelope.version, offset);
  offset = header.writeUInt16BE(envelope.wrappedKey.length, offset);
  header.set(envelope.wrappedKey, offset);
  offset += envelope.wrappedKey.length;
  offset = header.writeUInt8(envelope.nonce.length, offset);
  header.set(envelope.nonce, offset);
  const out = new Uint8Array(header.length + envelope.body.length);
  out.set(header, 0);
  out.set(envelope.body, header.length);
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
  if (!buffer.subarray(0, 2).equals(MAGIC) || buffer[2] !== ENVELOPE_FORMAT) throw new DecryptionError();
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
  aad: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const kid = Buffer.from(envelope.kid, "utf8");
  const fields: readonly (Uint8Array | number)[] = [
    AAD_LABEL,
    ENVELOPE_FORMAT,
    ALG_IDS.get(envelope.alg) ?? 0,
    kid,
    envelope.version,
    envelope.wrappedKey,
    aad,
  ];
  // Numbers are fields too: one byte for format and algorithm, four for the version.
  const sizes = fields.map((field, i) => (typeof field === "number" ? (i === 4 ? 4 : 1) : field.byteLength));
  const out = Buffer.allocUnsafe(sizes.reduce((sum, size) => sum + 4 + size, 0));
  let offset = 0;
  fields.forEach((field, i) => {
    offset = out.writeUInt32BE(sizes[i]!, offset);
    if (typeof field !== "number") {
      out.set(field, offset);
      offset += field.byteLength;
    } else if (i === 4) {
      offset = out.writeUInt32BE(field, offset);
    } else {
      offset = out.writeUInt8(field, offset);
    }
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
