import type { CallOptions } from "@keyprovider/core";
import type { MirrorMode } from "./lib/copy-request.js";
import type { FailoverReason, MirrorErrorSummary } from "./lib/errors.js";
import type { MappingStore } from "./mapping-store.js";

/**
 * Options of {@link MirroredKeyProvider}. Validated once, in the constructor.
 *
 * @example
 * ```ts
 * const options: MirroredKeyProviderOptions = {
 *   mirrorMode: "public_only",
 *   failOpenReads: true,
 *   primaryTimeoutMs: 2_000,
 * };
 * ```
 */
export interface MirroredKeyProviderOptions {
  /** What the secondary keeps: `"public_only"` (default), `"full"` or `"none"`. See {@link MirrorMode}. */
  readonly mirrorMode?: MirrorMode;
  /**
   * Serve reads and key operations from the secondary when the primary is down (default `true`).
   * `false`: every primary error surfaces as it is.
   */
  readonly failOpenReads?: boolean;
  /**
   * Throw {@link MirrorWriteError} when a write succeeded on the primary but its copy failed
   * (default `false`: the provider is marked degraded, a `mirrorFailed` event is emitted, and the
   * primary's result is returned).
   */
  readonly strictMirror?: boolean;
  /** Where copies the secondary could not take under the primary's kid are remembered. Default: in memory. */
  readonly mappingStore?: MappingStore;
  /**
   * How long a read or key operation waits for the primary before it fails over, in milliseconds.
   * Default: no limit (a hanging primary is failed over only when it errs). Writes never time out:
   * a write the primary may still complete is not reported as failed.
   */
  readonly primaryTimeoutMs?: number;
}

/**
 * What {@link MirroredKeyProvider.status} reports.
 *
 * @example
 * ```ts
 * const { degraded, failedMirrorCount, lastError } = mirrored.status();
 * if (degraded) console.warn(`${failedMirrorCount} copies missing; last: ${lastError?.code}`);
 * ```
 */
export interface MirrorStatus {
  readonly mode: MirrorMode;
  /**
   * The two sides may disagree: a copy failed, or the secondary served a key the primary does not
   * hold. Cleared by a `resync()` that repaired everything.
   */
  readonly degraded: boolean;
  /** Copies (writes) that failed since the last complete `resync()`. */
  readonly failedMirrorCount: number;
  /** Calls served by the secondary since the provider was made. */
  readonly failoverCount: number;
  /** The last error the provider absorbed (a failed copy, or the primary error behind a failover). */
  readonly lastError: MirrorErrorSummary | undefined;
}

/**
 * The `mirrorFailed` event: a write succeeded on the primary, its copy did not.
 *
 * @example
 * ```ts
 * mirrored.on("mirrorFailed", (event: MirrorFailedEvent) => alert(event.operation, event.kid, event.error.code));
 * ```
 */
export interface MirrorFailedEvent {
  readonly operation: string;
  readonly kid: string;
  readonly version: number | undefined;
  readonly error: MirrorErrorSummary;
}

/**
 * The `failover` event: a call was served by the secondary. `reason` is `"outage"` (the primary
 * failed) or `"not_found"` (the primary does not hold the key; the provider is then degraded).
 *
 * @example
 * ```ts
 * mirrored.on("failover", (event: FailoverEvent) => metrics.increment(`failover.${event.reason}`));
 * ```
 */
export interface FailoverEvent {
  readonly operation: string;
  readonly kid: string | undefined;
  readonly version: number | undefined;
  readonly reason: FailoverReason;
  readonly primaryError: MirrorErrorSummary;
}

/**
 * What {@link MirroredKeyProvider.resync} did; also the payload of the `resynced` event.
 *
 * @example
 * ```ts
 * const { copied, destroyed, activated, failed } = await mirrored.resync();
 * ```
 */
export interface ResyncReport {
  /** Kids the primary holds. */
  readonly kids: number;
  /** Versions copied to the secondary. */
  readonly copied: number;
  /** Versions (or whole kids) removed from the secondary because the primary no longer holds them. */
  readonly destroyed: number;
  /** Primary pointers set on the secondary. */
  readonly activated: number;
  /** Kids that could not be brought up to date; the provider stays degraded when this is not 0. */
  readonly failed: number;
}

/**
 * Options of {@link MirroredKeyProvider.resync}.
 *
 * @example
 * ```ts
 * await mirrored.resync({ prune: false, signal: AbortSignal.timeout(60_000) });
 * ```
 */
export interface ResyncOptions extends CallOptions {
  /**
   * Destroy secondary kids the primary does not hold (default `true`: the secondary is the mirror's
   * own). `false` when the secondary also holds keys of its own.
   */
  readonly prune?: boolean;
}

/**
 * The events of {@link MirroredKeyProvider.on} and their payloads.
 *
 * @example
 * ```ts
 * const name: keyof MirrorEventMap = "failover";
 * ```
 */
export interface MirrorEventMap {
  mirrorFailed: MirrorFailedEvent;
  failover: FailoverEvent;
  resynced: ResyncReport;
}
