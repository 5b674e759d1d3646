import { createPublicKey, type KeyObject } from "node:crypto";
import {
  InvalidTokenError,
  KeyNotFoundError,
  KeyType,
  KeyUse,
  NotSupportedError,
  ProviderFeature,
  describeType,
  keyAlgFromJws,
  parseVersionedKid,
  quoteForMessage,
  versionedKid,
  type JwsAlgorithm,
  type KeyAlg,
  type KeyProvider,
  type KeyRef,
} from "@keyprovider/core";
import { ALGORITHMS, jwkThumbprint, verifyWithKey } from "@keyprovider/base";
import type { KeyAllowList } from "./allowed-keys.js";
import type { CompactJws } from "./compact.js";
import { verificationHints } from "./provider.js";

/** What a token's protected header names, after the checks that need no key. @internal */
export interface TokenKeyName {
  /** The key algorithm the header's `alg` names (always a signature algorithm). */
  readonly alg: KeyAlg;
  readonly kid: string;
  /** From `"<kid>.<version>"`; 1 for the bare kid of a provider whose sets have no versions. */
  readonly version: number;
}

/** The key a token resolved to, checked against the token's `alg`. @internal */
export interface TokenKey {
  readonly ref: KeyRef;
  readonly alg: KeyAlg;
  /** The JOSE name of the key's algorithm: what the token's `alg` had to be. */
  readonly jose: JwsAlgorithm;
}

/**
 * The options of a provider read for a token: its signal, and the token's `alg` for a provider whose
 * reads take it (see `JwtVerificationHints`). @internal
 */
export function readOptionsFor(
  provider: object,
  alg: KeyAlg,
  signal: AbortSignal | undefined,
): { readonly signal?: AbortSignal; readonly alg?: string } | undefined {
  const withAlg = verificationHints(provider).algOption;
  if (!withAlg && signal === undefined) return undefined;
  return {
    ...(withAlg ? { alg: ALGORITHMS[alg].jose } : {}),
    ...(signal === undefined ? {} : { signal }),
  };
}

/**
 * Check what a protected header says before any key is looked up (DESIGN §7.2):
 *
 * - `alg` must name a JWS signature algorithm keyprovider implements; `"none"`, `"HS384"`, an
 *   encryption algorithm or a missing `alg` is reason `"alg"`;
 * - a `crit` member is reason `"header"`: keyprovider processes no JWS extension, and RFC 7515
 *   §4.1.11 says a recipient must then reject the token; so is any `b64` other than `true` (a JWT
 *   never has an unencoded payload, RFC 7797 §7);
 * - `kid` must be `"<kid>.<version>"` (reason `"kid"`). A bare kid is accepted only from a provider
 *   with the `remote` feature, whose published sets may have no versions; it then means version 1,
 *   as `parseVersionedKid` documents. Our own providers always publish and sign with versioned
 *   kids, so a bare kid from them could only ever be ambiguous (which version? the primary moves).
 *
 * `jwk`, `jku`, `x5u` and `x5c` are never read: a token never supplies or selects its own key.
 *
 * @internal
 */
export function readTokenHeader(
  header: Readonly<Record<string, unknown>>,
  provider: Pick<KeyProvider, "supports">,
): TokenKeyName {
  const { alg: name, kid: headerKid } = header;
  if (typeof name !== "string") {
    throw new InvalidTokenError("alg", `The token's header has no "alg" string (got ${describeType(name)})`);
  }
  const alg = keyAlgFromJws(name);
  if (alg === undefined || ALGORITHMS[alg].signature === undefined) {
    throw new InvalidTokenError(
      "alg",
      `The token's alg ${quoteForMessage(name, 20)} is not a JWS signature algorithm keyprovider verifies${name === "none" ? " (unsecured tokens are never accepted)" : ""}`,
    );
  }
  if (Object.hasOwn(header, "crit")) {
    throw new InvalidTokenError(
      "header",
      'The token\'s header has "crit": keyprovider processes no JWS extension, so it must refuse the token (RFC 7515 §4.1.11)',
    );
  }
  if (Object.hasOwn(header, "b64") && header["b64"] !== true) {
    throw new InvalidTokenError(
      "header",
      'The token\'s header has "b64" other than true: a JWT never has an unencoded payload',
    );
  }
  if (typeof headerKid !== "string" || headerKid.length === 0) {
    throw new InvalidTokenError(
      "kid",
      'The token\'s header has no "kid"; keyprovider tokens name their key as "<kid>.<version>"',
    );
  }
  const { kid, version } = parseVersionedKid(headerKid);
  if (version !== undefined) return { alg, kid, version };
  if (provider.supports().features.includes(ProviderFeature.REMOTE)) return { alg, kid, version: 1 };
  throw new InvalidTokenError(
    "kid",
    `The token's kid ${quoteForMessage(headerKid)} names no version; keyprovider tokens name their key as "<kid>.<version>"`,
  );
}

