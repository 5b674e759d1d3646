import { createSecretKey, generateKeyPair, type KeyObject } from "node:crypto";
import { KeyClass, KeyType, type NormalizedKeySpec } from "@keyprovider/core";
import { ALGORITHMS, RSA_KEY_SIZES } from "./algorithms.js";
import { randomBytes } from "./random.js";

/**
 * Fresh keys for a version: a key pair (generated on libuv's thread pool) or a secret.
 *
 * @example
 * ```ts
 * const { publicKey, secretKey } = await generateKeys(spec);
 * ```
 */
export interface GeneratedKeys {
  /** The public key of a key pair. */
  readonly publicKey?: KeyObject;
  /** The private key of a key pair, or the secret of a symmetric or opaque key. */
  readonly secretKey: KeyObject;
}

/**
 * Generate the keys of a new version for a spec. Symmetric keys are 32 CSPRNG bytes; opaque keys
 * are random bytes of `opaqueLength` (default 32, so a rotation keeps the length).
 *
 * @example
 * ```ts
 * const keys = await generateKeys(validateKeySpec({ alg: "ES384" }));
 * keys.publicKey?.asymmetricKeyDetails?.namedCurve; // "secp384r1"
 * ```
 */
export async function generateKeys(spec: NormalizedKeySpec, opaqueLength = 32): Promise<GeneratedKeys> {
  if (spec.klass !== KeyClass.asymmetric) {
    const bytes = randomBytes(spec.klass === KeyClass.opaque ? opaqueLength : 32);
    try {
      return { secretKey: createSecretKey(bytes) };
    } finally {
      bytes.fill(0);
    }
  }
  const info = ALGORITHMS[spec.alg];
  const [type, options] =
    info.type === KeyType.RSA
      ? (["rsa", { modulusLength: spec.sizeBits ?? RSA_KEY_SIZES[0], publicExponent: 0x10001 }] as const)
      : info.type === KeyType.EC
        ? (["ec", { namedCurve: info.curve!.node }] as const)
        : ([info.curve!.node as "ed25519", {}] as const);
  return new Promise((resolve, reject) => {
    generateKeyPair(type as "ec", options as { namedCurve: string }, (error, publicKey, privateKey) => {
      if (error) reject(error);
      else resolve({ publicKey, secretKey: privateKey });
    });
  });
}
