import { Buffer } from "node:buffer";
import { createHmac, hkdfSync } from "node:crypto";
import { LIMITS, type HkdfOptions } from "@keyprovider/core";
import { assertBytes, assertLength, readOptions } from "./guards.js";

const EMPTY = new Uint8Array(0);
/** node:crypto's HKDF refuses a longer `info`; RFC 5869 sets no limit, so longer ones take the HMAC path. */
const NODE_MAX_INFO = 1024;
const HASH_LEN = 32;

/**
 * HKDF-SHA256 (RFC 5869): extract with `salt`, expand with `info` to `length` bytes, 0..8160
 * (255 × HashLen). Runs natively through `node:crypto`; an `info` over 1024 bytes, which
 * `node:crypto` refuses, is expanded with HMAC-SHA256 per RFC 5869 §2.3 instead.
 *
 * @example
 * ```ts
 * const key = hkdf(ikm, { salt, info: new TextEncoder().encode("session"), length: 32 });
 * ```
 */
export function hkdf(ikm: Uint8Array, options: HkdfOptions): Uint8Array {
  assertBytes(ikm, "ikm");
  if (options === undefined) throw new TypeError("hkdf options are required: { salt?, info?, length }");
  const read = readOptions(options, "hkdf options", ["salt", "info", "length", "signal"]);
  const salt = read.salt ?? EMPTY;
  const info = read.info ?? EMPTY;
  assertBytes(salt, "salt");
  assertBytes(info, "info");
  assertLength(read.length, "length", LIMITS.maxHkdfLength);
  const { length } = read;
  if (length === 0) return new Uint8Array(0);
  if (info.byteLength <= NODE_MAX_INFO) {
    return new Uint8Array(hkdfSync("sha256", ikm, salt, info, length));
  }
  return hkdfWithHmac(ikm, salt, info, length);
}

function hkdfWithHmac(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const prk = createHmac("sha256", salt).update(ikm).digest();
  const okm = new Uint8Array(Math.ceil(length / HASH_LEN) * HASH_LEN);
  let previous: Uint8Array = EMPTY;
  for (let i = 1, offset = 0; offset < length; i += 1, offset += HASH_LEN) {
    previous = createHmac("sha256", prk).update(previous).update(info).update(Buffer.of(i)).digest();
    okm.set(previous, offset);
  }
  const result = okm.slice(0, length);
  prk.fill(0);
  okm.fill(0);
  return result;
}
