import { randomUUID } from "node:crypto";
import { ALGORITHMS, assertKid, assertOptionalVersion, b64url, readOptions } from "@keyprovider/base";
import {
  KeyType,
  KeyUse,
  KeyUsageError,
  describeType,
  displayValue,
  quoteForMessage,
  versionedKid,
  type CallOptions,
  type KeyProvider,
} from "@keyprovider/core";
import { UnsecuredJWT, type JWTPayload } from "jose";
import { assertDate, assertStringOrStrings, assertTimeSpan } from "./lib/claims.js";
import { assertProvider } from "./lib/provider.js";

/**
 * Options of {@link signJwt}. Times follow jose's `SignJWT` setters exactly: a time span such as
 * `"2h"` is relative to now, a number is seconds since the epoch, a `Date` is that instant. An
 * option wins over the same claim in `claims`.
 *
 * @example
 * ```ts
 * const options: SignJwtOptions = {
 *   issuer: "https://id.example.com",
 *   audience: "api",
 *   subject: "user-1",
 *   issuedAt: true,
 *   expiresIn: "15m",
 *   typ: "at+jwt",
 * };
 * ```
 */
export interface SignJwtOptions extends CallOptions {
  /** Sign with this version (a staged one, say); default: the primary. */
  readonly version?: number;
  /** The `typ` header, such as `"JWT"` or `"at+jwt"`. Default: none. */
  readonly typ?: string;
  /**
   * More protected header members (`cty`, `x5t`, application members). `alg` and `kid` come from the
   * key; `typ` is the `typ` option; `crit`, `b64`, `jwk`, `jku`, `x5u` and `x5c` are refused.
   */
  readonly header?: Readonly<Record<string, unknown>>;
  /** The `iss` claim. */
  readonly issuer?: string;
  /** The `sub` claim. */
  readonly subject?: string;
  /** The `aud` claim. */
  readonly audience?: string | readonly string[];
  /** The `jti` claim; `true` for a random UUID. */
  readonly jti?: string | true;
  /** The `iat` claim: `true` for now, or a time span, epoch seconds or `Date`. */
  readonly issuedAt?: boolean | string | number | Date;
  /** The `exp` claim as a time span from now: `"2h"`, `"15 minutes"`. */
  readonly expiresIn?: string;
  /** The `exp` claim as an instant: epoch seconds or a `Date`. */
  readonly expiresAt?: number | Date;
  /** The `nbf` claim: a time span from now, epoch seconds or a `Date`. */
  readonly notBefore?: string | number | Date;
}

const OPTIONS = [
  "version",
  "typ",
  "header",
  "issuer",
  "subject",
  "audience",
  "jti",
  "issuedAt",
  "expiresIn",
  "expiresAt",
  "notBefore",
  "signal",
] as const satisfies readonly (keyof SignJwtOptions)[];

/** Header members the key decides, or that would let a token choose or extend its own verification. */
const RESERVED_HEADER = ["alg", "kid", "typ", "crit", "b64", "jwk", "jku", "x5u", "x5c"];

/**
 * Sign a JWT with a key of any provider: the provider signs (`provider.sign`), so the key never
 * leaves it, whatever its export policy. The header's `alg` is the key's algorithm (`EdDSA`,
 * `ES256`/`ES384`/`ES512`, `RS256`/`RS384`/`RS512`, `PS256`/`PS384`/`PS512`, `HS256`) and its `kid`
 * is `"<kid>.<version>"` of the version that signed, which is what the provider's JWKS publishes.
 * The payload is built by jose (`UnsecuredJWT`'s claim setters), so claims and time spans mean what
 * they mean in jose's `SignJWT`.
 *
 * A key that cannot sign JWS (X25519, RSA-OAEP, AES-GCM, an opaque key, or uses without `"sign"`) is
 * refused with `KeyUsageError` after one `getKey` and before `provider.sign` is called. Wrong argument
 * types are `TypeError`; an unknown kid is `KeyNotFoundError`.
 *
 * @example
 * ```ts
 * import { signJwt } from "@keyprovider/jwt";
 * import { LocalKeyProvider } from "@keyprovider/local";
 *
 * const provider = new LocalKeyProvider();
 * const { kid } = await provider.createKey({ alg: "ES256" }); // exportPolicy "none": never leaves
 * const token = await signJwt(provider, kid, { scope: "read" }, { subject: "user-1", expiresIn: "15m" });
 * ```
 */
