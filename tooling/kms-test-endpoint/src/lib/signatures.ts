import {
  constants,
  createHash,
  privateEncrypt,
  publicDecrypt,
  randomBytes,
  sign,
  timingSafeEqual,
  verify,
  type KeyObject,
} from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { eddsa } from "@noble/curves/abstract/edwards.js";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { sha512 } from "@noble/hashes/sha2.js";

type Hash = "sha256" | "sha384" | "sha512";

/** How one KMS signing algorithm signs: the scheme, its hash and the DIGEST length it takes. */
export interface SigningScheme {
  readonly family: "rsa-pss" | "rsa-pkcs1" | "ecdsa" | "ed25519" | "ed25519ph";
  readonly hash: Hash;
  readonly digestBytes: number;
  /** The MessageType values the algorithm accepts (Ed25519 takes RAW only, Ed25519ph DIGEST only). */
  readonly messageTypes: readonly ("RAW" | "DIGEST")[];
}

const scheme = (
  family: SigningScheme["family"],
  hash: Hash,
  messageTypes: SigningScheme["messageTypes"] = ["RAW", "DIGEST"],
): SigningScheme => ({
  family,
  hash,
  digestBytes: { sha256: 32, sha384: 48, sha512: 64 }[hash],
  messageTypes,
});

/** The signing algorithms this endpoint implements. */
export const SIGNING_SCHEMES: Readonly<Record<string, SigningScheme>> = {
  RSASSA_PSS_SHA_256: scheme("rsa-pss", "sha256"),
  RSASSA_PSS_SHA_384: scheme("rsa-pss", "sha384"),
  RSASSA_PSS_SHA_512: scheme("rsa-pss", "sha512"),
  RSASSA_PKCS1_V1_5_SHA_256: scheme("rsa-pkcs1", "sha256"),
  RSASSA_PKCS1_V1_5_SHA_384: scheme("rsa-pkcs1", "sha384"),
  RSASSA_PKCS1_V1_5_SHA_512: scheme("rsa-pkcs1", "sha512"),
  ECDSA_SHA_256: scheme("ecdsa", "sha256"),
  ECDSA_SHA_384: scheme("ecdsa", "sha384"),
  ECDSA_SHA_512: scheme("ecdsa", "sha512"),
  ED25519_SHA_512: scheme("ed25519", "sha512", ["RAW"]),
  ED25519_PH_SHA_512: scheme("ed25519ph", "sha512", ["DIGEST"]),
};

/** The DER DigestInfo prefixes of RFC 8017 §9.2, note 1. */
const DIGEST_INFO: Readonly<Record<Hash, Buffer>> = {
  sha256: Buffer.from("3031300d060960864801650304020105000420", "hex"),
  sha384: Buffer.from("3041300d060960864801650304020205000430", "hex"),
  sha512: Buffer.from("3051300d060960864801650304020305000440", "hex"),
};

const CURVES = { prime256v1: p256, secp384r1: p384, secp521r1: p521 } as const;

/**
 * Ed25519ph (RFC 8032 §5.1) over a SHA-512 value the caller already computed: the same scheme as
 * noble's `ed25519ph`, whose pre-hash step is replaced by the identity, because a KMS DIGEST
 * message is PH(M) itself.
 */
const ed25519phOfDigest = eddsa(ed25519.Point, sha512, {
  adjustScalarBytes: (bytes: Uint8Array) => {
    bytes[0]! &= 248;
    bytes[31]! &= 127;
    bytes[31]! |= 64;
    return bytes;
  },
  domain: (data: Uint8Array, context: Uint8Array, phflag: boolean) =>
    Buffer.concat([
      Buffer.from("SigEd25519 no Ed25519 collisions"),
      Buffer.from([phflag ? 1 : 0, context.length]),
      context,
      data,
    ]),
  prehash: (digest: Uint8Array) => digest,
});

function digestOf(scheme: SigningScheme, message: Uint8Array, messageType: "RAW" | "DIGEST"): Buffer {
  return messageType === "DIGEST" ? Buffer.from(message) : createHash(scheme.hash).update(message).digest();
}

function jwkMember(key: KeyObject, member: "d" | "x" | "y"): Buffer {
  const value = key.export({ format: "jwk" })[member];
  if (value === undefined) throw new Error(`key has no JWK member ${member}`);
  return Buffer.from(value, "base64url");
}

function curveOf(key: KeyObject) {
  const name = key.asymmetricKeyDetails?.namedCurve;
  const curve = name === undefined ? undefined : CURVES[name as keyof typeof CURVES];
  if (curve === undefined) throw new Error(`unsupported curve ${String(name)}`);
  return curve;
}

