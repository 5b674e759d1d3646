import type { KeyObject } from "node:crypto";
import { ALGORITHMS, readOptions } from "@keyprovider/base";
import { InvalidTokenError, type CallOptions, type KeyProvider } from "@keyprovider/core";
import type { FlattenedJWSInput, JWSHeaderParameters } from "jose";
import { readAllowedKeys, type JwtKeys } from "./lib/allowed-keys.js";
import { assertProvider } from "./lib/provider.js";
import { publicKeyOf, readTokenHeader, resolveTokenKey } from "./lib/token-key.js";

/**
 * Options of {@link jwtKeyResolver}. `keys` is required (DESIGN §7.2); `signal` is passed to every
 * provider call the resolver makes.
 *
 * @example
 * ```ts
 * const options: JwtKeyResolverOptions = { keys: { prefix: "id-tokens-" } };
 * ```
 */
export interface JwtKeyResolverOptions extends CallOptions {
  /** Which keys may have signed the token: kids (bare or `"kid.3"`), `{ prefix }`, or `"any"`. */
  readonly keys: JwtKeys;
}

/**
 * A key resolver for jose's `jwtVerify(token, resolver, options)` (and `compactVerify`): given the
 * token's protected header, the public key that may verify it.
 *
 * @example
 * ```ts
 * const resolver: JwtKeyResolver = jwtKeyResolver(provider, { keys: "any" });
 * ```
 */
export type JwtKeyResolver = (
  protectedHeader: JWSHeaderParameters,
  token?: FlattenedJWSInput,
) => Promise<KeyObject>;

/**
 * A key resolver for jose's `jwtVerify`, for applications that keep jose's own verification call:
 * it resolves the header's `"<kid>.<version>"` to that version's public key (as a `KeyObject`),
 * after the same header, allow-list and algorithm checks as {@link verifyJwt} — `alg: none` or an
 * `alg` other than the key's (RS256 on a PS256 key, ES384 on an ES256 key) is refused, `jwk`, `jku`,
 * `x5u` and `x5c` are never used. jose then checks the signature and the claims (pass
 * `requiredClaims: ["exp"]` to require expiry, as `verifyJwt` does by default).
 *
 * Asymmetric keys only: an HMAC secret stays in its provider, so an HS256 token is refused with
 * `InvalidTokenError` reason `"alg"`; verify those with `verifyJwt`. The resolver's errors are
 * `InvalidTokenError` (as in `verifyJwt`), which `jwtVerify` rejects with unchanged.
 *
 * @example
 * ```ts
 * import { jwtVerify } from "jose";
 * import { jwtKeyResolver } from "@keyprovider/jwt";
 *
 * const resolver = jwtKeyResolver(provider, { keys: [kid] });
 * const { payload } = await jwtVerify(token, resolver, { issuer: "https://id.example.com", requiredClaims: ["exp"] });
 * ```
 */
export function jwtKeyResolver(provider: KeyProvider, options: JwtKeyResolverOptions): JwtKeyResolver {
  assertProvider(provider, "jwtKeyResolver", ["getKey", "getPublicJwk", "supports"]);
  if (options === undefined) {
    throw new TypeError('jwtKeyResolver needs options with keys: an array of kids, { prefix }, or "any"');
  }
  const read = readOptions(options, "jwtKeyResolver options", ["keys", "signal"]);
  const allowed = readAllowedKeys(read.keys, "jwtKeyResolver options.keys");
  const { signal } = read;
  return async (protectedHeader) => {
    if (typeof protectedHeader !== "object" || protectedHeader === null) {
      throw new TypeError("jwtKeyResolver: jose passes the token's protected header");
    }
    const name = readTokenHeader(protectedHeader, provider);
    if (ALGORITHMS[name.alg].signature?.scheme === "hmac") {
      throw new InvalidTokenError(
        "alg",
        `jwtKeyResolver resolves public keys only; an ${ALGORITHMS[name.alg].jose} token is verified with verifyJwt, which keeps the secret in its provider`,
      );
    }
    const key = await resolveTokenKey(provider, name, allowed, signal);
    return publicKeyOf(provider, key.ref, signal);
  };
}
