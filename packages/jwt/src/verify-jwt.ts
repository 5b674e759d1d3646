import { assertOptionalBoolean, readOptions } from "@keyprovider/base";
import { describeType, type CallOptions, type JwsAlgorithm, type KeyProvider } from "@keyprovider/core";
import type { JWTClaimVerificationOptions, JWTHeaderParameters, JWTPayload } from "jose";
import { readAllowedKeys, type JwtKeys } from "./lib/allowed-keys.js";
import { assertDate, assertSecondsOrSpan, assertStringOrStrings, checkClaims } from "./lib/claims.js";
import { parseCompactJws } from "./lib/compact.js";
import { assertProvider, verificationHints } from "./lib/provider.js";
import { readTokenHeader, resolveTokenKey, verifyTokenSignature } from "./lib/token-key.js";

/**
 * Options of {@link verifyJwt}. `keys` is required (DESIGN §7.2); the claim options mean exactly
 * what they mean in jose's `jwtVerify`, because jose checks them.
 *
 * @example
 * ```ts
 * const options: VerifyJwtOptions = {
 *   keys: [ref.kid],
 *   issuer: "https://id.example.com",
 *   audience: "api",
 *   clockTolerance: "30s",
 *   maxTokenAge: "1h",
 * };
 * ```
 */
export interface VerifyJwtOptions extends CallOptions {
  /** Which keys may have signed the token: kids (bare or `"kid.3"`), `{ prefix }`, or `"any"`. */
  readonly keys: JwtKeys;
  /** Refuse a token without `exp` (default `true`); `false` accepts one, which then never expires. */
  readonly requireExpiration?: boolean;
  /**
   * The `iss` the token must carry (one of them, for an array). Default: the issuer the provider
   * says its keys verify (`provider.jwtVerification.issuer`; a `RemoteJwksKeyProvider` configured
   * with `issuer`), else none.
   */
  readonly issuer?: string | readonly string[];
  /** An `aud` the token must carry (any of them, for an array). */
  readonly audience?: string | readonly string[];
  /** The `sub` the token must carry. */
  readonly subject?: string;
  /** The `typ` header the token must carry (`"JWT"`, `"at+jwt"`; `application/` is implied). */
  readonly typ?: string;
  /** Leeway for `exp`, `nbf` and `iat`: seconds, or a time span such as `"30s"`. */
  readonly clockTolerance?: string | number;
  /** The oldest `iat` accepted: seconds, or a time span such as `"1h"`; makes `iat` required. */
  readonly maxTokenAge?: string | number;
  /** The time to check against instead of now. */
  readonly currentDate?: Date;
  /** Claims that must be present (in addition to `exp`, unless `requireExpiration: false`). */
  readonly requiredClaims?: readonly string[];
}

/**
 * The version that verified a token, as {@link verifyJwt} reports it.
 *
 * @example
 * ```ts
 * const { key } = await verifyJwt(provider, token, { keys: "any" });
 * console.log(key.kid, key.version, key.alg); // "3f…a1" 2 "ES256"
 * ```
 */
export interface VerifiedJwtKey {
  readonly kid: string;
  readonly version: number;
  readonly alg: JwsAlgorithm;
}

/**
 * What {@link verifyJwt} returns: jose's `jwtVerify` result (`payload`, `protectedHeader`) and the
 * key that verified it.
 *
 * @example
 * ```ts
 * const { payload, protectedHeader, key }: VerifyJwtResult = await verifyJwt(provider, token, { keys: [kid] });
 * ```
 */
export interface VerifyJwtResult<PayloadType = JWTPayload> {
  /** The JWT Claims Set, as jose's claim checks returned it. */
  readonly payload: PayloadType & JWTPayload;
  /** The token's protected header, as it was signed. */
  readonly protectedHeader: JWTHeaderParameters;
  /** The key version that verified the signature. */
  readonly key: VerifiedJwtKey;
}

const OPTIONS = [
  "keys",
  "requireExpiration",
  "issuer",
  "audience",
  "subject",
  "typ",
  "clockTolerance",
  "maxTokenAge",
  "currentDate",
  "requiredClaims",
  "signal",
] as const satisfies readonly (keyof VerifyJwtOptions)[];

