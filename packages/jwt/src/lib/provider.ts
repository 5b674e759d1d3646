import { describeType, type KeyProvider } from "@keyprovider/core";

/**
 * Assert that `value` is a provider with the methods a JWT function calls, or `TypeError`.
 *
 * @internal
 */
export function assertProvider<M extends keyof KeyProvider>(
  value: unknown,
  caller: string,
  methods: readonly M[],
): asserts value is Pick<KeyProvider, M> {
  const missing =
    typeof value === "object" && value !== null
      ? methods.filter((method) => typeof (value as Record<string, unknown>)[method] !== "function")
      : methods;
  if (missing.length > 0) {
    throw new TypeError(
      `${caller}: the provider must be a KeyProvider (missing ${missing.join(", ")}), got ${describeType(value)}`,
    );
  }
}

/**
 * What a provider may tell `verifyJwt` and `jwtKeyResolver` about the tokens its keys verify, through
 * an optional `jwtVerification` property (`RemoteJwksKeyProvider` from `@keyprovider/remote-jwks` has
 * it; providers without it are verified exactly as before):
 *
 * - `issuer`: the `iss` that `verifyJwt` expects when its own `issuer` option is not given (DESIGN
 *   §7.2: a remote provider configured with `issuer` expects it by default);
 * - `algOption: true`: the provider's `getKey`, `getPublicJwk` and `verify` take `{ alg }`, the token's
 *   JWS `alg`, and use it to select the key (a remote RSA JWK without `alg` is RS256 or PS256 as the
 *   token's header says, never as the key alone would suggest).
 *
 * @example
 * ```ts
 * class MyRemoteProvider implements KeyProvider {
 *   readonly jwtVerification: JwtVerificationHints = { issuer: "https://login.example.com", algOption: true };
 *   // …
 * }
 * ```
 */
export interface JwtVerificationHints {
  readonly issuer?: string | undefined;
  readonly algOption?: boolean | undefined;
}

/** The hints a provider gives, read defensively (only a string issuer and a literal `true` count). @internal */
export function verificationHints(provider: object): {
  readonly issuer: string | undefined;
  readonly algOption: boolean;
} {
  const hints = (provider as { jwtVerification?: unknown }).jwtVerification;
  if (typeof hints !== "object" || hints === null) return { issuer: undefined, algOption: false };
  const { issuer, algOption } = hints as Record<string, unknown>;
  return {
    issuer: typeof issuer === "string" && issuer.length > 0 ? issuer : undefined,
    algOption: algOption === true,
  };
}
