// Version records and tombstones: what a version's file holds, and the VersionRecord read back.
import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from "node:crypto";
import { KeyClass, KeyType, type KeySpec, type NormalizedKeySpec } from "@keyprovider/core";
import {
  b64url,
  b64urlDecode,
  okpCurve,
  pkcs8Der,
  pkcs8FromRaw,
  rawFromSpki,
  validateKeySpec,
  type VersionRecord,
} from "@keyprovider/base";
import { STORE_FORMAT, corrupt, metaInteger, metaString, sealFile, type StoreFile } from "./sealed-file.js";

/** The spec as a record stores it: the fields a caller could have written, label out of the tags. */
function specMeta(spec: NormalizedKeySpec): Record<string, unknown> {
  const tags: Record<string, string> = { ...spec.tags };
  if (spec.label !== undefined) delete tags["label"];
  const asymmetric = spec.klass === KeyClass.asymmetric;
  return {
    klass: spec.klass,
    alg: spec.alg,
    uses: spec.uses,
    exportPolicy: spec.exportPolicy,
    ...(spec.type === KeyType.RSA ? { sizeBits: spec.sizeBits } : {}),
    ...(asymmetric
      ? { encoding: spec.encoding, publicFormat: spec.publicFormat, privateFormat: spec.privateFormat }
      : {}),
    ...(spec.label === undefined ? {} : { label: spec.label }),
    tags,
  };
}

/** What a new version's file is made from. */
export interface RecordInput {
  readonly kid: string;
  readonly version: number;
  readonly spec: NormalizedKeySpec;
  readonly publicKey?: KeyObject | undefined;
  /** The private key or symmetric secret; absent for a public-only import. */
  readonly secretKey?: KeyObject | undefined;
  readonly scopedId: string;
}

/**
 * The file of a version record: metadata (kid, version, spec, public key, scoped id) in the clear
 * and authenticated; the private key (PKCS#8 DER) or secret (raw bytes) sealed with AES-256-GCM.
 */
export function recordFile(input: RecordInput, keyId: string, key: KeyObject): Buffer {
  const { spec, publicKey, secretKey } = input;
  const meta = {
    format: STORE_FORMAT,
    type: "record",
    kid: input.kid,
    version: input.version,
    key: keyId,
    spec: specMeta(spec),
    ...(publicKey === undefined
      ? {}
      : { public: b64url(new Uint8Array(publicKey.export({ type: "spki", format: "der" }))) }),
    ...(secretKey === undefined ? { publicOnly: true } : {}),
    scopedId: input.scopedId,
    created: new Date().toISOString(),
  };
  let secret: Uint8Array = new Uint8Array(0);
  if (secretKey !== undefined) {
    secret =
      spec.klass === KeyClass.asymmetric ? pkcs8Der(spec, secretKey) : new Uint8Array(secretKey.export());
  }
  try {
    return sealFile(meta, key, secret);
  } finally {
    secret.fill(0);
  }
}

/** The VersionRecord of a version, from what it was made from. */
export function versionRecord(input: RecordInput): VersionRecord {
  const { publicKey, secretKey } = input;
  return Object.freeze({
    kid: input.kid,
    version: input.version,
    spec: input.spec,
    ...(publicKey === undefined ? {} : { publicKey }),
    ...(secretKey === undefined ? {} : { secretKey }),
    ...(input.spec.klass === KeyClass.asymmetric && secretKey === undefined ? { publicOnly: true } : {}),
    scopedId: input.scopedId,
  });
}

/** Check that an authenticated file is a version of `kid` numbered `version`, and which kind. */
export function versionFileKind(
  file: StoreFile,
  kid: string,
  version: number,
  record: string,
): "record" | "tombstone" {
  const type = file.meta["type"];
  if (type !== "record" && type !== "tombstone") corrupt(record, "is not a version record");
  if (metaString(file, "kid", record) !== kid || metaInteger(file, "version", record) !== version) {
    corrupt(record, `belongs to another kid or version, not version ${version} of kid ${kid}`);
  }
  return type;
}

/** Read an authenticated record file back into a VersionRecord; `plaintext` is zeroed. */
export function readRecord(file: StoreFile, plaintext: Uint8Array, record: string): VersionRecord {
  try {
    let spec: NormalizedKeySpec;
    try {
      spec = validateKeySpec(file.meta["spec"] as KeySpec, { purpose: "import" });
    } catch (error) {
      return corrupt(record, "holds a key spec this release does not accept", error);
    }
    const scopedId = metaString(file, "scopedId", record);
    const publicOnly = file.meta["publicOnly"] === true;
    const asymmetric = spec.klass === KeyClass.asymmetric;
    const spki = typeof file.meta["public"] === "string" ? b64urlDecode(file.meta["public"]) : undefined;
    if (asymmetric === (spki === undefined) || publicOnly !== (plaintext.byteLength === 0)) {
      corrupt(record, "is inconsistent");
    }
    let publicKey: KeyObject | undefined;
    let secretKey: KeyObject | undefined;
    try {
      if (!publicOnly) {
        const secret = Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
        secretKey = asymmetric ? privateKeyOf(spec, secret, spki!) : createSecretKey(secret);
      }
      // From the private key where there is one: far cheaper than decoding the SPKI, and the same
      // key (the record is authenticated, and was written from this pair).
      if (spki !== undefined) {
        publicKey =
          secretKey === undefined
            ? createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" })
            : createPublicKey(secretKey);
      }
    } catch (error) {
      return corrupt(record, "holds a key that does not parse", error);
    }
    return versionRecord({
      kid: metaString(file, "kid", record),
      version: metaInteger(file, "version", record),
      spec,
      publicKey,
      secretKey,
      scopedId,
    });
  } finally {
    plaintext.fill(0);
  }
}

/**
 * The private key of a record. OpenSSL 3 takes about a millisecond to decode any PKCS#8 DER; an
 * Ed25519 or X25519 key, whose PKCS#8 is a fixed prefix and the 32-byte seed (as base writes it),
 * is imported from its raw parts instead, ten times faster. Anything else goes through OpenSSL.
 */
function privateKeyOf(spec: NormalizedKeySpec, der: Buffer, spki: Uint8Array): KeyObject {
  const curve = okpCurve(spec.alg);
  if (curve !== undefined && der.length === 48) {
    const prefix = pkcs8FromRaw(curve, new Uint8Array(32)).subarray(0, 16);
    const x = rawFromSpki(curve, spki);
    if (x !== undefined && der.subarray(0, 16).equals(prefix)) {
      return createPrivateKey({
        key: { kty: "OKP", crv: curve, d: b64url(der.subarray(16)), x: b64url(x) },
        format: "jwk",
      });
    }
  }
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}

/** The file that replaces a destroyed version's record: its kid and number, and no key material. */
export function tombstoneFile(kid: string, version: number, keyId: string, key: KeyObject): Buffer {
  const meta = {
    format: STORE_FORMAT,
    type: "tombstone",
    kid,
    version,
    key: keyId,
    destroyed: new Date().toISOString(),
  };
  return sealFile(meta, key, new Uint8Array(0));
}
