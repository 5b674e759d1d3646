import {
  DecryptionError,
  KeyExistsError,
  KeyNotFoundError,
  KeyProviderError,
  KeyUnavailableError,
  ProviderPermissionError,
  ProviderUnavailableError,
} from "@keyprovider/core";

/**
 * What KMS (or the SDK on its way there) said when a request failed: the operation, the error's
 * name, fault and request id, and KMS's own message. The `cause` of every error the provider raises
 * for a failed request. It keeps no request, response or credentials, only these fields.
 *
 * @example
 * ```ts
 * try {
 *   await provider.sign(kid, data);
 * } catch (err) {
 *   if (ProviderUnavailableError.isInstance(err) && err.cause instanceof KmsRequestError) {
 *     console.error(err.cause.operation, err.cause.errorName, err.cause.requestId);
 *   }
 * }
 * ```
 */
export class KmsRequestError extends Error {
  /** The KMS operation, such as `"Sign"`. */
  readonly operation: string;
  /** The AWS error name, such as `"ThrottlingException"`, or the SDK's (`"TimeoutError"`). */
  readonly errorName: string;
  /** `"client"` or `"server"`, as the SDK reports it; `undefined` when no response came back. */
  readonly fault: "client" | "server" | undefined;
  /** The `x-amzn-RequestId` of the failed request, for AWS support and CloudTrail. */
  readonly requestId: string | undefined;
  /** The HTTP status of the response, if there was one. */
  readonly httpStatusCode: number | undefined;
  /** Whether the same request may succeed later (throttling, server faults, network failures). */
  readonly retryable: boolean;

  constructor(fields: {
    readonly operation: string;
    readonly errorName: string;
    readonly message: string;
    readonly fault: "client" | "server" | undefined;
    readonly requestId: string | undefined;
    readonly httpStatusCode: number | undefined;
    readonly retryable: boolean;
  }) {
    super(fields.message);
    this.name = "KmsRequestError";
    this.operation = fields.operation;
    this.errorName = fields.errorName;
    this.fault = fields.fault;
    this.requestId = fields.requestId;
    this.httpStatusCode = fields.httpStatusCode;
    this.retryable = fields.retryable;
  }
}

/** The key a failed request was about, for the typed error. */
export interface KmsCallContext {
  readonly kid?: string | undefined;
  readonly version?: number | undefined;
}

const PERMISSION = new Set([
  "AccessDeniedException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "InvalidClientTokenId",
  "ExpiredTokenException",
  "ExpiredToken",
  "CredentialsProviderError",
]);
const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
]);
const SERVER = new Set([
  "KMSInternalException",
  "DependencyTimeoutException",
  "KeyUnavailableException",
  "InternalFailure",
  "ServiceUnavailable",
  "ServiceUnavailableException",
]);
/** Failures with no response at all: the request may not have arrived, so it may be tried again. */
const NETWORK = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException"]);
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN"]);
const DECRYPTION = new Set(["InvalidCiphertextException", "IncorrectKeyException"]);
const MAX_MESSAGE = 300;

interface SdkError {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly $fault?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly requestId?: unknown; readonly httpStatusCode?: unknown };
}

/** The fields of an SDK error worth keeping, and nothing else. */
export function describeKmsFailure(operation: string, error: unknown): KmsRequestError {
  const e = (typeof error === "object" && error !== null ? error : {}) as SdkError;
  const errorName = typeof e.name === "string" && e.name !== "" ? e.name : "Error";
  const fault = e.$fault === "client" || e.$fault === "server" ? e.$fault : undefined;
  const requestId = typeof e.$metadata?.requestId === "string" ? e.$metadata.requestId : undefined;
  const httpStatusCode =
    typeof e.$metadata?.httpStatusCode === "number" ? e.$metadata.httpStatusCode : undefined;
  const noResponse = httpStatusCode === undefined && fault === undefined;
  const retryable =
    e.$retryable !== undefined ||
    THROTTLING.has(errorName) ||
    SERVER.has(errorName) ||
    fault === "server" ||
    NETWORK.has(errorName) ||
    (noResponse && typeof e.code === "string" && NETWORK_CODES.has(e.code));
  const text = typeof e.message === "string" ? e.message : "";
  return new KmsRequestError({
    operation,
    errorName,
    message: text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text,
    fault,
    requestId,
    httpStatusCode,
    retryable,
  });
}

function said(failure: KmsRequestError): string {
  const id = failure.requestId === undefined ? "" : ` (request id ${failure.requestId})`;
  const message = failure.message === "" ? "" : `: ${failure.message}`;
  return `KMS ${failure.operation} failed with ${failure.errorName}${message}${id}`;
}

/**
 * Map a failed KMS request to keyprovider's typed errors (DESIGN §4), by the error's `name`,
 * `$fault` and `$retryable`: not found → `KeyNotFoundError`; disabled or in the wrong state →
 * `KeyUnavailableError`; access denied or bad credentials → `ProviderPermissionError`; throttling,
 * server faults and network failures → `ProviderUnavailableError` with `retryable: true`; a
 * ciphertext KMS refuses → `DecryptionError`. The request id stays in the message and the cause.
 */
export function mapKmsError(
  operation: string,
  error: unknown,
  context: KmsCallContext = {},
): KeyProviderError {
  if (KeyProviderError.isInstance(error)) return error;
  const failure = describeKmsFailure(operation, error);
  const { kid, version } = context;
  const options = { cause: failure };
  switch (failure.errorName) {
    case "NotFoundException":
      if (kid !== undefined) return new KeyNotFoundError(kid, version, options);
      break;
    case "AlreadyExistsException":
      if (kid !== undefined && version !== undefined) return new KeyExistsError(kid, version, options);
      break;
    case "DisabledException":
      if (kid !== undefined) return new KeyUnavailableError(kid, version, "disabled", options);
      break;
    case "KMSInvalidStateException":
      if (kid !== undefined) return new KeyUnavailableError(kid, version, "invalid_state", options);
      break;
    default:
      // One error with no detail about why (DESIGN §7.6): not even KMS's reason, as a cause.
      if (DECRYPTION.has(failure.errorName) && operation === "Decrypt") return new DecryptionError();
  }
  if (PERMISSION.has(failure.errorName)) return new ProviderPermissionError(said(failure), options);
  return new ProviderUnavailableError(said(failure), { ...options, retryable: failure.retryable });
}
