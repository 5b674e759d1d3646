import { createPublicKey, type JsonWebKey, type KeyObject } from "node:crypto";
import {
  PRIVATE_JWK_MEMBERS,
  assertSafePublicKey,
  jwkThumbprint,
  type PublicJwkMembers,
} from "@keyprovider/base";
import { RemoteJwksError, parseVersionedKid, type KeyAlg } from "@keyprovider/core";
import { isKnownKeyType, jwkAlgorithms } from "./algorithms.js";
import { isPlainObject, parseJsonObject } from "./json.js";
import { describeUrl } from "./url.js";

/**
 * A public JWK as a {@link RemoteJwksSource} keeps it: only the public key members of its type plus
 * `kid`, `alg`, `use` and `key_ops`. Private members and anything else the server sent are gone.
 *
 * @example
 * ```ts
 * const jwk: RemoteJwk = { kty: "EC", crv: "P-256", x: "…", y: "…", kid: "k1.2", alg: "ES256", use: "sig" };
 * ```
 */
export interface RemoteJwk {
  readonly kty: "RSA" | "EC" | "OKP";
  readonly kid?: string;
  readonly alg?: string;
  readonly use?: string;
  readonly key_ops?: readonly string[];
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
  readonly n?: string;
  readonly e?: string;
}

/**
 * One key of a fetched JWK Set, validated and frozen.
 *
 * @example
 * ```ts
 * const key: RemoteKey = await source.getKey({ kid: "k1", version: 2, alg: "ES256" });
 * crypto.verify("sha256", data, { key: key.publicKey, dsaEncoding: "ieee-p1363" }, signature);
 * ```
 */
export interface RemoteKey {
  /** The bare kid (`"k1"` for the JWK kid `"k1.2"`); `undefined` for a JWK without `kid`. */
  readonly kid: string | undefined;
  /** The version from a `"<kid>.<N>"` kid; 1 for any other kid and for a JWK without `kid`. */
  readonly version: number;
  /** The JWK as kept: public members only. */
  readonly jwk: RemoteJwk;
  /** The parsed public key. */
  readonly publicKey: KeyObject;
  /**
   * The signature algorithms this key verifies: its `alg`, or every signature algorithm of its key
   * type when it has none (an RSA key: `RSA_PKCS1_SHA256`…`RSA_PSS_SHA512`, of which the token's
   * header picks one). Empty when the key is not for verification (`use` other than `"sig"`,
   * `key_ops` without `"verify"`, or an encryption `alg`); verification lookups never return it.
   */
  readonly verifyAlgs: readonly KeyAlg[];
  /**
   * The encryption algorithms a message may be encrypted to this key with: `RSA_OAEP_SHA256` for an
   * RSA key with `alg: "RSA-OAEP-256"` (or `use: "enc"` and no `alg`), `X25519` for an OKP X25519
   * key, unless `use` or `key_ops` say otherwise. Empty for every other key.
   */
  readonly encryptAlgs: readonly KeyAlg[];
  /** RFC 7638 thumbprint (SHA-256, base64url) of the public key. */
  readonly thumbprint: string;
}

/**
 * How many JWKs of a response were left out, by reason.
 *
 * @example
 * ```ts
 * const { skipped } = source.status(); // { private: 0, symmetric: 1, unsupported: 0, invalid: 2 }
 * ```
 */
export interface SkippedKeys {
  /** Carried private members (`d p q dp dq qi k oth`): dropped, never kept or republished. */
  readonly private: number;
  /** `kty: "oct"` (a shared secret has no place in a public set). */
  readonly symmetric: number;
  /** Unknown `kty`, an unsupported curve, or an RSA modulus under 2048 bits. */
  readonly unsupported: number;
  /**
   * Not an object, members of the wrong type, an `alg` that contradicts the key, key members
   * `node:crypto` cannot parse, or an unsafe public key (an RSA exponent of 1 or an even one, an
   * X25519 low-order point).
   */
  readonly invalid: number;
}