/**
 * Find the key a checked header names: refused with reason `"key_not_allowed"` before the provider
 * is asked when the allow-list does not cover it; `"kid"` when the provider has no such key or the
 * key cannot verify (opaque, or its uses lack `verify`); `"alg"` when the token's `alg` is not the
 * key's algorithm (RS256 on a PS256 key, ES384 on an ES256 key, HS256 on an RSA key). Other provider
 * errors (unavailable, permission) pass through unchanged: they are not the token's fault.
 *
 * @internal
 */
export async function resolveTokenKey(
  provider: Pick<KeyProvider, "getKey">,
  name: TokenKeyName,
  allowed: KeyAllowList,
  signal: AbortSignal | undefined,
): Promise<TokenKey> {
  const shown = versionedKid(name.kid, name.version);
  if (!allowed(name.kid, name.version)) {
    throw new InvalidTokenError(
      "key_not_allowed",
      `The token's key ${quoteForMessage(shown)} is not one the keys option allows`,
    );
  }
  let ref: KeyRef;
  try {
    ref = await provider.getKey(name.kid, name.version, readOptionsFor(provider, name.alg, signal));
  } catch (error) {
    if (KeyNotFoundError.isInstance(error)) {
      throw new InvalidTokenError("kid", `The token's key ${quoteForMessage(shown)} does not exist`, {
        cause: error,
      });
    }
    throw error;
  }
  if (ref.type === KeyType.OPAQUE || !ref.uses.includes(KeyUse.VERIFY)) {
    throw new InvalidTokenError(
      "kid",
      `The token's key ${quoteForMessage(shown)} is not one that verifies signatures`,
    );
  }
  const jose = ALGORITHMS[ref.alg].jose as JwsAlgorithm;
  if (ref.alg !== name.alg) {
    throw new InvalidTokenError(
      "alg",
      `The token's alg ${ALGORITHMS[name.alg].jose} is not the algorithm of its key ${quoteForMessage(shown)} (${jose})`,
    );
  }
  return { ref, alg: ref.alg, jose };
}

const CACHE_SIZE = 64;
/**
 * Public keys per provider, keyed by `"<kid>.<version>#<thumbprint>"`: a version's public key never
 * changes, and the thumbprint in the key makes a kid that was destroyed and imported again with other
 * material miss the cache instead of verifying with the old key. Whether the version still exists is
 * asked of the provider on every token (`getKey`), so a destroyed version stops verifying at once.
 */
const publicKeys = new WeakMap<object, Map<string, KeyObject>>();

/**
 * The public key of a resolved version as a `KeyObject`, from the provider's public JWK (cached).
 * `NotSupportedError` when the provider publishes no JWKs.
 *
 * @internal
 */
export async function publicKeyOf(
  provider: Pick<KeyProvider, "getPublicJwk">,
  ref: KeyRef,
  signal: AbortSignal | undefined,
): Promise<KeyObject> {
  let cache = publicKeys.get(provider);
  if (cache === undefined) publicKeys.set(provider, (cache = new Map<string, KeyObject>()));
  const id = `${versionedKid(ref.kid, ref.version)}#${ref.fingerprint}`;
  const cached = cache.get(id);
  if (cached !== undefined) {
    cache.delete(id); // most recently used goes last
    cache.set(id, cached);
    return cached;
  }
  const jwk = await provider.getPublicJwk(ref.kid, ref.version, readOptionsFor(provider, ref.alg, signal));
  const key = createPublicKey({ key: { ...jwk }, format: "jwk" });
  // Cache only what provably is the version getKey described (no destroy-and-reimport in between).
  if (jwkThumbprint(jwk) === ref.fingerprint) {
    cache.set(id, key);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value!);
  }
  return key;
}

/**
 * Check a token's signature with its resolved key: asymmetric keys locally with the provider's
 * public key (so a KMS or remote key costs no round trip per token once cached), HMAC keys through
 * `provider.verify`, so a secret that cannot be exported still verifies.
 *
 * @internal
 */
export async function verifyTokenSignature(
  provider: Pick<KeyProvider, "getPublicJwk" | "verify">,
  key: TokenKey,
  jws: CompactJws,
  signal: AbortSignal | undefined,
): Promise<void> {
  const { ref } = key;
  let valid: boolean;
  if (ref.type !== KeyType.SYMMETRIC) {
    try {
      valid = verifyWithKey(
        key.alg,
        await publicKeyOf(provider, ref, signal),
        jws.signingInput,
        jws.signature,
      );
    } catch (error) {
      if (!NotSupportedError.isInstance(error)) throw error;
      valid = await providerVerify(provider, ref, jws, signal);
    }
  } else {
    valid = await providerVerify(provider, ref, jws, signal);
  }
  if (!valid) {
    throw new InvalidTokenError(
      "signature",
      `The token's signature does not verify with its key ${quoteForMessage(versionedKid(ref.kid, ref.version))}`,
    );
  }
}

function providerVerify(
  provider: Pick<KeyProvider, "verify">,
  ref: KeyRef,
  jws: CompactJws,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  return provider.verify(ref.kid, jws.signingInput, jws.signature, {
    version: ref.version,
    ...readOptionsFor(provider, ref.alg, signal),
  });
}
