import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * The CiphertextBlob of a SYMMETRIC_DEFAULT key: opaque to callers, as in KMS, but it names the key
 * so that Decrypt works without a KeyId.
 *
 *   version (1 byte, 0x01) | key id (36 ASCII bytes, a UUID) | IV (12) | AES-256-GCM ciphertext | tag (16)
 *
 * The authenticated data binds the key id and the canonical encryption context, so a different
 * context (or none) fails to decrypt, whatever the order of its entries.
 */
const VERSION = 1;
const KEY_ID_BYTES = 36;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES + IV_BYTES;

/** The context as sorted [key, value] pairs: KMS compares contexts as maps, not as ordered JSON. */
function authenticatedData(keyId: string, context: Readonly<Record<string, string>>): Buffer {
  const entries = Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(["kms-test-endpoint/v1", keyId, entries]));
}

/** Encrypt `plaintext` under the 32-byte key of the KMS key `keyId`. */
export function sealSymmetric(
  keyId: string,
  secret: Buffer,
  plaintext: Uint8Array,
  context: Readonly<Record<string, string>>,
): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", secret, iv);
  cipher.setAAD(authenticatedData(keyId, context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), Buffer.from(keyId, "latin1"), iv, body, cipher.getAuthTag()]);
}

/** The key id a blob names, or `undefined` when it is not a blob of this format. */
export function keyIdOfCiphertext(blob: Buffer): string | undefined {
  if (blob.length < HEADER_BYTES + TAG_BYTES || blob[0] !== VERSION) return undefined;
  const keyId = blob.subarray(1, 1 + KEY_ID_BYTES).toString("latin1");
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(keyId) ? keyId : undefined;
}

/** Decrypt a blob; `undefined` when it was tampered with or the context differs. */
export function openSymmetric(
  keyId: string,
  secret: Buffer,
  blob: Buffer,
  context: Readonly<Record<string, string>>,
): Buffer | undefined {
  try {
    const decipher = createDecipheriv("aes-256-gcm", secret, blob.subarray(1 + KEY_ID_BYTES, HEADER_BYTES));
    decipher.setAAD(authenticatedData(keyId, context));
    decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(blob.subarray(HEADER_BYTES, blob.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    return undefined;
  }
}
