import { constants, privateDecrypt, publicEncrypt, randomBytes } from "node:crypto";
import { ENCRYPTION_ALGORITHMS, algorithmsOf, type EncryptionAlgorithm } from "../lib/key-specs.js";
import {
  requireAlgorithm,
  requireEnabled,
  requireUsage,
  type KeyStore,
  type KmsKey,
} from "../lib/key-store.js";
import { KmsError } from "../lib/kms-error.js";
import {
  blob,
  optionalEnum,
  optionalInteger,
  optionalString,
  optionalStringMap,
  requiredBlob,
  requiredString,
  type RequestBody,
} from "../lib/request.js";
import { keyIdOfCiphertext, openSymmetric, sealSymmetric } from "../lib/symmetric-ciphertext.js";
import type { OperationHandler } from "./handler.js";

const MAX_PLAINTEXT_BYTES = 4096;
const MAX_CIPHERTEXT_BYTES = 6144;
const OAEP_HASHES = { RSAES_OAEP_SHA_1: ["sha1", 20], RSAES_OAEP_SHA_256: ["sha256", 32] } as const;

function invalidCiphertext(): KmsError {
  return new KmsError("InvalidCiphertextException", "");
}

/** A key that may run `algorithm` for `operation`: enabled, ENCRYPT_DECRYPT, and a spec offering it. */
function encryptionKey(key: KmsKey, algorithm: EncryptionAlgorithm, operation: string): KmsKey {
  requireEnabled(key);
  requireUsage(key, "ENCRYPT_DECRYPT", operation);
  requireAlgorithm(key, algorithm, algorithmsOf(key.spec, key.usage).EncryptionAlgorithms);
  return key;
}

function secretOf(key: KmsKey): Buffer {
  if (key.material.kind !== "secret") throw new KmsError("KMSInternalException", "key has no secret", 500);
  return key.material.secret;
}