/**
 * Verify a JWT (JWS compact form) with a key of any provider, under DESIGN §7.2:
 *
 * 1. the header: `alg` must be a JWS signature algorithm (never `none`), `crit` and `b64: false` are
 *    refused, `kid` must be `"<kid>.<version>"`; `jwk`, `jku`, `x5u` and `x5c` are never used;
 * 2. the key: it must be allowed by `options.keys` (checked before the provider is asked), exist,
 *    verify, and have exactly the token's `alg` (RS256 on a PS256 key is refused);
 * 3. the signature: asymmetric keys locally with the provider's public key (cached per version),
 *    HMAC keys through `provider.verify`, so a non-exportable secret verifies;
 * 4. the claims, by jose itself: `exp` (required unless `requireExpiration: false`), `nbf`, `iat`,
 *    `iss`, `aud`, `sub`, `typ`, `maxTokenAge`, `clockTolerance`, `requiredClaims`. A provider
 *    configured with an issuer (`RemoteJwksKeyProvider` with `{ issuer }`, see
 *    `JwtVerificationHints`) makes `iss` required by default.
 *
 * Steps 1–3 fail with `InvalidTokenError` (`reason`: `"malformed"`, `"header"`, `"alg"`, `"kid"`,
 * `"key_not_allowed"`, `"signature"`); step 4 fails with jose's `JWTExpired` or
 * `JWTClaimValidationFailed`, as `jwtVerify` would. Wrong argument or option types are `TypeError`.
 *
 * @example
 * ```ts
 * import { verifyJwt } from "@keyprovider/jwt";
 *
 * const { payload, key } = await verifyJwt(provider, token, {
 *   keys: [kid], // every version of this key; `${kid}.2` would pin version 2
 *   issuer: "https://id.example.com",
 *   audience: "api",
 * });
 * ```
 */
export async function verifyJwt<PayloadType = JWTPayload>(
  provider: KeyProvider,
  token: string,
  options: VerifyJwtOptions,
): Promise<VerifyJwtResult<PayloadType>> {
  assertProvider(provider, "verifyJwt", ["getKey", "verify", "getPublicJwk", "supports"]);
  if (options === undefined) {
    throw new TypeError('verifyJwt needs options with keys: an array of kids, { prefix }, or "any"');
  }
  const read = readOptions(options, "verifyJwt options", OPTIONS);
  const allowed = readAllowedKeys(read.keys, "verifyJwt options.keys");
  const expectedIssuer = read.issuer ?? verificationHints(provider).issuer;
  const claimOptions = readClaimOptions({
    ...read,
    ...(expectedIssuer === undefined ? {} : { issuer: expectedIssuer }),
  });
  const { signal } = read;

  const jws = parseCompactJws(token);
  const name = readTokenHeader(jws.header, provider);
  const key = await resolveTokenKey(provider, name, allowed, signal);
  await verifyTokenSignature(provider, key, jws, signal);
  const payload = checkClaims(jws.header, jws.encodedPayload, claimOptions);
  return {
    payload: payload as PayloadType & JWTPayload,
    protectedHeader: { ...jws.header } as JWTHeaderParameters,
    key: { kid: key.ref.kid, version: key.ref.version, alg: key.jose },
  };
}

/** Check the claim options once and turn them into jose's. */
function readClaimOptions(options: Partial<VerifyJwtOptions>): JWTClaimVerificationOptions {
  const {
    requireExpiration,
    issuer,
    audience,
    subject,
    typ,
    clockTolerance,
    maxTokenAge,
    currentDate,
    requiredClaims,
  } = options;
  assertOptionalBoolean(requireExpiration, "verifyJwt options.requireExpiration");
  if (issuer !== undefined) assertStringOrStrings(issuer, "verifyJwt options.issuer");
  if (audience !== undefined) assertStringOrStrings(audience, "verifyJwt options.audience");
  for (const [name, value] of [
    ["subject", subject],
    ["typ", typ],
  ] as const) {
    if (value !== undefined && (typeof value !== "string" || value.length === 0)) {
      throw new TypeError(`verifyJwt options.${name} must be a non-empty string, got ${describeType(value)}`);
    }
  }
  if (clockTolerance !== undefined) assertSecondsOrSpan(clockTolerance, "verifyJwt options.clockTolerance");
  if (maxTokenAge !== undefined) assertSecondsOrSpan(maxTokenAge, "verifyJwt options.maxTokenAge");
  if (currentDate !== undefined) assertDate(currentDate, "verifyJwt options.currentDate");
  if (
    requiredClaims !== undefined &&
    !(Array.isArray(requiredClaims) && requiredClaims.every((c) => typeof c === "string"))
  ) {
    throw new TypeError(
      `verifyJwt options.requiredClaims must be an array of claim names, got ${describeType(requiredClaims)}`,
    );
  }
  const required = [...(requiredClaims ?? []), ...(requireExpiration === false ? [] : ["exp"])];
  return {
    ...(issuer === undefined ? {} : { issuer: typeof issuer === "string" ? issuer : [...issuer] }),
    ...(audience === undefined ? {} : { audience: typeof audience === "string" ? audience : [...audience] }),
    ...(subject === undefined ? {} : { subject }),
    ...(typ === undefined ? {} : { typ }),
    ...(clockTolerance === undefined ? {} : { clockTolerance }),
    ...(maxTokenAge === undefined ? {} : { maxTokenAge }),
    ...(currentDate === undefined ? {} : { currentDate }),
    ...(required.length === 0 ? {} : { requiredClaims: required }),
  };
}
