import { Buffer } from "node:buffer";
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHmac,
  diffieHellman,
  hkdfSync,
  privateDecrypt,
  publicEncrypt,
  sign as nodeSign,
  timingSafeEqual,
  verify as nodeVerify,
  type KeyObject,
} from "node:crypto";
import { DecryptionError, InvalidKeyMaterialError, type KeyAlg } from "@keyprovider/core";
import { ALGORITHMS } from "./algorithms.js";
import { toBytes } from "./encoding.js";
import { randomBytes } from "./random.js";

const GCM_NONCE_BYTES = 12;
const GCM_TAG_BYTES = 16;
const X25519_INFO = Buffer.from("keyprovider/envelope/X25519/A256GCM", "latin1");

/** The `node:crypto` options that make a signature JOSE-shaped for an algorithm. */
function signOptions(alg: KeyAlg, key: KeyObject) {
  const signature = ALGORITHMS[alg].signature!;
  switch (signature.scheme) {
    case "ecdsa":
      return { key, dsaEncoding: "ieee-p1363" as const };
    case "rsa-pss":
      return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: signature.saltLength! };
    case "rsa-pkcs1":
      return { key, padding: constants.RSA_PKCS1_PADDING };
    default:
      return key;
  }
}

/**
 * Sign a message with a key held in process, in JOSE form: Ed25519 (64 bytes), ECDSA `r‖s`,
 * RSA-PSS with MGF1 and a salt of the hash length, RSASSA-PKCS1-v1_5, or an HMAC-SHA256 tag.
 *
 * @example
 * ```ts
 * const signature = signWithKey("ECDSA_P256_SHA256", privateKey, data); // Uint8Array(64)
 * ```
 */
export function signWithKey(alg: KeyAlg, key: KeyObject, data: Uint8Array): Uint8Array {
  const signature = ALGORITHMS[alg].signature;
  if (signature === undefined) throw new TypeError(`signWithKey: ${alg} keys do not sign`);
  if (signature.scheme === "hmac")
    return new Uint8Array(createHmac(signature.hash!, key).update(data).digest());
  return new Uint8Array(nodeSign(signature.hash ?? null, data, signOptions(alg, key)));
}

/**
 * Verify a JOSE-form signature with a public key (or an HMAC tag with a secret key, compared in
 * constant time). A malformed signature, of any length, is `false`.
 *
 * @example
 * ```ts
 * verifyWithKey("ED25519", publicKey, data, signature); // true
 * ```
 */
export function verifyWithKey(alg: KeyAlg, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const info = ALGORITHMS[alg].signature;
  if (info === undefined) throw new TypeError(`verifyWithKey: ${alg} keys do not verify`);
  if (info.length !== undefined && signature.byteLength !== info.length) return false;
  if (info.scheme === "hmac") {
    const expected = createHmac(info.hash!, key).update(data).digest();
    return timingSafeEqual(expected, signature);
  }
  try {
    return nodeVerify(info.hash ?? null, data, signOptions(alg, key), signature);
  } catch {
    return false;
  }
}

/**
 * AES-256-GCM with a fresh random 96-bit nonce.
 *
 * @example
 * ```ts
 * const { nonce, body } = aesGcmSeal(secretKey, plaintext, aad);
 * ```
 */
export function aesGcmSeal(
  key: KeyObject | Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): { readonly nonce: Uint8Array; readonly body: Uint8Array } {
  const nonce = randomBytes(GCM_NONCE_BYTES); // never pooled: see publicRandomBytes
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  return {
    nonce,
    body: toBytes(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])),
  };
}

/**
 * Open AES-256-GCM; any failure (wrong key, nonce, tag, aad, length) is the one `DecryptionError`.
 *
 * @example
 * ```ts
 * const plaintext = aesGcmOpen(secretKey, nonce, body, aad);
 * ```
 */
export function aesGcmOpen(
  key: KeyObject | Uint8Array,
  nonce: Uint8Array,
  body: Uint8Array,
  aad: Uint8Array,
): Uint8Array {
  if (nonce.byteLength !== GCM_NONCE_BYTES || body.byteLength < GCM_TAG_BYTES) throw new DecryptionError();
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(body.subarray(body.byteLength - GCM_TAG_BYTES));
    const head = decipher.update(body.subarray(0, body.byteLength - GCM_TAG_BYTES));
    const tail = decipher.final();
    // Its own memory, never a slice of Node's shared Buffer pool (see toBytes).
    const plaintext = new Uint8Array(head.byteLength + tail.byteLength);
    plaintext.set(head, 0);
    plaintext.set(tail, head.byteLength);
    head.fill(0);
    tail.fill(0);
    return plaintext;
  } catch {
    throw new DecryptionError();
  }
}

/**
 * Wrap a content key with RSA-OAEP-256 (SHA-256, MGF1-SHA-256, no label).
 *
 * @example
 * ```ts
 * const wrapped = rsaOaepWrap(publicKey, contentKey);
 * ```
 */
export function rsaOaepWrap(publicKey: KeyObject, contentKey: Uint8Array): Uint8Array {
  return new Uint8Array(
    publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      contentKey,
    ),
  );
}

/**
 * Unwrap an RSA-OAEP-256 content key; failure is `DecryptionError`.
 *
 * @example
 * ```ts
 * const contentKey = rsaOaepUnwrap(privateKey, wrapped);
 * ```
 */
export function rsaOaepUnwrap(privateKey: KeyObject, wrapped: Uint8Array): Uint8Array {
  try {
    return new Uint8Array(
      privateDecrypt(
        { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
        wrapped,
      ),
    );
  } catch {
    throw new DecryptionError();
  }
}

/**
 * X25519 agreement. An all-zero result (a low-order peer point) is refused with
 * `InvalidKeyMaterialError`, as RFC 7748 §6.1 allows and most protocols require.
 *
 * @example
 * ```ts
 * const shared = x25519Agree(privateKey, peerPublicKey); // Uint8Array(32)
 * ```
 */
export function x25519Agree(privateKey: KeyObject, publicKey: KeyObject): Uint8Array {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch {
    // OpenSSL 3 refuses to derive the all-zero secret instead of returning it.
    shared = Buffer.alloc(32);
  }
  if (shared.every((byte) => byte === 0)) {
    throw new InvalidKeyMaterialError(
      "The X25519 public key is a low-order point: every agreement with it gives the all-zero secret; it is refused",
    );
  }
  return new Uint8Array(shared.buffer, shared.byteOffset, shared.byteLength);
}

/**
 * The AES-256 content key of an X25519 envelope: HKDF-SHA256 of the shared secret, salted with the
 * ephemeral and the recipient public keys (raw), so the key is bound to both.
 *
 * @example
 * ```ts
 * const contentKey = x25519ContentKey(shared, ephemeralRaw, recipientRaw);
 * ```
 */
export function x25519ContentKey(
  shared: Uint8Array,
  ephemeralPublic: Uint8Array,
  recipientPublic: Uint8Array,
): Uint8Array {
  const salt = Buffer.concat([ephemeralPublic, recipientPublic]);
  return new Uint8Array(hkdfSync("sha256", shared, salt, X25519_INFO, 32));
}