function uncompressedPoint(publicKey: KeyObject): Buffer {
  return Buffer.concat([Buffer.from([4]), jwkMember(publicKey, "x"), jwkMember(publicKey, "y")]);
}

function mgf1(hash: Hash, seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * seed.length < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(createHash(hash).update(seed).update(c).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** Encoded-message length and bit count for RSA-PSS (RFC 8017 §9.1: emBits = modBits - 1). */
function pssGeometry(key: KeyObject): { emBits: number; emLen: number; k: number } {
  const modBits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  return { emBits: modBits - 1, emLen: Math.ceil((modBits - 1) / 8), k: Math.ceil(modBits / 8) };
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with salt length = hash length, as KMS signs. */
function pssEncode(hash: Hash, digest: Buffer, key: KeyObject): Buffer {
  const { emBits, emLen, k } = pssGeometry(key);
  const hLen = digest.length;
  const salt = randomBytes(hLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.from([1]), salt]);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  return Buffer.concat([Buffer.alloc(k - emLen), db, h, Buffer.from([0xbc])]);
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with salt length = hash length. */
function pssVerify(hash: Hash, digest: Buffer, decoded: Buffer, key: KeyObject): boolean {
  const { emBits, emLen, k } = pssGeometry(key);
  const hLen = digest.length;
  if (decoded.length !== k || decoded.subarray(0, k - emLen).some((byte) => byte !== 0)) return false;
  const em = decoded.subarray(k - emLen);
  if (emLen < 2 * hLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const topMask = 0xff >> (8 * emLen - emBits);
  const db = Buffer.from(em.subarray(0, emLen - hLen - 1));
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  if ((db[0]! & ~topMask) !== 0) return false;
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= topMask;
  const separator = db.length - hLen - 1;
  if (db.subarray(0, separator).some((byte) => byte !== 0) || db[separator] !== 1) return false;
  const salt = db.subarray(separator + 1);
  const expected = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return timingSafeEqual(expected, h);
}

/** Sign as KMS `Sign` does; the caller has checked the algorithm, key and message type. */
export function createSignature(
  scheme: SigningScheme,
  privateKey: KeyObject,
  message: Uint8Array,
  messageType: "RAW" | "DIGEST",
): Buffer {
  if (scheme.family === "ed25519") return sign(null, message, privateKey);
  const digest = digestOf(scheme, message, messageType);
  switch (scheme.family) {
    case "rsa-pkcs1":
      return privateEncrypt(
        { key: privateKey, padding: constants.RSA_PKCS1_PADDING },
        Buffer.concat([DIGEST_INFO[scheme.hash], digest]),
      );
    case "rsa-pss":
      return privateEncrypt(
        { key: privateKey, padding: constants.RSA_NO_PADDING },
        pssEncode(scheme.hash, digest, privateKey),
      );
    case "ecdsa":
      return Buffer.from(
        curveOf(privateKey).sign(digest, jwkMember(privateKey, "d"), {
          prehash: false,
          format: "der",
          extraEntropy: true,
          lowS: false,
        }),
      );
    case "ed25519ph":
      return Buffer.from(ed25519phOfDigest.sign(digest, jwkMember(privateKey, "d")));
  }
}

/** Verify as KMS `Verify` does: `false` for any signature that does not check, malformed or not. */
export function verifySignature(
  scheme: SigningScheme,
  publicKey: KeyObject,
  message: Uint8Array,
  messageType: "RAW" | "DIGEST",
  signature: Buffer,
): boolean {
  try {
    if (scheme.family === "ed25519") return verify(null, message, publicKey, signature);
    const digest = digestOf(scheme, message, messageType);
    switch (scheme.family) {
      case "rsa-pkcs1": {
        if (signature.length !== pssGeometry(publicKey).k) return false;
        const decoded = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
        const expected = Buffer.concat([DIGEST_INFO[scheme.hash], digest]);
        return decoded.length === expected.length && timingSafeEqual(decoded, expected);
      }
      case "rsa-pss":
        if (signature.length !== pssGeometry(publicKey).k) return false;
        return pssVerify(
          scheme.hash,
          digest,
          publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature),
          publicKey,
        );
      case "ecdsa":
        return curveOf(publicKey).verify(signature, digest, uncompressedPoint(publicKey), {
          prehash: false,
          lowS: false,
          format: "der",
        });
      case "ed25519ph":
        return ed25519phOfDigest.verify(signature, digest, jwkMember(publicKey, "x"), { zip215: false });
    }
  } catch {
    return false;
  }
}
