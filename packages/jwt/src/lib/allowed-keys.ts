import { describeType, parseVersionedKid } from "@keyprovider/core";

/**
 * Which keys may verify a token (DESIGN §7.2), required by `verifyJwt` and `jwtKeyResolver`:
 *
 * - an array of kids: a bare kid (`"3f…a1"`) allows every version of that key, a versioned kid
 *   (`"3f…a1.2"`) that version only;
 * - `{ prefix }`: every key whose bare kid starts with `prefix`;
 * - `"any"`: every key the provider holds, said explicitly.
 *
 * A token whose kid is not allowed is refused before the provider is asked for the key.
 *
 * @example
 * ```ts
 * const onlyThisKey: JwtKeys = [ref.kid];
 * const pinned: JwtKeys = [`${ref.kid}.2`];
 * const tenant: JwtKeys = { prefix: "tenant-7-" };
 * const everything: JwtKeys = "any";
 * ```
 */
export type JwtKeys = "any" | { readonly prefix: string } | readonly string[];

/** Whether a token's key (bare kid and version) is allowed. @internal */
export type KeyAllowList = (kid: string, version: number) => boolean;

/**
 * Read and check a {@link JwtKeys} option once, up front; a missing or malformed one is a
 * `TypeError`, because verifying without saying which keys may sign is a programming mistake.
 *
 * @internal
 */
export function readAllowedKeys(value: unknown, name: string): KeyAllowList {
  const usage = `${name} is required: an array of kids ("kid" for every version, "kid.3" for one), { prefix: "…" }, or "any"`;
  if (value === "any") return () => true;
  if (Array.isArray(value)) {
    if (value.length === 0) throw new TypeError(`${usage}; got an empty array, which allows no key`);
    const entries = (value as unknown[]).map((entry, index) => {
      if (typeof entry !== "string" || entry.length === 0) {
        throw new TypeError(`${name}[${index}] must be a non-empty kid string, got ${describeType(entry)}`);
      }
      return parseVersionedKid(entry);
    });
    return (kid, version) =>
      entries.some(
        (entry) => entry.kid === kid && (entry.version === undefined || entry.version === version),
      );
  }
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value);
    const prefix = (value as { prefix?: unknown }).prefix;
    if (keys.length !== 1 || keys[0] !== "prefix" || typeof prefix !== "string" || prefix.length === 0) {
      throw new TypeError(
        `${usage}; an object must be exactly { prefix } with a non-empty string (say "any" for every key)`,
      );
    }
    return (kid) => kid.startsWith(prefix);
  }
  throw new TypeError(`${usage}; got ${describeType(value)}`);
}
