const BRAND: unique symbol = Symbol.for("keyprovider.error") as never;

/**
 * Quote a caller-supplied identifier (a kid, a provider name) for an error message, bounded so
 * hostile input such as a 1 MB token header stays short. Values that are not strings are described
 * by type. Never pass secrets to it; for values that might be secrets use {@link displayValue}.
 *
 * @example
 * ```ts
 * throw new TypeError(`unknown kid ${quoteForMessage(kid)}`); // unknown kid "abc"
 * ```
 */
export function quoteForMessage(value: unknown, max = 80): string {
  if (typeof value !== "string") return describeType(value);
  const shown = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(shown);
}

/**
 * Describe a value's type for an error message without revealing its contents.
 *
 * @example
 * ```ts
 * describeType("hunter2");         // "a string of 7 characters"
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
 * Show a caller-supplied value that might be a secret passed in the wrong place: short
 * identifier-like strings (an enum value, a field name) are quoted so the mistake is visible;
 * anything else is described by type only.
 *
 * @example
 * ```ts
 * displayValue("asymmetric");            // "\"asymmetric\""
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
 * Options every keyprovider error accepts.
 *
 * @example
 * ```ts
 * throw new ProviderUnavailableError("KMS timed out", { cause: err, retryable: true });
 * ```
 */
export interface KeyProviderErrorOptions {
  readonly cause?: unknown;
}

/**
 * Base class of every error a provider raises on purpose. Switch on `code`, never on the message.
 * `isInstance()` works across duplicate installs of `@keyprovider/core`, where `instanceof` does not.
 *
 * @example
 * ```ts
 * try {
 *   await provider.getKey(kid);
 * } catch (err) {
 *   if (KeyNotFoundError.isInstance(err)) return res.status(404).end();
 *   throw err;
 * }
 * ```
 */
export class KeyProviderError extends Error {
  /** The stable code of this class; subclasses override it. */
  static readonly code: string = "ERR_KEY_PROVIDER";
  /** Every code an instance of this class may carry; `isInstance` matches exactly these. */
  static readonly codes: readonly string[] = [];
  /** A stable string to switch on. */
  readonly code: string;
  declare readonly [BRAND]: true;

  constructor(message: string, options?: KeyProviderErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = (new.target as { readonly code: string }).code;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }

  /**
   * Whether `value` is an error of this class (by brand and code), even if it was created by
   * another copy of `@keyprovider/core`.
   *
   * @example
   * ```ts
   * if (KeyProviderError.isInstance(err)) console.error(err.code);
   * ```
   */
  static isInstance<P extends KeyProviderError>(
    this: { readonly code: string; readonly codes: readonly string[]; readonly prototype: P },
    value: unknown,
  ): value is P {
    if (typeof value !== "object" || value === null) return false;
    if ((value as { [BRAND]?: unknown })[BRAND] !== true) return false;
    if (this.code === KeyProviderError.code) return true;
    const code = (value as { code?: unknown }).code;
    // Exact codes only: a code such as ERR_NOT_SUPPORTED_X is not a NotSupportedError.
    return typeof code === "string" && (code === this.code || this.codes.includes(code));
  }
}

/**
 * The kid, or the version of a kid, does not exist.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (KeyNotFoundError.isInstance(err)) console.warn(err.kid, err.version);
 * }
 * ```
 */
export class KeyNotFoundError extends KeyProviderError {
  static override readonly code = "ERR_KEY_NOT_FOUND";
  declare readonly code: "ERR_KEY_NOT_FOUND";
  readonly kid: string;
  readonly version: number | undefined;

  constructor(kid: string, version?: number, options?: KeyProviderErrorOptions) {
    super(
      version === undefined
        ? `No key with kid ${quoteForMessage(kid)}`
        : `Key ${quoteForMessage(kid)} has no version ${version}`,
      options,
    );
    this.kid = kid;
    this.version = version;
  }
}

/**
 * A key version with this number already exists (for example `importKey` with an explicit
 * `version` that is taken).
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (KeyExistsError.isInstance(err)) await provider.importKey(spec, pem, { kid: err.kid });
 * }
 * ```
 */
export class KeyExistsError extends KeyProviderError {
  static override readonly code = "ERR_KEY_EXISTS";
  declare readonly code: "ERR_KEY_EXISTS";
  readonly kid: string;
  readonly version: number;

