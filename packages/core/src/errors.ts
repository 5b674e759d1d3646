const BRAND: unique symbol = Symbol.for("keyprovider.error") as never;

/**
 * Quote a caller-supplied identifier (a kid, a provider name) for an error message, bounded so
 * hostile input such as a 1 MB token header stays short. Never pass secrets to it.
 *
 * @example
 * ```ts
 * throw new TypeError(`unknown kid ${quoteForMessage(kid)}`); // unknown kid "abc"
 * ```
 */
export function quoteForMessage(value: string, max = 80): string {
  const shown = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(shown);
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
    this: { readonly code: string; readonly prototype: P },
    value: unknown,
  ): value is P {
    if (typeof value !== "object" || value === null) return false;
    if ((value as { [BRAND]?: unknown })[BRAND] !== true) return false;
    if (this.code === KeyProviderError.code) return true;
    const code = (value as { code?: unknown }).code;
    return typeof code === "string" && (code === this.code || code.startsWith(`${this.code}_`));
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
export type RemoteJwksErrorCode =
  | "ERR_REMOTE_JWKS_TIMEOUT"
  | "ERR_REMOTE_JWKS_HTTP_STATUS"
  | "ERR_REMOTE_JWKS_TOO_LARGE"
  | "ERR_REMOTE_JWKS_INVALID"
  | "ERR_REMOTE_JWKS_INSECURE_URL"
  | "ERR_REMOTE_JWKS_ISSUER_MISMATCH"
  | "ERR_REMOTE_JWKS_NETWORK"
  | "ERR_REMOTE_JWKS_AMBIGUOUS_KID";

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
