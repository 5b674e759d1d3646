import { LIMITS } from "./constants.js";

const KID = /^[A-Za-z0-9_-]{1,128}$/;
const CANONICAL_VERSION = /^[1-9][0-9]{0,9}$/;

/**
 * Whether `value` is a kid keyprovider's own providers accept (DESIGN §7.1): 1–128 characters of
 * `A-Z a-z 0-9 _ -`. Generated kids are 32 lowercase hex characters. A `.` is never part of a kid,
 * because published JWKs name a version as `"<kid>.<version>"`. Providers answer any other kid with
 * `KeyNotFoundError` before any I/O, so hostile kids from token headers never reach a file path or an
 * API call.
 *
 * @example
 * ```ts
 * import { isValidKid } from "@keyprovider/core";
 * isValidKid("signing-2027"); // true
 * isValidKid("../etc/passwd"); // false
 * ```
 */
export function isValidKid(value: unknown): value is string {
  return typeof value === "string" && KID.test(value);
}

/**
 * The `kid` a published JWK carries for one version of a key: `"<kid>.<version>"`.
 *
 * @example
 * ```ts
 * import { versionedKid } from "@keyprovider/core";
 * versionedKid("abc", 3); // "abc.3"
 * ```
 */
export function versionedKid(kid: string, version: number): string {
  if (typeof kid !== "string" || kid.length === 0) {
    throw new TypeError("versionedKid: kid must be a non-empty string");
  }
  if (!Number.isInteger(version) || version < 1 || version > LIMITS.maxKeyVersion) {
    throw new RangeError(`versionedKid: version must be an integer from 1 to ${LIMITS.maxKeyVersion}`);
  }
  return `${kid}.${version}`;
}

/**
 * A JWK or token-header kid split into the key's kid and version. Only a canonical positive
 * integer after the last `.` is a version (no sign, no leading zero, at most 2^31 − 1): `"abc.3"` is
 * version 3 of `"abc"`, while `"b.x"`, `"abc."` and `"abc.01"` are kids of their own with `version`
 * `undefined` (readers treat those as version 1 of a set without versions).
 *
 * @example
 * ```ts
 * import { parseVersionedKid } from "@keyprovider/core";
 * parseVersionedKid("abc.3");  // { kid: "abc", version: 3 }
 * parseVersionedKid("abc.01"); // { kid: "abc.01", version: undefined }
 * ```
 */
export function parseVersionedKid(value: string): {
  readonly kid: string;
  readonly version: number | undefined;
} {
  if (typeof value !== "string") throw new TypeError("parseVersionedKid: the kid must be a string");
  const dot = value.lastIndexOf(".");
  if (dot > 0) {
    const suffix = value.slice(dot + 1);
    if (CANONICAL_VERSION.test(suffix)) {
      const version = Number(suffix);
      if (version <= LIMITS.maxKeyVersion) return { kid: value.slice(0, dot), version };
    }
  }
  return { kid: value, version: undefined };
}
