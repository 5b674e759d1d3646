import type { KeyObject } from "node:crypto";
import { algorithmInfo } from "@keyprovider/base";
import {
  InvalidTokenError,
  KeyNotFoundError,
  keyAlgFromJws,
  parseVersionedKid,
  quoteForMessage,
} from "@keyprovider/core";
import type { RemoteJwksSource } from "./jwks-source.js";

/**
 * The members of a JWS protected header a {@link RemoteJwksKeyResolver} reads. jose's
 * `JWTHeaderParameters` and `JWSHeaderParameters` are assignable to it.
 *
 * @example
 * ```ts
 * const header: TokenHeader = { alg: "RS256", kid: "2024-06" };
 * ```
 */
export interface TokenHeader {
  readonly alg?: string | undefined;
  readonly kid?: string | undefined;
}

/**
 * A key resolver that jose's `jwtVerify(token, resolver)` and `compactVerify` accept: given a
 * token's protected header, the fetched public key that may verify it.
 *
 * @example
 * ```ts
 * const resolver: RemoteJwksKeyResolver = provider.keyResolver();
 * const { payload } = await jwtVerify(token, resolver, { issuer, audience });
 * ```
 */
export type RemoteJwksKeyResolver = (protectedHeader: TokenHeader, token?: unknown) => Promise<KeyObject>;

/**
 * A resolver over a remote set: the header's `kid` names one exact JWK (`"k.2"` is kid `k` version 2,
 * `"k"` version 1 of a set without versions, no `kid` a JWK without one) and its `alg` must be a
 * signature algorithm that JWK verifies, so an RSA JWK without `alg` serves RS256 or PS256 as the
 * header says, and never an HMAC or `none` token. `jwk`, `jku`, `x5u` and `x5c` are never read. An
 * unknown kid costs at most the source's budgeted kid-miss refetch.
 */
export function createKeyResolver(source: RemoteJwksSource): RemoteJwksKeyResolver {
  return async (protectedHeader) => {
    if (typeof protectedHeader !== "object" || protectedHeader === null) {
      throw new TypeError("keyResolver: jose passes the token's protected header");
    }
    const { alg, kid: headerKid } = protectedHeader;
    // Only JOSE names: keyprovider's own algorithm names ("ECDSA_P256_SHA256") are not a JWS alg.
    const keyAlg = typeof alg === "string" ? keyAlgFromJws(alg) : undefined;
    const scheme = keyAlg === undefined ? undefined : algorithmInfo(keyAlg)?.signature?.scheme;
    if (scheme === undefined || scheme === "hmac") {
      throw new InvalidTokenError(
        "alg",
        `The token's alg ${quoteForMessage(alg, 20)} is not a signature algorithm a public key of a remote JWK Set verifies`,
      );
    }
    if (headerKid !== undefined && (typeof headerKid !== "string" || headerKid.length === 0)) {
      throw new InvalidTokenError("kid", `The token's kid must be a non-empty string`);
    }
    const named = headerKid === undefined ? undefined : parseVersionedKid(headerKid);
    try {
      const key = await source.getKey(
        named === undefined ? { alg: alg! } : { kid: named.kid, version: named.version ?? 1, alg: alg! },
      );
      return key.publicKey;
    } catch (error) {
      if (!KeyNotFoundError.isInstance(error)) throw error;
      throw new InvalidTokenError(
        "kid",
        headerKid === undefined
          ? `No key of the remote JWK Set without a kid verifies ${alg}`
          : `No key of the remote JWK Set has kid ${quoteForMessage(headerKid)} and verifies ${alg}`,
        { cause: error },
      );
    }
  };
}