export async function signJwt(
  provider: KeyProvider,
  kid: string,
  claims: JWTPayload,
  options?: SignJwtOptions,
): Promise<string> {
  assertProvider(provider, "signJwt", ["getKey", "sign"]);
  assertKid(kid);
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
    throw new TypeError(`signJwt: claims must be an object (a JWT Claims Set), got ${describeType(claims)}`);
  }
  const read = readOptions(options, "signJwt options", OPTIONS);
  const { version, typ, signal } = read;
  assertOptionalVersion(version, "options.version");
  if (typ !== undefined && (typeof typ !== "string" || typ.length === 0)) {
    throw new TypeError(`signJwt options.typ must be a non-empty string, got ${describeType(typ)}`);
  }
  const extraHeader = readExtraHeader(read.header);
  const encodedPayload = encodePayload(claims, read);

  const ref = await provider.getKey(kid, version, signal === undefined ? undefined : { signal });
  const info = ALGORITHMS[ref.alg];
  if (ref.type === KeyType.OPAQUE || info.signature === undefined || !ref.uses.includes(KeyUse.SIGN)) {
    throw new KeyUsageError(
      ref.kid,
      ref.version,
      KeyUse.SIGN,
      `Key ${quoteForMessage(ref.kid)} version ${ref.version} (${ref.type === KeyType.OPAQUE ? "opaque" : ref.alg}) cannot sign a JWT: it needs a signature algorithm and the "sign" use`,
    );
  }
  const header = {
    alg: info.jose,
    kid: versionedKid(ref.kid, ref.version),
    ...(typ === undefined ? {} : { typ }),
    ...extraHeader,
  };
  const signingInput = `${b64url(new TextEncoder().encode(JSON.stringify(header)))}.${encodedPayload}`;
  const signature = await provider.sign(ref.kid, new TextEncoder().encode(signingInput), {
    version: ref.version, // the version named in the header, even if the primary moved meanwhile
    ...(signal === undefined ? {} : { signal }),
  });
  return `${signingInput}.${b64url(signature)}`;
}

function readExtraHeader(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      `signJwt options.header must be an object of header members, got ${describeType(value)}`,
    );
  }
  for (const name of Object.keys(value)) {
    if (RESERVED_HEADER.includes(name)) {
      throw new TypeError(
        `signJwt options.header must not set ${displayValue(name)}: ${
          name === "alg" || name === "kid"
            ? "the key decides it"
            : name === "typ"
              ? "use options.typ"
              : "keyprovider never lets a token extend or supply its own verification"
        }`,
      );
    }
  }
  return { ...value };
}

/** The base64url payload segment, built by jose's claim setters after the options are checked. */
function encodePayload(claims: JWTPayload, options: Partial<SignJwtOptions>): string {
  const { issuer, subject, audience, jti, issuedAt, expiresIn, expiresAt, notBefore } = options;
  for (const [name, value] of [
    ["issuer", issuer],
    ["subject", subject],
  ] as const) {
    if (value !== undefined && typeof value !== "string") {
      throw new TypeError(`signJwt options.${name} must be a string, got ${describeType(value)}`);
    }
  }
  if (audience !== undefined) assertStringOrStrings(audience, "signJwt options.audience");
  if (jti !== undefined && jti !== true && typeof jti !== "string") {
    throw new TypeError(`signJwt options.jti must be a string or true, got ${describeType(jti)}`);
  }
  assertInstant(issuedAt, "issuedAt", true);
  assertInstant(notBefore, "notBefore", false);
  if (expiresIn !== undefined) assertTimeSpan(expiresIn, "signJwt options.expiresIn");
  assertInstant(expiresAt, "expiresAt", false, false);
  if (expiresIn !== undefined && expiresAt !== undefined) {
    throw new TypeError("signJwt options: give expiresIn or expiresAt, not both");
  }

  const builder = new UnsecuredJWT(claims);
  if (issuer !== undefined) builder.setIssuer(issuer);
  if (subject !== undefined) builder.setSubject(subject);
  if (audience !== undefined) builder.setAudience(typeof audience === "string" ? audience : [...audience]);
  if (jti !== undefined) builder.setJti(jti === true ? randomUUID() : jti);
  if (issuedAt === true) builder.setIssuedAt();
  else if (issuedAt !== undefined && issuedAt !== false) builder.setIssuedAt(issuedAt);
  if (notBefore !== undefined) builder.setNotBefore(notBefore);
  if (expiresIn !== undefined) builder.setExpirationTime(expiresIn);
  if (expiresAt !== undefined) builder.setExpirationTime(expiresAt);
  return builder.encode().split(".")[1]!;
}

/** An instant option: epoch seconds, a `Date`, a time span where allowed, a boolean for `issuedAt`. */
function assertInstant(value: unknown, name: string, boolean: boolean, span = true): void {
  if (value === undefined || (boolean && typeof value === "boolean")) return;
  if (typeof value === "number") {
    if (!Number.isFinite(value))
      throw new RangeError(`signJwt options.${name} must be finite epoch seconds, got ${value}`);
    return;
  }
  if (value instanceof Date) return assertDate(value, `signJwt options.${name}`);
  if (span && typeof value === "string") return assertTimeSpan(value, `signJwt options.${name}`);
  throw new TypeError(
    `signJwt options.${name} must be ${boolean ? "true, " : ""}epoch seconds, a Date${span ? ' or a time span such as "2h"' : ""}, got ${describeType(value)}`,
  );
}
