// The store header: which KEK wraps the data keys, and the data keys wrapped under it.
import { Buffer } from "node:buffer";
import { createSecretKey, type KeyObject } from "node:crypto";
import { StoreIntegrityError } from "@keyprovider/core";
import { b64url, randomBytes } from "@keyprovider/base";
import type { Kek } from "./kek.js";
import { STORE_FORMAT, assembleFile, fileAad, metaLineOf, parseFile } from "./sealed-file.js";

const DATA_KEY_BYTES = 32;
const HEADER = "header";

/** The unlocked data keys of a store. New files are sealed with `current`. */
export interface DataKeys {
  readonly storeId: string;
  readonly current: string;
  readonly keys: ReadonlyMap<string, KeyObject>;
}

/** A new random data key and its id. */
export function newDataKey(): { readonly id: string; readonly key: KeyObject } {
  const bytes = randomBytes(DATA_KEY_BYTES);
  try {
    return { id: b64url(randomBytes(12)), key: createSecretKey(bytes) };
  } finally {
    bytes.fill(0);
  }
}

/** A new store id. */
export function newStoreId(): string {
  return b64url(randomBytes(16));
}

/**
 * The bytes of a header holding `keys` (the first is current) wrapped under `kek`: the metadata
 * line names the KEK (for a passphrase, the scrypt salt and costs) and the key ids; the body is the
 * keys, concatenated, sealed by the KEK with the metadata line as associated data.
 */
export async function headerBytes(
  kek: Kek,
  keys: DataKeys,
  signal: AbortSignal | undefined,
): Promise<Buffer> {
  const prepared = await kek.prepare(signal);
  const ids = [keys.current, ...[...keys.keys.keys()].filter((id) => id !== keys.current)];
  const metaLine = metaLineOf({
    format: STORE_FORMAT,
    type: "header",
    store: keys.storeId,
    kek: prepared.description,
    keys: ids,
  });
  const parts = ids.map((id) => keys.keys.get(id)!.export());
  const plaintext = Buffer.concat(parts);
  try {
    return assembleFile(metaLine, await prepared.wrap(plaintext, fileAad(metaLine)));
  } finally {
    for (const part of [plaintext, ...parts]) part.fill(0);
  }
}

/** Unlock a header's data keys with `kek`. */
export async function unlockHeader(
  bytes: Uint8Array,
  kek: Kek,
  display: string,
  signal: AbortSignal | undefined,
): Promise<DataKeys> {
  const file = parseFile(bytes, HEADER);
  const { meta } = file;
  const ids = meta["keys"];
  const storeId = meta["store"];
  if (
    meta["type"] !== "header" ||
    typeof storeId !== "string" ||
    !Array.isArray(ids) ||
    ids.length === 0 ||
    !ids.every((id) => typeof id === "string" && id.length > 0) ||
    new Set(ids).size !== ids.length
  ) {
    throw new StoreIntegrityError(`The key store header of ${display} is malformed; it is not opened`, {
      record: HEADER,
    });
  }
  const plaintext = await kek.unwrap(meta["kek"], file.body, fileAad(file.metaLine), display, signal);
  try {
    if (plaintext.byteLength !== DATA_KEY_BYTES * ids.length) {
      throw new StoreIntegrityError(`The key store header of ${display} holds keys of the wrong size`, {
        record: HEADER,
      });
    }
    const keys = new Map<string, KeyObject>();
    (ids as string[]).forEach((id, i) => {
      keys.set(id, createSecretKey(plaintext.subarray(i * DATA_KEY_BYTES, (i + 1) * DATA_KEY_BYTES)));
    });
    return { storeId, current: ids[0] as string, keys };
  } finally {
    plaintext.fill(0);
  }
}