  constructor(
    kid: string,
    version: number,
    options?: KeyProviderErrorOptions & {
      /** The version was destroyed; its number is not reused. */
      readonly retired?: boolean;
    },
  ) {
    super(
      options?.retired === true
        ? `Key ${quoteForMessage(kid)} version ${version} was destroyed, and version numbers are not reused (a verifier may have cached it); omit "version" to append the next one`
        : `Key ${quoteForMessage(kid)} already has a version ${version}; omit "version" to append the next one`,
      options,
    );
    this.kid = kid;
    this.version = version;
  }
}

/**
 * A `KeySpec` field, or a combination of fields, is invalid. `field` names the offending field.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (InvalidKeySpecError.isInstance(err)) console.error(err.field, err.message);
 * }
 * ```
 */
export class InvalidKeySpecError extends KeyProviderError {
  static override readonly code = "ERR_INVALID_KEY_SPEC";
  declare readonly code: "ERR_INVALID_KEY_SPEC";
  /** The spec field at fault, such as `"sizeBits"` or `"uses"`. */
  readonly field: string;

  constructor(field: string, message: string, options?: KeyProviderErrorOptions) {
    super(message, options);
    this.field = field;
  }
}

/**
 * Bytes passed to `importKey` cannot be used: unparseable, the wrong kind of key for the spec, or a
 * public key that does not belong to the private key. The message never contains the bytes.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (InvalidKeyMaterialError.isInstance(err)) return res.status(400).send(err.message);
 * }
 * ```
 */
export class InvalidKeyMaterialError extends KeyProviderError {
  static override readonly code = "ERR_INVALID_KEY_MATERIAL";
  declare readonly code: "ERR_INVALID_KEY_MATERIAL";
}

/**
 * The provider does not implement this algorithm (or class of key).
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (UnsupportedAlgorithmError.isInstance(err)) console.error(err.alg, "needs another provider");
 * }
 * ```
 */
export class UnsupportedAlgorithmError extends KeyProviderError {
  static override readonly code = "ERR_UNSUPPORTED_ALGORITHM";
  declare readonly code: "ERR_UNSUPPORTED_ALGORITHM";
  readonly alg: string;

  constructor(alg: string, message: string, options?: KeyProviderErrorOptions) {
    super(message, options);
    this.alg = alg;
  }
}

/**
 * The provider cannot do this at all, such as publishing JWKs from `InMemoryKeyProvider`.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (NotSupportedError.isInstance(err)) return { keys: [] };
 * }
 * ```
 */
export class NotSupportedError extends KeyProviderError {
  static override readonly code = "ERR_NOT_SUPPORTED";
  declare readonly code: "ERR_NOT_SUPPORTED";
}

/**
 * The key exists but cannot be used now: disabled, or pending deletion.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (KeyUnavailableError.isInstance(err)) console.warn(err.kid, err.reason);
 * }
 * ```
 */
export class KeyUnavailableError extends KeyProviderError {
  static override readonly code = "ERR_KEY_UNAVAILABLE";
  declare readonly code: "ERR_KEY_UNAVAILABLE";
  readonly kid: string;
  readonly version: number | undefined;
  /** Why, for example `"disabled"` or `"pending_deletion"`. */
  readonly reason: string;

  constructor(kid: string, version: number | undefined, reason: string, options?: KeyProviderErrorOptions) {
    super(
      `Key ${quoteForMessage(kid)}${version === undefined ? "" : ` version ${version}`} is unavailable (${reason})`,
      options,
    );
    this.kid = kid;
    this.version = version;
    this.reason = reason;
  }
}

/**
 * The backend could not be reached or answered with a server fault. `retryable` says whether the
 * same call may succeed later.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (ProviderUnavailableError.isInstance(err) && err.retryable) await retryLater();
 * }
 * ```
 */
export class ProviderUnavailableError extends KeyProviderError {
  static override readonly code = "ERR_PROVIDER_UNAVAILABLE";
  declare readonly code: "ERR_PROVIDER_UNAVAILABLE";
  readonly retryable: boolean;

  constructor(message: string, options?: KeyProviderErrorOptions & { readonly retryable?: boolean }) {
    super(message, options);
    this.retryable = options?.retryable ?? true;
  }
}

/**
 * The backend refused the call for lack of permission (credentials, IAM or key policy).
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (ProviderPermissionError.isInstance(err)) console.error("check the IAM policy:", err.message);
 * }
 * ```
 */
export class ProviderPermissionError extends KeyProviderError {
  static override readonly code = "ERR_PROVIDER_PERMISSION";
  declare readonly code: "ERR_PROVIDER_PERMISSION";
}

/**
 * The codes of {@link RemoteJwksError}.
 *
 * @example
 * ```ts
 * if (err.code === "ERR_REMOTE_JWKS_TIMEOUT") { … }
 * ```
 */