/** A validated JWK Set. */
export interface KeySet {
  readonly keys: readonly RemoteKey[];
  readonly skipped: SkippedKeys;
  /** The kept keys by bare kid (`undefined` for JWKs without a kid). */
  readonly byKid: ReadonlyMap<string | undefined, readonly RemoteKey[]>;
  /** The kept JWKs as a JSON JWK Set: what the warm-start cache stores instead of the raw body. */
  readonly sanitizedBody: string;
}

/** Longest JWK `kid` kept (the same bound lookups have); longer ones make a JWK invalid. */
export const MAX_KID_LENGTH = 1024;
const KEY_MEMBERS = { RSA: ["n", "e"], EC: ["crv", "x", "y"], OKP: ["crv", "x"] } as const;

/** Bounds applied to a body before its keys are read. */
export interface KeySetLimits {
  readonly maxKeys: number;
}

/**
 * Validate a JWK Set body (bytes or text) into a {@link KeySet}. The whole set is refused when the
 * body is not a JSON object with a `keys` array (`ERR_REMOTE_JWKS_INVALID`) or holds more than
 * `maxKeys` entries (`ERR_REMOTE_JWKS_TOO_LARGE`); single bad entries are skipped and counted.
 * Error messages never quote the body.
 */
export function parseKeySet(body: Uint8Array | string, limits: KeySetLimits, url: string): KeySet {
  const document = parseJsonObject(body, url, "JWK Set");
  const entries = document["keys"];
  if (!Array.isArray(entries)) {
    throw new RemoteJwksError(
      "ERR_REMOTE_JWKS_INVALID",
      `The JWK Set from ${describeUrl(url)} has no "keys" array`,
      { url: describeUrl(url) },
    );
  }
  if (entries.length > limits.maxKeys) {
    throw new RemoteJwksError(
      "ERR_REMOTE_JWKS_TOO_LARGE",
      `The JWK Set from ${describeUrl(url)} has ${entries.length} keys, more than maxKeys (${limits.maxKeys})`,
      { url: describeUrl(url) },
    );
  }
  const skipped = { private: 0, symmetric: 0, unsupported: 0, invalid: 0 };
  const keys: RemoteKey[] = [];
  for (const entry of entries as unknown[]) {
    const outcome = readKey(entry);
    if (typeof outcome === "string") skipped[outcome] += 1;
    else keys.push(outcome);
  }
  const byKid = new Map<string | undefined, RemoteKey[]>();
  for (const key of keys) {
    const list = byKid.get(key.kid);
    if (list === undefined) byKid.set(key.kid, [key]);
    else list.push(key);
  }
  return Object.freeze({
    keys: Object.freeze(keys),
    skipped: Object.freeze(skipped),
    byKid,
    sanitizedBody: JSON.stringify({ keys: keys.map((key) => key.jwk) }),
  });
}

