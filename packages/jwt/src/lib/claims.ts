import { b64url } from "@keyprovider/base";
import { InvalidTokenError, describeType } from "@keyprovider/core";
import { UnsecuredJWT, type JWTClaimVerificationOptions, type JWTPayload } from "jose";

/** A time span in jose's syntax (`"2h"`, `"30 minutes"`, `"1d"`), or `TypeError`. @internal */
export function assertTimeSpan(value: unknown, name: string): asserts value is string {
  try {
    if (typeof value !== "string") throw new TypeError();
    // jose's own parser decides what a time span is; setNotBefore(string) runs it and nothing else.
    new UnsecuredJWT({}).setNotBefore(value);
  } catch {
    throw new TypeError(
      `${name} must be a time span such as "2h", "30 minutes" or "1d" (jose's syntax), got ${describeType(value)}`,
    );
  }
}

/** A number of seconds or a time span. @internal */
export function assertSecondsOrSpan(value: unknown, name: string): asserts value is number | string {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`${name} must be a finite number of seconds, 0 or more, got ${value}`);
    }
    return;
  }
  assertTimeSpan(value, name);
}

/** A `Date` that holds a time. @internal */
export function assertDate(value: unknown, name: string): asserts value is Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new TypeError(`${name} must be a valid Date, got ${describeType(value)}`);
  }
}

/** A string, or a non-empty array of strings. @internal */
export function assertStringOrStrings(
  value: unknown,
  name: string,
): asserts value is string | readonly string[] {
  if (typeof value === "string") return;
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === "string")) return;
  throw new TypeError(`${name} must be a string or a non-empty array of strings, got ${describeType(value)}`);
}

/**
 * Run jose's own JWT claim checks on a payload whose signature has already been verified, so
 * `exp`, `nbf`, `iat`, `iss`, `aud`, `sub`, `typ`, `maxTokenAge`, `clockTolerance` and
 * `requiredClaims` mean exactly what they mean in jose's `jwtVerify`, with jose's errors
 * (`JWTExpired`, `JWTClaimValidationFailed`).
 *
 * jose's one public entry to those checks that takes no key is `UnsecuredJWT.decode`: it is handed
 * an unsecured token built here from the verified payload segment, byte for byte, and the header's
 * `typ` (the one header member the claim checks read). The caller's token never reaches it, so an
 * `alg: "none"` token from outside is still refused before this point. A payload that is not a JSON
 * object is `InvalidTokenError` reason `"malformed"`.
 *
 * @internal
 */
export function checkClaims(
  header: Readonly<Record<string, unknown>>,
  encodedPayload: string,
  options: JWTClaimVerificationOptions,
): JWTPayload {
  const checkedHeader = Object.hasOwn(header, "typ") ? { alg: "none", typ: header["typ"] } : { alg: "none" };
  const unsecured = `${b64url(new TextEncoder().encode(JSON.stringify(checkedHeader)))}.${encodedPayload}.`;
  try {
    return UnsecuredJWT.decode(unsecured, options).payload;
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === "ERR_JWT_INVALID") {
      throw new InvalidTokenError(
        "malformed",
        "The token's payload is not a JSON object (a JWT Claims Set)",
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}
