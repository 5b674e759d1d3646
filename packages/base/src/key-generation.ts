import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPair,
  generateKeyPairSync,
  type JsonWebKey,
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
    // @types/node has no overload for the "jwk" encodings Node accepts since v15.9.
    (generateKeyPair as unknown as GenerateJwkPair)(
      type,
      { ...options, ...JWK_ENCODINGS },
      (error, publicJwk, privateJwk) => {
        if (error !== null) reject(error);
        else resolve(keyPairFromJwk(publicJwk, privateJwk));
      },
    );
  });
}

/**
 * Key pairs are generated as JWKs and imported into key objects of their own. A key object that
 * `generateKeyPair(Sync)` returns shares a lock with the generation job, and Node 20 deadlocks when
 * the garbage collector finalizes that job while the same key is in use (an export holds the lock
 * and allocates, the allocation runs the GC, the job's destructor takes the lock): seen as a test
 * run hung for good in `KeyObject.export({ format: "jwk" })`. JWK is the cheapest copy (importing
 * PKCS#8 DER goes through OpenSSL 3's decoders, about 1 ms a key).
 */
type GenerateJwkPair = (
  type: string,
  options: object,
  callback: (error: Error | null, publicJwk: JsonWebKey, privateJwk: JsonWebKey) => void,
) => void;

const JWK_ENCODINGS = {
  publicKeyEncoding: { format: "jwk" },
  privateKeyEncoding: { format: "jwk" },
} as const;

function keyPairFromJwk(
  publicJwk: JsonWebKey,
  privateJwk: JsonWebKey,
): { publicKey: KeyObject; secretKey: KeyObject } {
  return {
    publicKey: createPublicKey({ key: publicJwk, format: "jwk" }),
    secretKey: createPrivateKey({ key: privateJwk, format: "jwk" }),
  };
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
  const { publicKey, privateKey } = (
    generateKeyPairSync as unknown as (
      type: "x25519",
      options: typeof JWK_ENCODINGS,
    ) => { publicKey: JsonWebKey; privateKey: JsonWebKey }
  )("x25519", JWK_ENCODINGS);
  return keyPairFromJwk(publicKey, privateKey);
}