function readKey(entry: unknown): RemoteKey | keyof SkippedKeys {
  if (!isPlainObject(entry)) return "invalid";
  const kty = entry["kty"];
  if (kty === "oct") return "symmetric";
  if (PRIVATE_JWK_MEMBERS.some((member) => Object.hasOwn(entry, member))) return "private";
  if (kty !== "RSA" && kty !== "EC" && kty !== "OKP") return "unsupported";

  const kid = entry["kid"];
  const alg = entry["alg"];
  const use = entry["use"];
  const keyOps = entry["key_ops"];
  if (kid !== undefined && (typeof kid !== "string" || kid.length === 0 || kid.length > MAX_KID_LENGTH))
    return "invalid";
  if (alg !== undefined && typeof alg !== "string") return "invalid";
  if (use !== undefined && typeof use !== "string") return "invalid";
  if (keyOps !== undefined && !isStringList(keyOps)) return "invalid";

  const members: Record<string, string> = { kty };
  for (const name of KEY_MEMBERS[kty]) {
    const value = entry[name];
    if (typeof value !== "string") return "invalid";
    members[name] = value;
  }
  if (!isKnownKeyType(kty, members["crv"])) return "unsupported";
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: members as JsonWebKey, format: "jwk" });
  } catch {
    return "invalid";
  }
  if (publicKey.type !== "public") return "invalid";
  if (kty === "RSA" && (publicKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return "unsupported";
  // The rule every imported key passes: an RSA exponent of 1 would let anyone forge signatures, an
  // X25519 low-order point fixes the shared secret. Small odd exponents (3) are still interoperable.
  try {
    assertSafePublicKey(publicKey, { allowSmallRsaExponent: true });
  } catch {
    return "invalid";
  }

  const algs = jwkAlgorithms({ kty, crv: members["crv"], alg, use, keyOps });
  if (algs === undefined) return "invalid";

  const jwk: Record<string, unknown> = { ...members };
  if (kid !== undefined) jwk["kid"] = kid;
  if (alg !== undefined) jwk["alg"] = alg;
  if (use !== undefined) jwk["use"] = use;
  if (keyOps !== undefined) jwk["key_ops"] = Object.freeze([...keyOps]);
  const parsed = kid === undefined ? { kid: undefined, version: undefined } : parseVersionedKid(kid);
  return Object.freeze({
    kid: parsed.kid,
    // A kid without a version suffix is version 1 of a set without versions.
    version: parsed.version ?? 1,
    jwk: Object.freeze(jwk) as unknown as RemoteJwk,
    publicKey,
    verifyAlgs: algs.verify,
    encryptAlgs: algs.encrypt,
    thumbprint: jwkThumbprint(members as unknown as PublicJwkMembers),
  });
}

/**
 * What a key is looked up for: verifying a signature, encrypting to it, or either.
 *
 * @example
 * ```ts
 * const key = await source.getKey({ kid: "enc-1", purpose: "encrypt" satisfies KeyPurpose });
 * ```
 */
export type KeyPurpose = "verify" | "encrypt" | "any";

/** What a lookup asks for, after its arguments were checked. */
export interface KeyQuery {
  readonly kid: string | undefined;
  readonly version: number | undefined;
  /** The algorithm the caller will use the key with (a token's `alg`, normalised). */
  readonly alg: KeyAlg | undefined;
  readonly purpose: KeyPurpose;
}

/** The algorithms a key may serve for a purpose. */
export function algorithmsFor(key: RemoteKey, purpose: KeyPurpose): readonly KeyAlg[] {
  if (purpose === "verify") return key.verifyAlgs;
  if (purpose === "encrypt") return key.encryptAlgs;
  return [...key.verifyAlgs, ...key.encryptAlgs];
}

/**
 * The key for a query: `found`, `missing`, or `ambiguous` when keys with different key material
 * (or different algorithms) still match after every filter. Without a version the highest version
 * of the kid wins. A key matches only if it serves the purpose (and the `alg`, when given).
 */
export function selectKey(
  set: KeySet,
  query: KeyQuery,
): { readonly found: RemoteKey } | { readonly missing: true } | { readonly ambiguous: number } {
  let candidates = (set.byKid.get(query.kid) ?? []).filter((key) => {
    const algs = algorithmsFor(key, query.purpose);
    return (
      algs.length > 0 &&
      (query.alg === undefined || algs.includes(query.alg)) &&
      (query.version === undefined || key.version === query.version)
    );
  });
  if (query.version === undefined && candidates.length > 1) {
    const latest = Math.max(...candidates.map((key) => key.version));
    candidates = candidates.filter((key) => key.version === latest);
  }
  const first = candidates[0];
  if (first === undefined) return { missing: true };
  if (candidates.length === 1) return { found: first };
  const distinct = new Set(
    candidates.map((key) => `${key.thumbprint} ${algorithmsFor(key, query.purpose).join(",")}`),
  );
  return distinct.size === 1 ? { found: first } : { ambiguous: candidates.length };
}

/**
 * The keys one set has and the other has not, compared by their kept JWK (so a new key under an old
 * kid appears in both lists).
 */
export function diffKeySets(
  before: KeySet | undefined,
  after: KeySet,
): { readonly added: readonly RemoteKey[]; readonly removed: readonly RemoteKey[] } {
  const identity = (key: RemoteKey) => JSON.stringify(key.jwk);
  const old = new Set((before?.keys ?? []).map(identity));
  const now = new Set(after.keys.map(identity));
  return {
    added: Object.freeze(after.keys.filter((key) => !old.has(identity(key)))),
    removed: Object.freeze((before?.keys ?? []).filter((key) => !now.has(identity(key)))),
  };
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}
