/**
 * Argument guards shared by every provider, exported so composite providers that implement
 * `KeyProvider` directly (mirrored) apply exactly the same rules. A wrong *type* is a programmer
 * error (`TypeError`); a number of the right type outside its range is a `RangeError`, as in
 * `node:crypto`. Messages name the argument and what is allowed, and never echo a string argument,
 * which might be a secret.
 */
import {
  InvalidKidError,
  KeyNotFoundError,
  LIMITS,
  describeType,
  displayValue,
  isValidKid,
} from "@keyprovider/core";

/**
 * Assert a kid passed to a lookup (DESIGN §7.1): a string, or `TypeError`. A string that is not a
 * kid keyprovider's providers make or accept (1–128 characters of `A-Z a-z 0-9 _ -`) cannot name a
 * key, so it is `KeyNotFoundError` at once, before any I/O: kids often come from untrusted token
 * headers and must never reach a file path or an API call.
 *
 * @example
 * ```ts
 * assertKid(kid);    // TypeError for 42 or undefined
 * assertKid("../x"); // KeyNotFoundError
 * ```
 */
export function assertKid(kid: unknown, name = "kid"): asserts kid is string {
  if (typeof kid !== "string") {
    throw new TypeError(`${name} must be a string, got ${describeType(kid)}`);
  }
  if (!isValidKid(kid)) throw new KeyNotFoundError(kid);
}

/**
 * Assert a caller-chosen kid for a new key: 1–128 characters of `A-Z a-z 0-9 _ -`, or
 * `InvalidKidError`. A `.` is not allowed because published JWKs use `"<kid>.<version>"`.
 *
 * @example
 * ```ts
 * assertNewKid("signing-2027"); // ok
 * assertNewKid("a.b");          // InvalidKidError
 * ```
 */
export function assertNewKid(kid: unknown, name = "kid"): asserts kid is string {
  if (typeof kid !== "string") throw new TypeError(`${name} must be a string, got ${describeType(kid)}`);
  if (!isValidKid(kid)) {
    throw new InvalidKidError(
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
export const MAX_KEY_VERSION: number = LIMITS.maxKeyVersion;

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
 * Assert an optional key version (`undefined` means "the primary").
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
      `${name} must be a Uint8Array, got ${describeType(value)}${typeof value === "string" ? "; encode text with new TextEncoder().encode(text)" : ""}`,
    );
  }
}

/**
 * Assert bytes of at most `max` bytes (a message to sign, a plaintext): `TypeError` for other
 * types, `RangeError` when too long.
 *
 * @example
 * ```ts
 * assertBoundedBytes(plaintext, "plaintext", LIMITS.maxPlaintextBytes);
 * ```
 */
export function assertBoundedBytes(value: unknown, name: string, max: number): asserts value is Uint8Array {
  assertBytes(value, name);
  if (value.byteLength > max) {
    throw new RangeError(`${name} must be at most ${max} bytes, got ${value.byteLength}`);
  }
}

/**
 * Read an options object (or `undefined`): only its own properties, only the known ones. A misspelt
 * option fails loudly instead of being ignored, and nothing is read from the prototype chain, so a
 * polluted `Object.prototype.includeSecret` cannot turn an option on. A `signal` option, where known,
 * is checked and an already-aborted signal rejects at once.
 *
 * @example
 * ```ts
 * const { includeSecret, signal } = readOptions<GetKeyOptions>(options, "getKey options", ["includeSecret", "signal"]);
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
  if ("signal" in read) assertSignal(read["signal"], `${name}.signal`);
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

/**
 * Assert an optional `AbortSignal` and reject at once, with `signal.reason` as `fetch` does, if it
 * has already fired.
 *
 * @example
 * ```ts
 * assertSignal(options?.signal);
 * ```
 */
export function assertSignal(signal: unknown, name = "signal"): asserts signal is AbortSignal | undefined {
  if (signal === undefined) return;
  if (!(signal instanceof AbortSignal)) {
    throw new TypeError(`${name} must be an AbortSignal, got ${describeType(signal)}`);
  }
  signal.throwIfAborted();
}
