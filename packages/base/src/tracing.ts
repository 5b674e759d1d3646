import { tracingChannel, type TracingChannel } from "node:diagnostics_channel";
import { KeyProviderError } from "@keyprovider/core";

/**
 * What a `keyprovider:<operation>` tracing channel carries: who, what, which key, how long and how
 * it ended. Never key bytes, plaintexts or results: subscribers see only these fields (and the
 * typed error, whose messages never hold secrets).
 *
 * @example
 * ```ts
 * import { tracingChannel } from "node:diagnostics_channel";
 * tracingChannel<OperationTrace>("keyprovider:sign").subscribe({
 *   asyncEnd: (t) => console.log(t.provider, t.kid, t.version, t.durationMs, t.errorCode),
 * });
 * ```
 */
export interface OperationTrace {
  /** The provider's canonical name, such as `"LocalKeyProvider"`. */
  readonly provider: string;
  /** The method: `"sign"`, `"createKey"`, … (also the channel name after `keyprovider:`). */
  readonly operation: string;
  /** The kid the call was about, where there is one. */
  kid: string | undefined;
  /** The version the call used, once known (the primary's number when the caller gave none). */
  version: number | undefined;
  /** Wall time of the call in milliseconds, set when it settles. */
  durationMs: number | undefined;
  /** The `code` of the error the call failed with (`"ERR_UNEXPECTED"` for errors outside the family). */
  errorCode: string | undefined;
  /** The error the call failed with. */
  error?: unknown;
}

const channels = new Map<string, TracingChannel<object, OperationTrace>>();

function channelFor(operation: string): TracingChannel<object, OperationTrace> {
  let channel = channels.get(operation);
  if (channel === undefined) {
    channel = tracingChannel<object, OperationTrace>(`keyprovider:${operation}`);
    channels.set(operation, channel);
  }
  return channel;
}

/**
 * Run a provider operation under its `node:diagnostics_channel` tracing channel
 * `keyprovider:<operation>` (start, end, asyncStart, asyncEnd and error events, as
 * `tracePromise` publishes them, but without the result). With no subscriber it costs one property
 * read. `fn` receives the trace so it can record the version it resolved.
 *
 * @example
 * ```ts
 * return traced(this.name, "sign", kid, version, async (trace) => {
 *   trace.version = record.version;
 *   return signature;
 * });
 * ```
 */
export function traced<T>(
  provider: string,
  operation: string,
  kid: string | undefined,
  version: number | undefined,
  fn: (trace: OperationTrace) => Promise<T>,
): Promise<T> {
  const channel = channelFor(operation);
  const trace: OperationTrace = {
    provider,
    operation,
    kid: typeof kid === "string" ? kid : undefined,
    version: typeof version === "number" ? version : undefined,
    durationMs: undefined,
    errorCode: undefined,
  };
  if (!channel.hasSubscribers) return fn(trace);
  const started = performance.now();
  channel.start.publish(trace);
  let promise: Promise<T>;
  try {
    promise = fn(trace);
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- rethrown as it came
    promise = Promise.reject(error);
  } finally {
    channel.end.publish(trace);
  }
  return promise.then(
    (value) => {
      trace.durationMs = performance.now() - started;
      channel.asyncStart.publish(trace);
      channel.asyncEnd.publish(trace);
      return value;
    },
    (error: unknown) => {
      trace.durationMs = performance.now() - started;
      trace.errorCode = errorCode(error);
      trace.error = error;
      channel.error.publish(trace);
      channel.asyncStart.publish(trace);
      channel.asyncEnd.publish(trace);
      throw error;
    },
  );
}

/** A code for any error: the family's own, Node's conventions for programmer errors, or the abort's name. */
function errorCode(error: unknown): string {
  if (KeyProviderError.isInstance(error)) return error.code;
  if (error instanceof TypeError) return "ERR_INVALID_ARG_TYPE";
  if (error instanceof RangeError) return "ERR_OUT_OF_RANGE";
  if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError"))
    return "ABORT_ERR";
  return "ERR_UNEXPECTED";
}
