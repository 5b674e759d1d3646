import { KeyProviderError, quoteForMessage, type KeyProviderErrorOptions } from "@keyprovider/core";

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
