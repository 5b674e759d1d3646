import { Buffer } from "node:buffer";
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { InvalidKeyMaterialError, type KeyAlg, type PublicJwk } from "@keyprovider/core";
import { ALGORITHMS } from "./algorithms.js";
import { assertBytes } from "./guards.js";

/**
 * The key members of a public JWK, before `kid`, `alg` and `use` are added.
 *
 * @example
 * ```ts
 * const members: PublicJwkMembers = { kty: "OKP", crv: "Ed25519", x: "11qYAYKx…" };
 * ```
 */
export interface PublicJwkMembers {
  readonly kty: PublicJwk["kty"];
  readonly crv?: string;
  readonly x?: string;
  readonly y?: string;
  readonly n?: string;
  readonly e?: string;
}

/**
 * JWK members that carry private or secret key material (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037).
 *
 * @example
 * ```ts
 * PRIVATE_JWK_MEMBERS.some((m) => m in jwk); // true for a private JWK
 * ```
 */
export const PRIVATE_JWK_MEMBERS: readonly string[] = Object.freeze([
  "d",
  "p",
  "q",
  "dp",
  "dq",
  "qi",
  "oth",
  "k",
]);

const MEMBERS: Record<PublicJwk["kty"], readonly (keyof PublicJwkMembers)[]> = {
  OKP: ["kty", "crv", "x"],
  EC: ["kty", "crv", "x", "y"],
  RSA: ["kty", "n", "e"],
};

/**
 * The public JWK members of a `node:crypto` key object (public or private), in RFC 7638 member
 * order. Private members are never included.
 *
 * @example
 * ```ts
 * const { publicKey } = generateKeyPairSync("ed25519");
 * publicJwkMembers(publicKey); // { kty: "OKP", crv: "Ed25519", x: "…" }
 * ```
 */
export function publicJwkMembers(key: KeyObject): PublicJwkMembers {
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  const type = publicKey.asymmetricKeyType;
  const curve = publicKey.asymmetricKeyDetails?.namedCurve;
  if (!(
    type === "ed25519" ||
    type === "x25519" ||
    type === "rsa" ||
    (type === "ec" && curve === "prime256v1")
  )) {
    throw new InvalidKeyMaterialError(
      `Keys of type ${type === "ec" ? `EC ${curve ?? "?"}` : (type ?? "?")} are not supported; keyprovider publishes Ed25519, X25519, EC P-256 and RSA keys`,
    );
  }
  const exported = publicKey.export({ format: "jwk" }) as Record<string, string>;
  const kty = exported["kty"] as PublicJwk["kty"];
  const members: Record<string, string> = {};
  for (const name of MEMBERS[kty]) members[name] = exported[name]!;
  return Object.freeze(members) as unknown as PublicJwkMembers;
}

/**
 * The JWK a provider publishes for one version of a key: the key members plus
 * `kid = "<kid>.<version>"`, and the `alg` and `use` of the algorithm (`EdDSA`, `ES256`, `PS256`
 * → `sig`; `RSA-OAEP-256`, `ECDH-ES` → `enc`).
 *
 * @example
 * ```ts
 * publishedJwk(members, "3fa1…", 2, "ED25519");
 * // { kty: "OKP", crv: "Ed25519", x: "…", kid: "3fa1….2", alg: "EdDSA", use: "sig" }
 * ```
 */
export function publishedJwk(
  members: PublicJwkMembers,
  kid: string,
  version: number,
  alg: KeyAlg,
): PublicJwk {
  const publication = ALGORITHMS[alg].jwk;
  if (publication === undefined) {
    throw new InvalidKeyMaterialError(`${alg} keys are symmetric and are never published as JWKs`);
  }
  if (members.kty !== publication.kty) {
    throw new InvalidKeyMaterialError(
      `A ${alg} key is published with kty "${publication.kty}", not ${JSON.stringify(String(members.kty).slice(0, 10))}`,
    );
  }
  // Only the public members of the key type are copied, whatever else the caller's object holds.
  const picked: Record<string, string | undefined> = {};
  for (const name of MEMBERS[members.kty]) picked[name] = members[name];
  return Object.freeze({
    ...picked,
    kid: `${kid}.${version}`,
    alg: publication.alg,
    use: publication.use,
  }) as PublicJwk;
}

/** RFC 7638 §3.2: the required members of each key type, in lexicographic order. */
const REQUIRED_MEMBERS: Record<string, readonly string[]> = {
  RSA: ["e", "kty", "n"],
  EC: ["crv", "kty", "x", "y"],
  OKP: ["crv", "kty", "x"],
  oct: ["k", "kty"],
};

/**
 * The RFC 7638 thumbprint (SHA-256, base64url) of a JWK: the hash of its required members only,
 * in lexicographic order without whitespace, so `kid`, `alg` and `use` do not change it. Computed
 * synchronously with `node:crypto` (jose's asynchronous version measured 36× slower in `pnpm bench`
 * and is the cross-check in the tests).
 *
 * @example
 * ```ts
 * jwkThumbprint({ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" });
 * // "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
 * ```
 */
export function jwkThumbprint(jwk: PublicJwkMembers | { readonly kty: "oct"; readonly k: string }): string {
  const members = REQUIRED_MEMBERS[jwk.kty];
  if (members === undefined)
    throw new TypeError(`jwkThumbprint: unsupported kty ${JSON.stringify(String(jwk.kty))}`);
  const canonical: Record<string, string> = {};
  for (const member of members) {
    const value = (jwk as unknown as Record<string, unknown>)[member];
    if (typeof value !== "string")
      throw new TypeError(`jwkThumbprint: a ${jwk.kty} JWK needs a string "${member}"`);
    canonical[member] = value;
  }
  return createHash("sha256").update(JSON.stringify(canonical)).digest("base64url");
}

/**
 * A public JWK from a DER SubjectPublicKeyInfo, with an optional `kid`.
 *
 * @example
 * ```ts
 * const jwk = publicJwkFromSpkiDer(der, "testkid"); // { kty: "RSA", n: "…", e: "AQAB", kid: "testkid" }
 * ```
 */
export function publicJwkFromSpkiDer(
  der: Uint8Array,
  kid?: string,
): PublicJwkMembers & { readonly kid?: string } {
  assertBytes(der, "der");
  let key: KeyObject;
  try {
    key = createPublicKey({
      key: Buffer.from(der.buffer, der.byteOffset, der.byteLength),
      format: "der",
      type: "spki",
    });
  } catch (cause) {
    throw new InvalidKeyMaterialError("The bytes are not a DER SubjectPublicKeyInfo", { cause });
  }
  const members = publicJwkMembers(key);
  return Object.freeze(kid === undefined ? { ...members } : { ...members, kid });
}

/**
 * A copy of a JWK without its private members.
 *
 * @example
 * ```ts
 * withoutPrivateMembers({ kty: "OKP", crv: "Ed25519", x: "…", d: "…" }); // { kty, crv, x }
 * ```
 */
export function withoutPrivateMembers<T extends Record<string, unknown>>(
  jwk: T,
): Omit<T, "d" | "p" | "q" | "dp" | "dq" | "qi" | "oth" | "k"> {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_JWK_MEMBERS) delete copy[member];
  return copy as Omit<T, "d" | "p" | "q" | "dp" | "dq" | "qi" | "oth" | "k">;
}