export type RemoteJwksErrorCode = (typeof REMOTE_JWKS_CODES)[number];

const REMOTE_JWKS_CODES = [
  "ERR_REMOTE_JWKS_TIMEOUT",
  "ERR_REMOTE_JWKS_HTTP_STATUS",
  "ERR_REMOTE_JWKS_TOO_LARGE",
  "ERR_REMOTE_JWKS_INVALID",
  "ERR_REMOTE_JWKS_INSECURE_URL",
  "ERR_REMOTE_JWKS_ISSUER_MISMATCH",
  "ERR_REMOTE_JWKS_NETWORK",
  "ERR_REMOTE_JWKS_AMBIGUOUS_KID",
] as const;

/**
 * Fetching or validating a remote JWK Set failed. `code` says how.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (RemoteJwksError.isInstance(err) && err.code === "ERR_REMOTE_JWKS_HTTP_STATUS") {
 *     console.error(err.url, err.status);
 *   }
 * }
 * ```
 */
export class RemoteJwksError extends KeyProviderError {
  static override readonly code = "ERR_REMOTE_JWKS";
  /** The family of codes, matched explicitly by `isInstance`. */
  static override readonly codes: readonly string[] = REMOTE_JWKS_CODES;
  declare readonly code: RemoteJwksErrorCode;
  readonly url: string | undefined;
  readonly status: number | undefined;

  constructor(
    code: RemoteJwksErrorCode,
    message: string,
    options?: KeyProviderErrorOptions & { readonly url?: string; readonly status?: number },
  ) {
    super(message, options);
    (this as { code: string }).code = code;
    this.url = options?.url;
    this.status = options?.status;
  }
}

/**
 * No provider is registered under that name. The message names the known providers and, for a
 * first-party provider, the package to install.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (ProviderNotFoundError.isInstance(err)) console.error(err.known, err.packageName);
 * }
 * ```
 */
export class ProviderNotFoundError extends KeyProviderError {
  static override readonly code = "ERR_PROVIDER_NOT_FOUND";
  declare readonly code: "ERR_PROVIDER_NOT_FOUND";
  /** The name that was asked for. */
  readonly providerName: string;
  /** Every name the registry knows, sorted. */
  readonly known: readonly string[];
  /** The npm package that provides this name, if it is a first-party provider. */
  readonly packageName: string | undefined;

  constructor(
    providerName: string,
    known: readonly string[],
    message: string,
    options?: KeyProviderErrorOptions & { readonly packageName?: string },
  ) {
    super(message, options);
    this.providerName = providerName;
    this.known = Object.freeze([...known]);
    this.packageName = options?.packageName;
  }
}

/**
 * A provider definition is malformed, clashes with another registered name, or an installed
 * package's provider manifest points at something that is not a definition.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (InvalidProviderError.isInstance(err)) console.error(err.message);
 * }
 * ```
 */
export class InvalidProviderError extends KeyProviderError {
  static override readonly code = "ERR_INVALID_PROVIDER";
  declare readonly code: "ERR_INVALID_PROVIDER";
}

/**
 * What is wrong with a configuration, as {@link InvalidConfigError.reason}:
 * `not_found` (no config file), `untrusted` (a file found upward that another user owns),
 * `invalid_json`, `invalid_shape` (wrong members or types), `missing_env` (a `{ "$env": "NAME" }`
 * whose variable is unset or empty) or `literal_secret` (a secret written into the configuration
 * instead of read from the environment).
 *
 * @example
 * ```ts
 * if (err.reason === "missing_env") console.error("set the variable named in:", err.message);
 * ```
 */
export type InvalidConfigReason =
  "not_found" | "untrusted" | "invalid_json" | "invalid_shape" | "missing_env" | "literal_secret";

/**
 * A keyprovider configuration (`keyprovider.config.json`, or options given on a command line)
 * cannot be used. `reason` says why, `source` where it came from and `member` which member is at
 * fault. The message names the fix; it never contains a configured or environment value.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (InvalidConfigError.isInstance(err)) console.error(err.reason, err.source, err.member);
 * }
 * ```
 */
export class InvalidConfigError extends KeyProviderError {
  static override readonly code = "ERR_INVALID_CONFIG";
  declare readonly code: "ERR_INVALID_CONFIG";
  /** Why the configuration was refused. */
  readonly reason: InvalidConfigReason;
  /** The config file's path, or a label such as `"--options"` for configuration given otherwise. */
  readonly source: string;
  /** The member at fault as a dotted path such as `"options.kek.passphrase"`, if one is. */
  readonly member: string | undefined;

