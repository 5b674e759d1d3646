/**
 * An error as KMS reports it: the AWS error name (`__type`), a message, and the HTTP status. The
 * SDK turns it into the exception class of that name, with `$fault` from the status.
 */
export class KmsError extends Error {
  readonly status: number;

  constructor(name: string, message: string, status = 400) {
    super(message);
    this.name = name;
    this.status = status;
  }
}

/** Errors KMS answers with a 5xx status; the SDK marks them `$fault: "server"`. */
const SERVER_FAULTS = new Set([
  "KMSInternalException",
  "DependencyTimeoutException",
  "KeyUnavailableException",
  "CloudHsmClusterNotActiveException",
]);

/** The status KMS uses for an error name: 5xx for the server faults, 400 otherwise. */
export function defaultStatus(name: string): number {
  return SERVER_FAULTS.has(name) ? 500 : 400;
}

/** One constraint violation in AWS's validation wording; `field` is the wire name of the member. */
export function validationError(field: string, value: unknown, constraint: string): KmsError {
  const member = field.charAt(0).toLowerCase() + field.slice(1);
  const shown =
    typeof value === "string" ? `'${value.length > 64 ? `${value.slice(0, 64)}…` : value}'` : "null";
  return new KmsError(
    "ValidationException",
    `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}
