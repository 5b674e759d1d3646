import { MAX_KEY_VERSION } from "@keyprovider/base";

/**
 * A JWK `kid` read as keyprovider's `"<kid>.<version>"` convention.
 *
 * @example
 * ```ts
 * const id: ParsedKid = parseKid("3fa1.2"); // { kid: "3fa1", version: 2 }
 * ```
 */
export interface ParsedKid {
  /** The bare kid. */
  readonly kid: string;
  /** The version: the `N` of `"<kid>.<N>"`, or 1 for any other kid. */
  readonly version: number;
}

const VERSION_SUFFIX = /^(.+)\.([1-9][0-9]{0,9})$/s;

/**
 * Split a JWK `kid` into a bare kid and a version. `"<kid>.<N>"` with `N` a canonical positive
 * integer (no sign, no leading zero, at most 2^31-1) and a non-empty `<kid>` is that kid at version
 * `N`; any other string (`"b.x"`, `"abc."`, `"abc.01"`, `".5"`, `"abc"`) is a kid of its own at
 * version 1. `"abc"` and `"abc.1"` therefore name the same key.
 *
 * @example
 * ```ts
 * parseKid("3fa1.2");  // { kid: "3fa1", version: 2 }
 * parseKid("a.b.3");   // { kid: "a.b", version: 3 }
 * parseKid("abc.01");  // { kid: "abc.01", version: 1 }
 * parseKid("signing"); // { kid: "signing", version: 1 }
 * ```
 */
export function parseKid(jwkKid: string): ParsedKid {
  if (typeof jwkKid !== "string") throw new TypeError("parseKid: the kid must be a string");
  const match = VERSION_SUFFIX.exec(jwkKid);
  if (match !== null) {
    const version = Number(match[2]);
    if (version <= MAX_KEY_VERSION) return { kid: match[1]!, version };
  }
  return { kid: jwkKid, version: 1 };
}
