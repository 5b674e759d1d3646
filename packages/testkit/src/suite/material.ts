import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  webcrypto,
  type KeyObject,
} from "node:crypto";

/**
 * A key pair whose key objects are parsed from DER, not the ones generateKeyPairSync returns: those
 * share a lock with the generation job, and Node 20 deadlocks when the garbage collector finalizes
 * the job while the same key is being exported (the suite exports every key it makes).
 */
function freshPair(
  type: "ed25519" | "x25519" | "ec" | "rsa",
  options: { namedCurve?: string; modulusLength?: number } = {},
): { publicKey: KeyObject; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync(type as "ec", {
    ...(options as { namedCurve: string }),
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "pkcs8", format: "der" },
  });
  return {
    publicKey: createPublicKey({ key: publicKey, format: "der", type: "spki" }),
    privateKey: createPrivateKey({ key: privateKey, format: "der", type: "pkcs8" }),
  };
}
import { KeyAlg } from "@keyprovider/core";
import { EXPECTED } from "./algorithms.js";

/** A key made here, with node:crypto, in every form `importKey` takes. */
export interface LocalKey {
  /** The private key of a key pair. */
  readonly privateKey?: KeyObject;
  readonly publicKey?: KeyObject;
  /** The raw secret of a symmetric key. */
  readonly secret?: Uint8Array;
  /** The WebCrypto algorithm and usages of the private key or secret. */
  readonly webCrypto: {
    readonly algorithm:
      | webcrypto.AlgorithmIdentifier
      | webcrypto.RsaHashedImportParams
      | webcrypto.EcKeyImportParams
      | webcrypto.HmacImportParams
      | webcrypto.AesKeyAlgorithm;
    readonly usages: webcrypto.KeyUsage[];
  };
}

let rsa: { privateKey: KeyObject; publicKey: KeyObject } | undefined;

const hashOf = (alg: KeyAlg) => `SHA-${EXPECTED[alg].signature?.hash?.slice(3) ?? "256"}`;

/** A fresh key of the algorithm (RSA: one 2048-bit key per process, reused: generating RSA keys is slow). */
export function localKey(alg: KeyAlg): LocalKey {
  const expected = EXPECTED[alg];
  switch (alg) {
    case KeyAlg.AES256_GCM:
      return {
        secret: new Uint8Array(randomBytes(32)),
        webCrypto: { algorithm: { name: "AES-GCM", length: 256 }, usages: ["encrypt", "decrypt"] },
      };
    case KeyAlg.HMAC_SHA256:
      return {
        secret: new Uint8Array(randomBytes(32)),
        webCrypto: { algorithm: { name: "HMAC", hash: "SHA-256", length: 256 }, usages: ["sign", "verify"] },
      };
    case KeyAlg.ED25519:
      return {
        ...freshPair("ed25519"),
        webCrypto: { algorithm: { name: "Ed25519" }, usages: ["sign"] },
      };
    case KeyAlg.X25519:
      return {
        ...freshPair("x25519"),
        webCrypto: { algorithm: { name: "X25519" }, usages: ["deriveBits"] },
      };
    default:
      break;
  }
  if (expected.node?.type === "ec") {
    const namedCurve = expected.jwk!.crv!;
    return {
      ...freshPair("ec", { namedCurve }),
      webCrypto: { algorithm: { name: "ECDSA", namedCurve }, usages: ["sign"] },
    };
  }
  rsa ??= freshPair("rsa", { modulusLength: 2048 });
  const name =
    alg === KeyAlg.RSA_OAEP_SHA256
      ? "RSA-OAEP"
      : expected.signature?.scheme === "rsa-pss"
        ? "RSA-PSS"
        : "RSASSA-PKCS1-v1_5";
  return {
    ...rsa,
    webCrypto: { algorithm: { name, hash: hashOf(alg) }, usages: [name === "RSA-OAEP" ? "decrypt" : "sign"] },
  };
}

/** The private key or secret of a local key as a WebCrypto `CryptoKey`. */
export async function cryptoKeyOf(key: LocalKey, extractable: boolean): Promise<webcrypto.CryptoKey> {
  const { algorithm, usages } = key.webCrypto;
  if (key.secret !== undefined)
    return webcrypto.subtle.importKey("raw", key.secret, algorithm, extractable, usages);
  const der = key.privateKey!.export({ type: "pkcs8", format: "der" });
  return webcrypto.subtle.importKey("pkcs8", der, algorithm, extractable, usages);
}

/** A CryptoKey pair made by WebCrypto itself (for the algorithms where that is quick). */
export async function generatedCryptoKey(
  key: LocalKey,
  extractable: boolean,
): Promise<webcrypto.CryptoKey | webcrypto.CryptoKeyPair> {
  const { algorithm, usages } = key.webCrypto;
  const all: webcrypto.KeyUsage[] = usages.includes("sign")
    ? ["sign", "verify"]
    : usages.includes("decrypt")
      ? ["encrypt", "decrypt"]
      : usages;
  return webcrypto.subtle.generateKey(algorithm as webcrypto.EcKeyGenParams, extractable, all);
}

/** The secret as a `KeyObject`. */
export function secretKeyObject(key: LocalKey): KeyObject {
  return createSecretKey(key.secret!);
}
