import { Buffer } from "node:buffer";

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Encode bytes as unpadded base64url (RFC 4648 §5, as RFC 7515 uses it).
 *
 * @example
 * ```ts
 * b64url(new Uint8Array([0, 1])); // "AAE"
 * ```
 */
export function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

/**
 * Decode unpadded base64url strictly: only the URL-safe alphabet, no padding, no whitespace, and
 * the canonical encoding only. Returns `undefined` for anything else, so callers choose the error.
 *
 * @example
 * ```ts
 * b64urlDecode("AAE");  // Uint8Array [0, 1]
 * b64urlDecode("AAE="); // undefined
 * ```
 */
export function b64urlDecode(text: string): Uint8Array | undefined {
  if (typeof text !== "string" || !BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const buffer = Buffer.from(text, "base64url");
  if (buffer.toString("base64url") !== text) return undefined;
  // A copy with its own memory: small decodes land in Node's shared Buffer pool, which is then wiped.
  const bytes = new Uint8Array(buffer);
  buffer.fill(0);
  return bytes;
}
