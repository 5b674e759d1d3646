import { ALGORITHMS, algorithmInfo, algorithmsForKey } from "@keyprovider/base";
import type { KeyAlg } from "@keyprovider/core";

/** What a fetched JWK may be used for, as key algorithms of base's table. */
export interface JwkAlgorithms {
  /** Signature algorithms it verifies. */
  readonly verify: readonly KeyAlg[];
  /** Encryption algorithms (RSA-OAEP-256, X25519) a message may be encrypted to it with. */
  readonly encrypt: readonly KeyAlg[];
}

/** The JWK members that decide what a key is for. */
export interface JwkIntent {
  readonly kty: string;
  readonly crv: string | undefined;
  readonly alg: string | undefined;
  readonly use: string | undefined;
  readonly keyOps: readonly string[] | undefined;
}

const NOTHING: JwkAlgorithms = Object.freeze({ verify: Object.freeze([]), encrypt: Object.freeze([]) });
const ENCRYPT_OPS = ["encrypt", "wrapKey", "deriveKey", "deriveBits"];

/**
 * Whether base's algorithm table knows keys of this type and curve at all (RSA; EC on P-256, P-384,
 * P-521; OKP Ed25519 and X25519). A JWK on another curve (secp256k1, Ed448, X448) is unsupported.
 */
export function isKnownKeyType(kty: string, crv: string | undefined): boolean {
  return algorithmsForKey(kty, crv).length > 0;
}

/**
 * The key algorithms a public JWK may be used with, read from base's one table: by its `alg`
 * (`algorithmInfo`, or any `alg` an imported JWK of that algorithm may carry) where it has one, else
 * every algorithm of its `kty`/`crv` (`algorithmsForKey`: an RSA key without `alg` verifies RS256…RS512
 * and PS256…PS512, and which one is the token's header to say, never this function).
 *
 * Then `use` and `key_ops` narrow it: signature algorithms need `use` absent or `"sig"` and `key_ops`
 * absent or with `"verify"`; encryption needs `use` absent or `"enc"` and `key_ops` absent or with
 * `"encrypt"`, `"wrapKey"`, `"deriveKey"` or `"deriveBits"`. An RSA key that names neither `alg` nor
 * `use` is taken as a signing key: nothing is ever encrypted to a key that may be someone's signing
 * key. `undefined` means the `alg` contradicts the key (a keyprovider algorithm of another key type:
 * `"RS256"` on an EC key, `"HS256"` anywhere), which makes the JWK invalid; an `alg` keyprovider does
 * not implement (`"RSA-OAEP"`, `"RSA1_5"`, `"none"`) leaves a key that is kept but used for nothing.
 */
export function jwkAlgorithms(jwk: JwkIntent): JwkAlgorithms | undefined {
  const { kty, crv, alg, use, keyOps } = jwk;
  const native = algorithmsForKey(kty, crv);
  let algs: readonly KeyAlg[] = native;
  if (alg !== undefined) {
    algs = native.filter((candidate) => ALGORITHMS[candidate].jwkAlgs.includes(alg));
    if (algs.length === 0) return algorithmInfo(alg) === undefined ? NOTHING : undefined;
  }
  const mayVerify = (use === undefined || use === "sig") && (keyOps?.includes("verify") ?? true);
  const mayEncrypt =
    (use === undefined || use === "enc") &&
    (keyOps?.some((op) => ENCRYPT_OPS.includes(op)) ?? true) &&
    !(kty === "RSA" && alg === undefined && use === undefined && keyOps === undefined);
  return Object.freeze({
    verify: Object.freeze(mayVerify ? algs.filter((a) => ALGORITHMS[a].signature !== undefined) : []),
    encrypt: Object.freeze(mayEncrypt ? algs.filter((a) => ALGORITHMS[a].signature === undefined) : []),
  });
}

/**
 * The key algorithm a caller's `alg` names (a JOSE name such as `"PS256"` or `"Ed25519"`, or a
 * `KeyAlg`), if it is an asymmetric one; `undefined` for anything a public key cannot serve.
 */
export function requestedAlgorithm(alg: string): KeyAlg | undefined {
  const info = algorithmInfo(alg);
  return info?.jwk === undefined ? undefined : info.alg;
}
