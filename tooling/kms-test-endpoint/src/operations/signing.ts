import { createHmac, timingSafeEqual, type KeyObject } from "node:crypto";
import { MAC_ALGORITHMS, SIGNING_ALGORITHMS, algorithmsOf, type MacAlgorithm } from "../lib/key-specs.js";
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
  requiredBlob,
  requiredEnum,
  requiredString,
  type RequestBody,
} from "../lib/request.js";
import { SIGNING_SCHEMES, createSignature, verifySignature, type SigningScheme } from "../lib/signatures.js";
import type { OperationHandler } from "./handler.js";

const MAX_MESSAGE_BYTES = 4096;
const MAX_SIGNATURE_BYTES = 6144;

/** The key pair of a key that passed the usage checks (every SIGN_VERIFY key has one). */
function keyPairOf(key: KmsKey): { privateKey: KeyObject; publicKey: KeyObject } {
  if (key.material.kind !== "key-pair")
    throw new KmsError("KMSInternalException", "key has no key pair", 500);
  return key.material;
}

/** The checks Sign and Verify share, in the order KMS applies them. */
function signingRequest(store: KeyStore, body: RequestBody, operation: string) {
  const keyId = requiredString(body, "KeyId");
  const message = requiredBlob(body, "Message", 1, MAX_MESSAGE_BYTES);
  const messageType = optionalEnum(body, "MessageType", ["RAW", "DIGEST", "EXTERNAL_MU"]) ?? "RAW";
  const algorithm = requiredEnum(body, "SigningAlgorithm", SIGNING_ALGORITHMS);
  const key = store.resolve(keyId, { aliases: true });
  requireEnabled(key);
  requireUsage(key, "SIGN_VERIFY", operation);
  requireAlgorithm(key, algorithm, algorithmsOf(key.spec, key.usage).SigningAlgorithms);
  const scheme = SIGNING_SCHEMES[algorithm] as SigningScheme;
  if (messageType === "EXTERNAL_MU" || !scheme.messageTypes.includes(messageType)) {
    throw new KmsError(
      "ValidationException",
      `MessageType ${messageType} is not supported with signing algorithm ${algorithm}.`,
    );
  }
  if (messageType === "DIGEST" && message.length !== scheme.digestBytes) {
    throw new KmsError("ValidationException", `Digest is invalid length for algorithm ${algorithm}.`);
  }
  return { key, message, messageType, algorithm, scheme };
}

export const Sign: OperationHandler = (store, body) => {
  const { key, message, messageType, algorithm, scheme } = signingRequest(store, body, "Sign");
  const signature = createSignature(scheme, keyPairOf(key).privateKey, message, messageType);
  return { KeyId: key.arn, Signature: blob(signature), SigningAlgorithm: algorithm };
};

export const Verify: OperationHandler = (store, body) => {
  const signature = requiredBlob(body, "Signature", 1, MAX_SIGNATURE_BYTES);
  const { key, message, messageType, algorithm, scheme } = signingRequest(store, body, "Verify");
  if (!verifySignature(scheme, keyPairOf(key).publicKey, message, messageType, signature)) {
    throw new KmsError("KMSInvalidSignatureException", "");
  }
  return { KeyId: key.arn, SignatureValid: true, SigningAlgorithm: algorithm };
};

const MAC_HASHES: Readonly<Record<MacAlgorithm, string>> = {
  HMAC_SHA_224: "sha224",
  HMAC_SHA_256: "sha256",
  HMAC_SHA_384: "sha384",
  HMAC_SHA_512: "sha512",
};

/** The checks GenerateMac and VerifyMac share, and the MAC of the message. */
function macOf(store: KeyStore, body: RequestBody, operation: string) {
  const keyId = requiredString(body, "KeyId");
  const message = requiredBlob(body, "Message", 1, MAX_MESSAGE_BYTES);
  const algorithm = requiredEnum(body, "MacAlgorithm", MAC_ALGORITHMS);
  const key = store.resolve(keyId, { aliases: true });
  requireEnabled(key);
  requireUsage(key, "GENERATE_VERIFY_MAC", operation);
  requireAlgorithm(key, algorithm, algorithmsOf(key.spec, key.usage).MacAlgorithms);
  if (key.material.kind !== "secret") throw new KmsError("KMSInternalException", "key has no secret", 500);
  const mac = createHmac(MAC_HASHES[algorithm], key.material.secret).update(message).digest();
  return { key, algorithm, mac };
}

export const GenerateMac: OperationHandler = (store, body) => {
  const { key, algorithm, mac } = macOf(store, body, "GenerateMac");
  return { KeyId: key.arn, Mac: blob(mac), MacAlgorithm: algorithm };
};

export const VerifyMac: OperationHandler = (store, body) => {
  const given = requiredBlob(body, "Mac", 1, MAX_SIGNATURE_BYTES);
  const { key, algorithm, mac } = macOf(store, body, "VerifyMac");
  if (given.length !== mac.length || !timingSafeEqual(given, mac))
    throw new KmsError("KMSInvalidMacException", "");
  return { KeyId: key.arn, MacValid: true, MacAlgorithm: algorithm };
};
