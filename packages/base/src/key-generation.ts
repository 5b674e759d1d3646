import type { Buffer } from "node:buffer";
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPair,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
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
    generateKeyPair(
      type as "ec",
      { ...(options as { namedCurve: string }), ...DER_ENCODINGS },
      (error, publicDer: Buffer, privateDer: Buffer) => {
        if (error) reject(error);
        else resolve(keyPairFromDer(publicDer, privateDer));
      },
    );
  });
}

/**
 * Key pairs are generated as DER and parsed into key objects of their own. A key object that
 * `generateKeyPair(Sync)` returns shares a lock with the generation job, and Node 20 deadlocks when
 * the garbage collector finalizes that job while the same key is being exported (an export holds the
 * lock and allocates, the allocation runs the GC, the job's destructor takes the lock): seen as a
 * test run that hung forever in `KeyObject.export({ format: "jwk" })`.
 */
const DER_ENCODINGS = {
  publicKeyEncoding: { type: "spki", format: "der" },
  privateKeyEncoding: { type: "pkcs8", format: "der" },
} as const;

function keyPairFromDer(
  publicDer: Buffer,
  privateDer: Buffer,
): { publicKey: KeyObject; secretKey: KeyObject } {
  try {
    return {
      publicKey: createPublicKey({ key: publicDer, format: "der", type: "spki" }),
      secretKey: createPrivateKey({ key: privateDer, format: "der", type: "pkcs8" }),
    };
  } finally {
    privateDer.fill(0);
  }
}

/**
 * An X25519 key pair generated synchronously, for one-time use (an ephemeral key of an envelope),
 * with key objects of its own (see {@link generateKeys} on why).
 *
 * @example
 * ```ts
 * const { publicKey, secretKey } = ephemeralX25519();
 * ```
 */
export function ephemeralX25519(): { readonly publicKey: KeyObject; readonly secretKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync("x25519", {
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "pkcs8", format: "der" },
  });
  return keyPairFromDer(publicKey, privateKey);
}
