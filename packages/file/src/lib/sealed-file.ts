// The one file shape of a store (format 1): a line of JSON metadata, then a line of base64url, each
// ended by "\n". The second line is AES-256-GCM (nonce ‖ ciphertext ‖ tag) under the store's data
// key with the exact bytes of the first line as associated data, so every byte of the file is
// authenticated: an edit, a truncation or a move is caught before anything in it is used.
import { Buffer } from "node:buffer";
import type { KeyObject } from "node:crypto";
import { StoreIntegrityError } from "@keyprovider/core";
import { aesGcmOpen, aesGcmSeal, b64url, b64urlDecode } from "@keyprovider/base";

/** The on-disk format this release writes and reads. */
export const STORE_FORMAT = 1;

/** Domain separation: nothing sealed by anything else verifies as a file of a store. */
const AAD_LABEL = Buffer.from("keyprovider/file-store\n", "latin1");
const NEWLINE = 0x0a;
/** Records are a few KiB (an RSA-4096 record is under 4); anything far larger is not ours. */
export const MAX_FILE_BYTES = 256 * 1024;

/** A file split into its two lines, checked for shape but not yet authenticated. */
export interface StoreFile {
  /** The parsed first line. */
  readonly meta: Readonly<Record<string, unknown>>;
  /** The exact bytes of the first line: the associated data of the seal. */
  readonly metaLine: Uint8Array;
  /** The decoded second line. */
  readonly body: Uint8Array;
}

/** Refuse a file as corrupt; `record` is its path relative to the store. */
export function corrupt(record: string, why: string, cause?: unknown): never {
  throw new StoreIntegrityError(
    `The key store file ${record} ${why}; it is not used. Restore it from a backup (see the @keyprovider/file README)`,
    { record, ...(cause === undefined ? {} : { cause }) },
  );
}

/** The associated data of a file's seal. */
export function fileAad(metaLine: Uint8Array): Buffer {
  return Buffer.concat([AAD_LABEL, metaLine]);
}

/** The bytes of a file: its metadata line and a body line. */
export function assembleFile(metaLine: Uint8Array, body: Uint8Array): Buffer {
  return Buffer.concat([
    metaLine,
    Buffer.of(NEWLINE),
    Buffer.from(b64url(body), "latin1"),
    Buffer.of(NEWLINE),
  ]);
}

/** The metadata line of `meta` (one line: JSON.stringify escapes every newline). */
export function metaLineOf(meta: Readonly<Record<string, unknown>>): Buffer {
  return Buffer.from(JSON.stringify(meta), "utf8");
}

/** Seal `plaintext` (empty for files that only need authenticating) under `key` into a file. */
export function sealFile(
  meta: Readonly<Record<string, unknown>>,
  key: KeyObject,
  plaintext: Uint8Array,
): Buffer {
  const metaLine = metaLineOf(meta);
  const { nonce, body } = aesGcmSeal(key, plaintext, fileAad(metaLine));
  return assembleFile(metaLine, Buffer.concat([nonce, body]));
}

/** Split a file into its lines, strictly: two lines, each ended by "\n", JSON then canonical base64url. */
export function parseFile(bytes: Uint8Array, record: string): StoreFile {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = buffer.indexOf(NEWLINE);
  const second = first < 0 ? -1 : buffer.indexOf(NEWLINE, first + 1);
  if (first <= 0 || second !== buffer.length - 1) corrupt(record, "is truncated or malformed");
  const metaLine = buffer.subarray(0, first);
  let meta: unknown;
  try {
    meta = JSON.parse(metaLine.toString("utf8"));
  } catch (error) {
    corrupt(record, "has malformed metadata", error);
  }
  if (typeof meta !== "object" || meta === null || Array.isArray(meta))
    corrupt(record, "has malformed metadata");
  const body = b64urlDecode(buffer.subarray(first + 1, second).toString("latin1"));
  if (body === undefined) corrupt(record, "has a malformed body");
  const format = (meta as Record<string, unknown>)["format"];
  if (format !== STORE_FORMAT) {
    corrupt(
      record,
      typeof format === "number" && Number.isInteger(format) && format > STORE_FORMAT
        ? `was written in store format ${format} by a newer release of @keyprovider/file (this one reads format ${STORE_FORMAT}); upgrade`
        : "has no valid format version",
    );
  }
  return { meta: meta as Record<string, unknown>, metaLine, body };
}

/** Authenticate a file and return its plaintext; any failure is `StoreIntegrityError` naming the file. */
export function openFile(file: StoreFile, key: KeyObject, record: string): Uint8Array {
  const { body } = file;
  try {
    return aesGcmOpen(key, body.subarray(0, 12), body.subarray(12), fileAad(file.metaLine));
  } catch (error) {
    return corrupt(
      record,
      "failed authentication (edited, truncated, or moved from another kid or version)",
      error,
    );
  }
}

/** Read a string member of a file's metadata, or refuse the file. */
export function metaString(file: StoreFile, name: string, record: string): string {
  const value = file.meta[name];
  if (typeof value !== "string") corrupt(record, `has no valid "${name}"`);
  return value;
}

/** Read a non-negative integer member of a file's metadata, or refuse the file. */
export function metaInteger(file: StoreFile, name: string, record: string): number {
  const value = file.meta[name];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    corrupt(record, `has no valid "${name}"`);
  return value;
}

/** Read an ascending list of positive integers from a file's metadata, or refuse the file. */
export function metaIntegers(file: StoreFile, name: string, record: string): number[] {
  const value = file.meta[name];
  if (
    !Array.isArray(value) ||
    !value.every(
      (item, i) =>
        typeof item === "number" &&
        Number.isSafeInteger(item) &&
        item > 0 &&
        (i === 0 || item > (value[i - 1] as number)),
    )
  ) {
    corrupt(record, `has no valid "${name}"`);
  }
  return value as number[];
}