  constructor(
    reason: InvalidConfigReason,
    source: string,
    message: string,
    options?: KeyProviderErrorOptions & { readonly member?: string },
  ) {
    super(message, options);
    this.reason = reason;
    this.source = source;
    this.member = options?.member;
  }
}

/**
 * The operation is not among the key's `uses` (signing with a key made for verification only,
 * decrypting with an encrypt-only key). Raised before any cryptography.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (KeyUsageError.isInstance(err)) console.error(err.kid, "cannot", err.use);
 * }
 * ```
 */
export class KeyUsageError extends KeyProviderError {
  static override readonly code = "ERR_KEY_USAGE";
  declare readonly code: "ERR_KEY_USAGE";
  readonly kid: string;
  readonly version: number | undefined;
  /** The use the operation needs, such as `"sign"` or `"decaps"`. */
  readonly use: string;

  constructor(
    kid: string,
    version: number | undefined,
    use: string,
    message: string,
    options?: KeyProviderErrorOptions,
  ) {
    super(message, options);
    this.kid = kid;
    this.version = version;
    this.use = use;
  }
}

/**
 * The key's export policy does not let its secret out (`exportKey(kid, { private: true })` of a key
 * whose policy is not `secret_when_allowed`).
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (ExportNotAllowedError.isInstance(err)) console.error(err.exportPolicy);
 * }
 * ```
 */
export class ExportNotAllowedError extends KeyProviderError {
  static override readonly code = "ERR_EXPORT_NOT_ALLOWED";
  declare readonly code: "ERR_EXPORT_NOT_ALLOWED";
  readonly kid: string;
  readonly exportPolicy: string;

  constructor(kid: string, exportPolicy: string, options?: KeyProviderErrorOptions) {
    super(
      `Key ${quoteForMessage(kid)} has export policy ${JSON.stringify(exportPolicy)}, so its secret never leaves the provider; use it in place (sign, decrypt, deriveSharedSecret) or export the public key`,
      options,
    );
    this.kid = kid;
    this.exportPolicy = exportPolicy;
  }
}

/**
 * A ciphertext could not be decrypted. Deliberately one error with one message for every cause (a
 * changed byte anywhere, other associated data, another kid), so it tells an attacker nothing.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (DecryptionError.isInstance(err)) return res.status(400).end();
 * }
 * ```
 */
export class DecryptionError extends KeyProviderError {
  static override readonly code = "ERR_DECRYPTION_FAILED";
  declare readonly code: "ERR_DECRYPTION_FAILED";

  constructor(options?: KeyProviderErrorOptions) {
    super(
      "The ciphertext could not be decrypted: it is damaged, was made under another key, or the associated data differs",
      options,
    );
  }
}

/**
 * A caller-chosen kid (in `importKey`) is not one keyprovider's providers accept: 1–128 characters
 * of `A-Z a-z 0-9 _ -` (DESIGN §7.1).
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (InvalidKidError.isInstance(err)) console.error(err.message);
 * }
 * ```
 */
export class InvalidKidError extends KeyProviderError {
  static override readonly code = "ERR_INVALID_KID";
  declare readonly code: "ERR_INVALID_KID";
}

/**
 * The reasons {@link InvalidTokenError} gives.
 *
 * @example
 * ```ts
 * if (err.reason === "key_not_allowed") { … }
 * ```
 */
export type InvalidTokenReason =
  "malformed" | "header" | "alg" | "kid" | "key_not_allowed" | "signature" | "claims";

/**
 * A JWT was refused by `verifyJwt` or `jwtKeyResolver` before or instead of its claims being checked:
 * malformed, an unknown `crit` or `b64: false` header, an `alg` that is not the key's, a kid that is
 * unknown or not allowed, or a bad signature. Claim failures keep jose's own errors.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (InvalidTokenError.isInstance(err)) return res.status(401).send(err.reason);
 * }
 * ```
 */
export class InvalidTokenError extends KeyProviderError {
  static override readonly code = "ERR_INVALID_TOKEN";
  declare readonly code: "ERR_INVALID_TOKEN";
  readonly reason: InvalidTokenReason;

