import { Buffer } from "node:buffer";

/** Where each field of an envelope lies: `[start, end)` byte offsets. */
export interface EnvelopeFields {
  readonly magic: readonly [number, number];
  readonly format: readonly [number, number];
  readonly algId: readonly [number, number];
  readonly kidLength: readonly [number, number];
  readonly kid: readonly [number, number];
  readonly version: readonly [number, number];
  readonly wrappedKeyLength: readonly [number, number];
  readonly wrappedKey: readonly [number, number];
  readonly nonceLength: readonly [number, number];
  readonly nonce: readonly [number, number];
  readonly body: readonly [number, number];
}

/** An envelope read the way DESIGN §7.6 documents it, independently of any provider's code. */
export interface ParsedEnvelope {
  readonly magic: string;
  readonly format: number;
  readonly algId: number;
  readonly kid: string;
  readonly version: number;
  readonly wrappedKey: Uint8Array;
  readonly nonce: Uint8Array;
  readonly fields: EnvelopeFields;
}

/**
 * Read an envelope: `"kp"`, format (u8), algorithm id (u8), kid (u16 length + UTF-8), version (u32),
 * wrapped key (u16 length + bytes), nonce (u8 length + bytes), then ciphertext and tag to the end;
 * integers big-endian.
 */
export function parseEnvelope(ciphertext: Uint8Array): ParsedEnvelope {
  const bytes = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
  let offset = 0;
  const take = (n: number): readonly [number, number] => {
    if (offset + n > bytes.length)
      throw new Error(`the ciphertext is not a keyprovider envelope: it ends at byte ${bytes.length}`);
    const range = [offset, offset + n] as const;
    offset += n;
    return range;
  };
  const magic = take(2);
  const format = take(1);
  const algId = take(1);
  const kidLength = take(2);
  const kid = take(bytes.readUInt16BE(kidLength[0]));
  const version = take(4);
  const wrappedKeyLength = take(2);
  const wrappedKey = take(bytes.readUInt16BE(wrappedKeyLength[0]));
  const nonceLength = take(1);
  const nonce = take(bytes.readUInt8(nonceLength[0]));
  const body = [offset, bytes.length] as const;
  return {
    magic: bytes.toString("latin1", ...magic),
    format: bytes.readUInt8(format[0]),
    algId: bytes.readUInt8(algId[0]),
    kid: bytes.toString("utf8", ...kid),
    version: bytes.readUInt32BE(version[0]),
    wrappedKey: ciphertext.slice(...wrappedKey),
    nonce: ciphertext.slice(...nonce),
    fields: {
      magic,
      format,
      algId,
      kidLength,
      kid,
      version,
      wrappedKeyLength,
      wrappedKey,
      nonceLength,
      nonce,
      body,
    },
  };
}

/** The field a byte offset lies in. */
export function fieldAt(fields: EnvelopeFields, offset: number): keyof EnvelopeFields {
  for (const [name, [start, end]] of Object.entries(fields) as [
    keyof EnvelopeFields,
    readonly [number, number],
  ][]) {
    if (offset >= start && offset < end) return name;
  }
  return "body";
}
