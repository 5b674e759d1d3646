/**
 * Argument guards shared by every provider. A wrong *type* is a programmer error (`TypeError`); a
 * number of the right type outside its range is a `RangeError`, as in `node:crypto`. Messages name
 * the argument and what is allowed, and never echo a string argument, which might be a secret.
 */

const KID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_LOOKUP_KID_LENGTH = 1024;

/**
 * Describe a value's type for an error message without revealing its contents.
 *
 * @example
 * ```ts
 * describeType("hunter2");       // "a string of 7 characters"
 * describeType(new Uint8Array(3)); // "a Uint8Array of 3 bytes"
 * ```
 */
export function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Uint8Array) return `a ${value.constructor.name} of ${value.length} bytes`;
  switch (typeof value) {
    case "number":
      return Number.isNaN(value) ? "NaN" : `the number ${value}`;
    case "string":
      return `a string of ${value.length} characters`;
    case "object":
      return `an object (${value.constructor?.name ?? "null prototype"})`;
    default:
      return typeof value;
  }
}

/**
 * Assert a kid passed to a lookup: any non-empty string. Unknown kids are a `KeyNotFoundError`
 * later, not a `TypeError`, because they often come from untrusted token headers.
 *
 * @example
 * ```ts
 * assertKid(kid); // throws TypeError for 42, "" or undefined
 * ```
 */
export function assertKid(kid: unknown, name = "kid"): asserts kid is string {
  if (typeof kid !== "string" || kid.length === 0) {
    throw new TypeError(`${name} must be a non-empty string, got ${describeType(kid)}`);
  }
  if (kid.length > MAX_LOOKUP_KID_LENGTH) {
    throw new RangeError(`${name} must be at most ${MAX_LOOKUP_KID_LENGTH} characters, got ${kid.length}`);
  }
}

/**
 * Assert a caller-chosen kid for a new key: 1–128 characters of `A-Z a-z 0-9 _ -`. A `.` is not
 * allowed because published JWKs use `"<kid>.<version>"`.
 *
 * @example
 * ```ts
 * assertNewKid("signing-2027"); // ok
 * assertNewKid("a.b");          // TypeError
 * ```
 */
export function assertNewKid(kid: unknown, name = "kid"): asserts kid is string {
  if (typeof kid !== "string" || !KID_PATTERN.test(kid)) {
    throw new TypeError(
      `${name} must be 1-128 characters of A-Z, a-z, 0-9, "_" or "-" (no "." - JWKs publish "<kid>.<version>"), got ${describeType(kid)}`,
    );
  }
}

/**
 * Highest key version: versions are signed 32-bit integers in every backend we map to.
 *
 * @example
 * ```ts
 * if (next > MAX_KEY_VERSION) throw new RangeError("no version numbers left");
 * ```
 */
export const MAX_KEY_VERSION = 2_147_483_647;

/**
 * Assert a key version: an integer from 1 to {@link MAX_KEY_VERSION}.
 *
 * @example
 * ```ts
 * assertVersion(2);   // ok
 * assertVersion(0);   // RangeError
 * assertVersion("2"); // TypeError
 * ```
 */
export function assertVersion(version: unknown, name = "version"): asserts version is number {
  if (typeof version !== "number" || Number.isNaN(version)) {
    throw new TypeError(`${name} must be an integer, got ${describeType(version)}`);
  }
  if (!Number.isInteger(version) || version < 1 || version > MAX_KEY_VERSION) {
    throw new RangeError(`${name} must be an integer from 1 to ${MAX_KEY_VERSION}, got ${version}`);
  }
}

/**
 * Assert an optional key version (`undefined` means "the latest").
 *
 * @example
 * ```ts
 * assertOptionalVersion(undefined); // ok
 * ```
 */
export function assertOptionalVersion(
  version: unknown,
  name = "version",
): asserts version is number | undefined {
  if (version !== undefined) assertVersion(version, name);
}

/**
 * Assert an integer count in `0..max` (a length in bytes).
 *
 * @example
 * ```ts
 * assertLength(n, "n", 65_536);
 * ```
 */
export function assertLength(value: unknown, name: string, max: number): asserts value is number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${name} must be an integer, got ${describeType(value)}`);
  }
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer from 0 to ${max}, got ${value}`);
  }
}

/**
 * Assert bytes: a `Uint8Array` (a `Buffer` is one).
 *
 * @example
 * ```ts
 * assertBytes(material, "material");
 * ```
 */
export function assertBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(
      `${name} must be a Uint8Array, got ${describeType(value)}${typeof value === "string" ? "; encode text such as PEM or JWK JSON with new TextEncoder().encode(text)" : ""}`,
    );
  }
}

/**
 * Read an options object (or `undefined`): only its own properties, only the known ones. A misspelt
 * option fails loudly instead of being ignored, and nothing is read from the prototype chain, so a
 * polluted `Object.prototype.includeSecret` cannot turn an option on.
 *
 * @example
 * ```ts
 * const { includeSecret } = readOptions<GetKeyOptions>(options, "getKey options", ["includeSecret"]);
 * ```
 */
export function readOptions<T extends object>(
  value: T | undefined,
  name: string,
  known: readonly (keyof T & string)[],
): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object, got ${describeType(value)}`);
  }
  const read: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new TypeError(`${name} has an unknown option ${displayValue(key)}; known: ${known.join(", ")}`);
    }
    read[key] = (value as Record<string, unknown>)[key];
  }
  return read as Partial<T>;
}

/**
 * Assert an options object (or `undefined`) with only the known keys.
 *
 * @example
 * ```ts
 * assertOptions(options, "InMemoryKeyProvider options", []);
 * ```
 */
export function assertOptions(value: unknown, name: string, known: readonly string[]): void {
  readOptions(value as object | undefined, name, known as never);
}

/**
 * Show a caller-supplied value in an error message: short identifier-like strings (an enum value, a
 * field name) are quoted so the mistake is visible; anything else is described by type only, since
 * it might be a secret passed in the wrong place.
 *
 * @example
 * ```ts
 * displayValue("asymmetric");           // "\"asymmetric\""
 * displayValue("sk_live_9f8e7d6c5b4a…"); // "a string of 40 characters"
 * ```
 */
export function displayValue(value: unknown): string {
  if (
    typeof value === "string" &&
    /^[A-Za-z0-9_.:+-]{1,32}$/.test(value) &&
    !/\d{6}|[A-Za-z0-9]{24}/.test(value)
  ) {
    return JSON.stringify(value);
  }
  return describeType(value);
}

/**
 * Assert an optional boolean option.
 *
 * @example
 * ```ts
 * assertOptionalBoolean(options?.includeSecret, "includeSecret");
 * ```
 */
export function assertOptionalBoolean(value: unknown, name: string): asserts value is boolean | undefined {
  if (value !== undefined && typeof value !== "boolean") {
    throw new TypeError(`${name} must be a boolean, got ${describeType(value)}`);
  }
}

/**
 * Assert an optional string option.
 *
 * @example
 * ```ts
 * assertOptionalString(options?.prefix, "prefix");
 * ```
 */
export function assertOptionalString(value: unknown, name: string): asserts value is string | undefined {
  if (value !== undefined && typeof value !== "string") {
    throw new TypeError(`${name} must be a string, got ${describeType(value)}`);
  }
}