function oaep(key: KmsKey, algorithm: EncryptionAlgorithm, context: Readonly<Record<string, string>>) {
  if (key.material.kind !== "key-pair")
    throw new KmsError("KMSInternalException", "key has no key pair", 500);
  // An encryption context is only for symmetric encryption keys.
  if (Object.keys(context).length > 0) {
    throw new KmsError("ValidationException", `EncryptionContext is not supported with ${algorithm}.`);
  }
  const [oaepHash, hashBytes] = OAEP_HASHES[algorithm as keyof typeof OAEP_HASHES];
  const modulusBytes = (key.material.publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8;
  return {
    ...key.material,
    padding: constants.RSA_PKCS1_OAEP_PADDING,
    oaepHash,
    maxPlaintext: modulusBytes - 2 * hashBytes - 2,
  };
}

function readAlgorithm(body: RequestBody): EncryptionAlgorithm {
  return optionalEnum(body, "EncryptionAlgorithm", ENCRYPTION_ALGORITHMS) ?? "SYMMETRIC_DEFAULT";
}

export const Encrypt: OperationHandler = (store, body) => {
  const keyId = requiredString(body, "KeyId");
  const plaintext = requiredBlob(body, "Plaintext", 1, MAX_PLAINTEXT_BYTES);
  const context = optionalStringMap(body, "EncryptionContext");
  const algorithm = readAlgorithm(body);
  const key = encryptionKey(store.resolve(keyId, { aliases: true }), algorithm, "Encrypt");
  let ciphertext: Buffer;
  if (algorithm === "SYMMETRIC_DEFAULT") {
    ciphertext = sealSymmetric(key.keyId, secretOf(key), plaintext, context);
  } else {
    const { publicKey, padding, oaepHash, maxPlaintext } = oaep(key, algorithm, context);
    if (plaintext.length > maxPlaintext) {
      throw new KmsError(
        "ValidationException",
        `Plaintext is too long: ${algorithm} with ${key.spec} encrypts at most ${maxPlaintext} bytes.`,
      );
    }
    ciphertext = publicEncrypt({ key: publicKey, padding, oaepHash }, plaintext);
  }
  return { CiphertextBlob: blob(ciphertext), KeyId: key.arn, EncryptionAlgorithm: algorithm };
};

/** Decrypt a SYMMETRIC_DEFAULT blob: the blob names its key; a KeyId, when given, must be that key. */
function decryptSymmetric(
  store: KeyStore,
  named: KmsKey | undefined,
  ciphertext: Buffer,
  context: Readonly<Record<string, string>>,
) {
  if (named !== undefined) encryptionKey(named, "SYMMETRIC_DEFAULT", "Decrypt");
  const embedded = keyIdOfCiphertext(ciphertext);
  const owner = embedded === undefined ? undefined : store.byId(embedded);
  if (owner === undefined) throw invalidCiphertext();
  if (named !== undefined && named.keyId !== owner.keyId) {
    throw new KmsError(
      "IncorrectKeyException",
      "The key ID in the request does not identify a KMS key that can perform this operation.",
    );
  }
  encryptionKey(owner, "SYMMETRIC_DEFAULT", "Decrypt");
  const plaintext = openSymmetric(owner.keyId, secretOf(owner), ciphertext, context);
  if (plaintext === undefined) throw invalidCiphertext();
  return { key: owner, plaintext };
}

export const Decrypt: OperationHandler = (store, body) => {
  const ciphertext = requiredBlob(body, "CiphertextBlob", 1, MAX_CIPHERTEXT_BYTES);
  const context = optionalStringMap(body, "EncryptionContext");
  const algorithm = readAlgorithm(body);
  const keyId = optionalString(body, "KeyId");
  const named = keyId === undefined ? undefined : store.resolve(keyId, { aliases: true });
  if (algorithm === "SYMMETRIC_DEFAULT") {
    const { key, plaintext } = decryptSymmetric(store, named, ciphertext, context);
    return { KeyId: key.arn, Plaintext: blob(plaintext), EncryptionAlgorithm: algorithm };
  }
  if (named === undefined) {
    throw new KmsError("ValidationException", `KeyId is required to decrypt with ${algorithm}.`);
  }
  const key = encryptionKey(named, algorithm, "Decrypt");
  const { privateKey, padding, oaepHash } = oaep(key, algorithm, context);
  let plaintext: Buffer;
  try {
    plaintext = privateDecrypt({ key: privateKey, padding, oaepHash }, ciphertext);
  } catch {
    throw invalidCiphertext();
  }
  return { KeyId: key.arn, Plaintext: blob(plaintext), EncryptionAlgorithm: algorithm };
};

export const GenerateDataKey: OperationHandler = (store, body) => {
  const keyId = requiredString(body, "KeyId");
  const keySpec = optionalEnum(body, "KeySpec", ["AES_256", "AES_128"]);
  const numberOfBytes = optionalInteger(body, "NumberOfBytes", 1, 1024);
  const context = optionalStringMap(body, "EncryptionContext");
  if ((keySpec === undefined) === (numberOfBytes === undefined)) {
    throw new KmsError("ValidationException", "Please specify either number of bytes or key spec.");
  }
  if (body.Recipient !== undefined && body.Recipient !== null) {
    throw new KmsError(
      "UnsupportedOperationException",
      "Recipient is not supported by the KMS test endpoint.",
    );
  }
  const key = encryptionKey(store.resolve(keyId, { aliases: true }), "SYMMETRIC_DEFAULT", "GenerateDataKey");
  const plaintext = randomBytes(numberOfBytes ?? (keySpec === "AES_128" ? 16 : 32));
  return {
    CiphertextBlob: blob(sealSymmetric(key.keyId, secretOf(key), plaintext, context)),
    Plaintext: blob(plaintext),
    KeyId: key.arn,
  };
};

export const GenerateRandom: OperationHandler = (_store, body) => {
  const numberOfBytes = optionalInteger(body, "NumberOfBytes", 1, 1024);
  if (numberOfBytes === undefined) throw new KmsError("ValidationException", "NumberOfBytes is required.");
  if (body.CustomKeyStoreId !== undefined || body.Recipient !== undefined) {
    throw new KmsError(
      "UnsupportedOperationException",
      "CustomKeyStoreId and Recipient are not supported by the KMS test endpoint.",
    );
  }
  return { Plaintext: blob(randomBytes(numberOfBytes)) };
};