  constructor(reason: InvalidTokenReason, message: string, options?: KeyProviderErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/**
 * A stored record failed authentication or is malformed: edited, truncated, or moved to another kid
 * or version. It is never served. `record` names it (a path relative to the store).
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (StoreIntegrityError.isInstance(err)) console.error("restore", err.record, "from a backup");
 * }
 * ```
 */
export class StoreIntegrityError extends KeyProviderError {
  static override readonly code = "ERR_STORE_INTEGRITY";
  declare readonly code: "ERR_STORE_INTEGRITY";
  readonly record: string | undefined;

  constructor(message: string, options?: KeyProviderErrorOptions & { readonly record?: string }) {
    super(message, options);
    this.record = options?.record;
  }
}

/**
 * A key store could not be opened with the key-encryption key given: a wrong passphrase or key, or a
 * KEK provider that cannot unwrap the store's data key. Nothing was changed.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (StoreUnlockError.isInstance(err)) console.error("check KEYPROVIDER_PASSPHRASE");
 * }
 * ```
 */
export class StoreUnlockError extends KeyProviderError {
  static override readonly code = "ERR_STORE_UNLOCK";
  declare readonly code: "ERR_STORE_UNLOCK";
}

/**
 * A key store's files are not private: a directory writable by group or others, a file readable by
 * them, or a symlink where a record should be. `path` names it; the message says what to fix.
 *
 * @example
 * ```ts
 * catch (err) {
 *   if (InsecureStoreError.isInstance(err)) console.error(err.message); // … run chmod 700 …
 * }
 * ```
 */
export class InsecureStoreError extends KeyProviderError {
  static override readonly code = "ERR_STORE_INSECURE";
  declare readonly code: "ERR_STORE_INSECURE";
  readonly path: string;

  constructor(path: string, message: string, options?: KeyProviderErrorOptions) {
    super(message, options);
    this.path = path;
  }
}

/**
 * With `strictMirror: true`, a write succeeded on the primary but its copy to the secondary failed.
 * The primary keeps what it did (the key exists there, the version is destroyed there); the provider
 * is degraded until `resync()` copies what is missing, so repeating the call is not the fix. `cause`
 * is the secondary's error.
 *
 * @example
 * ```ts
 * try {
 *   await mirrored.createKey({ alg: "ES256" });
 * } catch (err) {
 *   if (MirrorWriteError.isInstance(err)) {
 *     console.warn(err.operation, err.kid, err.version, "is on the primary only");
 *     await mirrored.resync();
 *   }
 * }
 * ```
 */
export class MirrorWriteError extends KeyProviderError {
  static override readonly code = "ERR_MIRROR_WRITE";
  declare readonly code: "ERR_MIRROR_WRITE";
  /** The method whose copy failed, such as `"createKey"`. */
  readonly operation: string;
  /** The primary's kid. */
  readonly kid: string;
  /** The primary's version, where the write was about one. */
  readonly version: number | undefined;

  constructor(
    operation: string,
    kid: string,
    version: number | undefined,
    message: string,
    options?: KeyProviderErrorOptions,
  ) {
    super(
      `${operation} of key ${quoteForMessage(kid)}${version === undefined ? "" : ` version ${version}`} succeeded on the primary, but the secondary did not take the copy: ${message}. The provider is degraded until resync() repairs it`,
      options,
    );
    this.operation = operation;
    this.kid = kid;
    this.version = version;
  }
}

/**
 * Every error class of the family, so `switch (err.code)` narrows to the class with its fields.
 *
 * @example
 * ```ts
 * function status(err: AnyKeyProviderError): number {
 *   switch (err.code) {
 *     case "ERR_KEY_NOT_FOUND": return 404;          // err is KeyNotFoundError
 *     case "ERR_PROVIDER_UNAVAILABLE": return err.retryable ? 503 : 500;
 *     default: return 500;
 *   }
 * }
 * ```
 */
export type AnyKeyProviderError =
  | KeyNotFoundError
  | KeyExistsError
  | InvalidKeySpecError
  | InvalidKeyMaterialError
  | UnsupportedAlgorithmError
  | NotSupportedError
  | KeyUnavailableError
  | ProviderUnavailableError
  | ProviderPermissionError
  | RemoteJwksError
  | ProviderNotFoundError
  | InvalidProviderError
  | InvalidConfigError
  | KeyUsageError
  | ExportNotAllowedError
  | DecryptionError
  | InvalidKidError
  | InvalidTokenError
  | StoreIntegrityError
  | StoreUnlockError
  | InsecureStoreError
  | MirrorWriteError;

/**
 * Every stable `code` a keyprovider error carries.
 *
 * @example
 * ```ts
 * const code: KeyProviderErrorCode = "ERR_KEY_NOT_FOUND";
 * ```
 */
export type KeyProviderErrorCode = AnyKeyProviderError["code"];
