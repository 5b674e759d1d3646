import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import {
  InvalidKeyMaterialError,
  PRIVATE_JWK_MEMBERS,
  versionedKid,
  type KeyAlg,
  type Jwks,
  type PublicJwk,
} from "@keyprovider/core";
import { ALGORITHMS } from "./algorithms.js";

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

export { PRIVATE_JWK_MEMBERS };

/**
 * Whether a JWK object carries any private or secret member ({@link PRIVATE_JWK_MEMBERS}), own
 * properties only.
 *
 * @example
 * ```ts
 * hasPrivateMembers({ kty: "OKP", crv: "Ed25519", x: "…", d: "…" }); // true
 * ```
 */
export function hasPrivateMembers(jwk: object): boolean {
  return PRIVATE_JWK_MEMBERS.some((member) => Object.hasOwn(jwk, member));
}

const EC_CURVES = Object.values(ALGORITHMS)
  .filter((info) => info.jwk?.kty === "EC")
  .map((info) => info.curve!.node);

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
    (type === "ec" && EC_CURVES.includes(curve ?? ""))
  )) {
    throw new InvalidKeyMaterialError(
      `Keys of type ${type === "ec" ? `EC ${curve ?? "?"}` : (type ?? "?")} are not supported; keyprovider publishes Ed25519, X25519, EC P-256/P-384/P-521 and RSA keys`,
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
  if (publication.crv !== undefined && members.crv !== publication.crv) {
    throw new InvalidKeyMaterialError(`A ${alg} key is published with crv "${publication.crv}"`);
  }
  return Object.freeze({
    ...picked,
    kid: versionedKid(kid, version),
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
 * Merge JWK Sets: every key of the first set, then the keys of later sets whose `kid` is not taken
 * yet (first wins by kid), in order. Keys without a `kid` are kept.
 *
 * @example
 * ```ts
 * mergeJwks({ keys: [a] }, { keys: [aAgain, b] }); // { keys: [a, b] }
 * ```
 */
export function mergeJwks(...sets: readonly Jwks[]): Jwks {
  const seen = new Set<string>();
  const keys: PublicJwk[] = [];
  for (const set of sets) {
    for (const jwk of set.keys) {
      if (typeof jwk.kid === "string") {
        if (seen.has(jwk.kid)) continue;
        seen.add(jwk.kid);
      }
      keys.push(jwk);
    }
  }
  return { keys };
}
