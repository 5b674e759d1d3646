import {
  KeyNotFoundError,
  KeyProviderError,
  KeyUnavailableError,
  ProviderUnavailableError,
} from "@keyprovider/core";

/**
 * What a call's result is made of: `read` (a key, a listing, a JWK, random bytes), `public` (an
 * operation with the public key: verify, encrypt) or `private` (one that needs the secret: sign,
 * decrypt, derive).
 */
export type CallScope = "read" | "public" | "private";

/**
 * Why a call was served by the secondary: `"outage"` (the primary failed or timed out) or
 * `"not_found"` (the primary does not hold the key).
 *
 * @example
 * ```ts
 * mirrored.on("failover", ({ reason }: { reason: FailoverReason }) => console.warn(reason));
 * ```
 */
export type FailoverReason = "outage" | "not_found";

/**
 * Whether the primary's `error` lets a call of `scope` fail over, and why (DESIGN §7.4).
 *
 * - `KeyUnavailableError` (disabled, pending deletion) is a revocation: never.
 * - `KeyNotFoundError`: for reads and public operations only; a secret operation never signs or
 *   decrypts with a key its system of record does not hold.
 * - `ProviderUnavailableError`, and failures outside the error family that are not programmer
 *   errors (a dropped connection, a backend's own exception): the primary is down.
 * - Everything else is an answer, not an outage, and surfaces as it is: the caller's bugs
 *   (`TypeError`, `RangeError`, `InvalidKeySpecError`, `KeyUsageError`, …), refusals
 *   (`ProviderPermissionError`, `ExportNotAllowedError`, `NotSupportedError`), bad data
 *   (`DecryptionError`, `StoreIntegrityError`).
 */
export function failoverReason(error: unknown, scope: CallScope): FailoverReason | undefined {
  if (KeyUnavailableError.isInstance(error)) return undefined;
  if (KeyNotFoundError.isInstance(error)) return scope === "private" ? undefined : "not_found";
  if (ProviderUnavailableError.isInstance(error)) return "outage";
  if (KeyProviderError.isInstance(error)) return undefined;
  if (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof SyntaxError ||
    error instanceof ReferenceError
  ) {
    return undefined;
  }
  return "outage";
}

/**
 * A failure as `status()` and events report it: the operation, a stable code and a message. Only
 * messages of the keyprovider error family are kept (they never hold secrets); anything else is
 * reported by its name.
 *
 * @example
 * ```ts
 * const summary: MirrorErrorSummary = {
 *   operation: "createKey",
 *   code: "ERR_PROVIDER_UNAVAILABLE",
 *   message: "KMS is unreachable",
 * };
 * ```
 */
export interface MirrorErrorSummary {
  /** The method that met the error, such as `"createKey"` or `"getPublicJwk"`. */
  readonly operation: string;
  /** The error's `code`; `"ERR_UNEXPECTED"` for errors outside the family. */
  readonly code: string;
  readonly message: string;
}

const MAX_MESSAGE = 500;

/** Summarize `error` for `status()` and events without anything that could be a secret. */
export function summarize(operation: string, error: unknown): MirrorErrorSummary {
  if (KeyProviderError.isInstance(error)) {
    const message =
      error.message.length > MAX_MESSAGE ? `${error.message.slice(0, MAX_MESSAGE)}…` : error.message;
    return Object.freeze({ operation, code: error.code, message });
  }
  const name = error instanceof Error ? error.name : typeof error;
  return Object.freeze({
    operation,
    code: "ERR_UNEXPECTED",
    message: `${name} (not a keyprovider error; its message is not kept)`,
  });
}
