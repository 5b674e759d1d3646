import { generateKeyPair, randomBytes, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import type { KeySpec } from "./key-specs.js";

/** The secret behind a KMS key: raw bytes (symmetric, HMAC) or a node:crypto key pair. */
export type KeyMaterial =
  | { readonly kind: "secret"; readonly secret: Buffer }
  | { readonly kind: "key-pair"; readonly privateKey: KeyObject; readonly publicKey: KeyObject };

const generatePair = promisify(generateKeyPair);

/** HMAC key lengths in bytes, as KMS makes them: the digest size of the spec's hash. */
const HMAC_KEY_BYTES = { HMAC_224: 28, HMAC_256: 32, HMAC_384: 48, HMAC_512: 64 } as const;

/** Make fresh key material for a key spec (asynchronously, so RSA generation does not block the server). */
export async function generateKeyMaterial(spec: KeySpec): Promise<KeyMaterial> {
  switch (spec) {
    case "SYMMETRIC_DEFAULT":
      return { kind: "secret", secret: randomBytes(32) };
    case "HMAC_224":
    case "HMAC_256":
    case "HMAC_384":
    case "HMAC_512":
      return { kind: "secret", secret: randomBytes(HMAC_KEY_BYTES[spec]) };
    case "RSA_2048":
    case "RSA_3072":
    case "RSA_4096":
      return { kind: "key-pair", ...(await generatePair("rsa", { modulusLength: Number(spec.slice(4)) })) };
    case "ECC_NIST_P256":
    case "ECC_NIST_P384":
    case "ECC_NIST_P521":
      return { kind: "key-pair", ...(await generatePair("ec", { namedCurve: `P-${spec.slice(10)}` })) };
    case "ECC_NIST_EDWARDS25519":
      return { kind: "key-pair", ...(await generatePair("ed25519")) };
  }
}
