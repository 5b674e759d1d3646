import type { KeyObject } from "node:crypto";
import { KeyAlg } from "@keyprovider/core";
import { bufferOf, toBytes } from "./encoding.js";
import { encodeEnvelope, envelopeAad } from "./envelope.js";
import { ephemeralX25519 } from "./key-generation.js";
import { aesGcmSeal, rsaOaepWrap, x25519Agree, x25519ContentKey } from "./key-operations.js";
import { randomBytes } from "./random.js";

/**
 * The raw 32-byte public key of an X25519 key object.
 *
 * @example
 * ```ts
 * rawX25519(publicKey).length; // 32
 * ```
 */
export function rawX25519(publicKey: KeyObject): Uint8Array {
  const der = bufferOf(toBytes(publicKey.export({ type: "spki", format: "der" })));
  return new Uint8Array(der.subarray(der.length - 32));
}

/**
 * Encrypt to a public key into keyprovider's envelope (DESIGN §7.6), hybrid: a fresh AES-256 key per
 * message, wrapped with RSA-OAEP-256, or derived with HKDF-SHA256 from an ephemeral X25519
 * agreement. Only the holder of the private key of `kid` version `version` can open it. This is
 * `encrypt` for RSA-OAEP and X25519 keys in every provider, and what a verifier of a remote JWKS uses
 * to encrypt to a published key.
 *
 * @example
 * ```ts
 * const ciphertext = sealToPublicKey("RSA_OAEP_SHA256", kid, 2, publicKey, plaintext, aad);
 * ```
 */
export function sealToPublicKey(
  alg: typeof KeyAlg.RSA_OAEP_SHA256 | typeof KeyAlg.X25519,
  kid: string,
  version: number,
  publicKey: KeyObject,
  plaintext: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  const header = { alg, kid, version };
  const contentKey = randomBytes(32);
  let wrappedKey: Uint8Array;
  let sealingKey = contentKey;
  try {
    if (alg === KeyAlg.RSA_OAEP_SHA256) {
      wrappedKey = rsaOaepWrap(publicKey, contentKey);
    } else {
      // X25519: an ephemeral key pair, agreement with the recipient, HKDF to the content key.
      const ephemeral = ephemeralX25519();
      wrappedKey = rawX25519(ephemeral.publicKey);
      const shared = x25519Agree(ephemeral.secretKey, publicKey);
      sealingKey = x25519ContentKey(shared, wrappedKey, rawX25519(publicKey));
      shared.fill(0);
    }
    const sealed = aesGcmSeal(sealingKey, plaintext, envelopeAad({ ...header, wrappedKey }, aad));
    return encodeEnvelope({ ...header, wrappedKey, ...sealed });
  } finally {
    contentKey.fill(0);
    sealingKey.fill(0);
  }
}
