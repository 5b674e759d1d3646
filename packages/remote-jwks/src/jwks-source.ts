import { Buffer } from "node:buffer";
import {
  ALGORITHMS,
  assertOptionalBoolean,
  assertOptionalString,
  assertOptionalVersion,
  readOptions,
} from "@keyprovider/base";
import {
  KeyNotFoundError,
  RemoteJwksError,
  describeType,
  quoteForMessage,
  type RemoteJwksErrorCode,
} from "@keyprovider/core";
import { assertOptionalSignal, awaitWithSignal } from "./abort.js";
import { requestedAlgorithm } from "./algorithms.js";
import { freshness } from "./cache-control.js";
import { discoverJwksUri, type DiscoveryKind } from "./discovery.js";
import { fetchDocument } from "./http.js";
import { isPlainObject } from "./json.js";
import {
  diffKeySets,
  parseKeySet,
  MAX_KID_LENGTH,
  selectKey,
  type KeyPurpose,
  type KeyQuery,
  type KeySet,
  type RemoteKey,
  type SkippedKeys,
} from "./key-set.js";
import { validateOptions, type CachedJwks, type RemoteJwksSourceOptions, type Settings } from "./options.js";
import { describeUrl } from "./url.js";

/**
 * Which key a lookup wants. `kid` is the bare kid and `version` its version (omitted: the highest
 * version the set has for that kid). A token's kid names one exact JWK, so read it with core's
 * `parseVersionedKid` and default the version to 1: `"k1.2"` is kid `"k1"` version 2, and `"k1"` is
 * version 1 of a set without versions. Without a `kid` the lookup selects among the JWKs that have
 * none. `alg`, the token's JOSE `alg` (or a `KeyAlg`), keeps only keys that serve it. `purpose`
 * says what the key is for: `"verify"` (the default, or what a signature `alg` implies),
 * `"encrypt"` (what an encryption `alg` implies), or `"any"`.
 *
 * @example
 * ```ts
 * const { kid, version = 1 } = parseVersionedKid(header.kid);
 * const selector: RemoteKeySelector = { kid, version, alg: header.alg };
 * ```
 */
export interface RemoteKeySelector {
  readonly kid?: string | undefined;
  readonly version?: number | undefined;
  readonly alg?: string | undefined;
  readonly purpose?: KeyPurpose | undefined;
}

/**
 * Options of a lookup. Aborting `signal` rejects this caller with `signal.reason`; a fetch it is
 * waiting for goes on for the other callers.
 *
 * @example
 * ```ts
 * await source.getKey({ kid }, { signal: AbortSignal.timeout(1_000) });
 * ```
 */
export interface LookupOptions {
  readonly signal?: AbortSignal;
}

/**
 * Options of {@link RemoteJwksSource.refresh}.
 *
 * @example
 * ```ts
 * await source.refresh({ force: true }); // fetch now, even if the set is fresh
 * ```
 */
export interface RefreshOptions {
  /** Fetch even if the held set is fresh, and even while backing off. */
  readonly force?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * A snapshot of a source for health checks and metrics. Times are epoch milliseconds by the
 * source's clock.
 *
 * @example
 * ```ts
 * const { state, keyCount, lastError } = source.status();
 * if (state !== "fresh") log.warn({ state, keyCount, lastError });
 * ```
 */
export interface RemoteJwksStatus {
  /**
   * The JWK Set URL (for an issuer: once discovered): scheme, host and path only, since a query may
   * carry a credential.
   */
  readonly url: string | undefined;
  readonly issuer: string | undefined;
  /** `fresh` within the TTL, `stale` past it but inside the stale window, `empty` when nothing can be served. */
  readonly state: "fresh" | "stale" | "empty";
  /** Keys held (verification and other keys), even when too old to serve. */
  readonly keyCount: number;
  /** JWKs of the held set that were left out, by reason. */
  readonly skipped: SkippedKeys;
  readonly etag: string | undefined;
  readonly lastModified: string | undefined;
  /** When the last fetch started, whatever its outcome. */
  readonly lastFetchAt: number | undefined;
  /** When a fetch last succeeded (a 200 or a 304), or when the warm-start entry was fetched. */
  readonly lastSuccessAt: number | undefined;
  readonly expiresAt: number | undefined;
  readonly staleUntil: number | undefined;
  /** The most recent fetch failure, even if a later fetch succeeded (see `consecutiveFailures`). */
  readonly lastError:
    { readonly code: RemoteJwksErrorCode; readonly message: string; readonly status?: number } | undefined;
  readonly consecutiveFailures: number;
  /** While backing off: the earliest time of the next fetch. */
  readonly nextAttemptAt: number | undefined;
  /** HTTP requests made: discovery, redirect hops and JWK Set fetches. */
  readonly requests: number;
  readonly inFlight: boolean;
}

type Outcome =
  { readonly ok: true; readonly fetched: boolean } | { readonly ok: false; readonly error: RemoteJwksError };

const NOTHING_SKIPPED: SkippedKeys = Object.freeze({ private: 0, symmetric: 0, unsupported: 0, invalid: 0 });
const MAX_TIMER_MS = 2_147_483_647;
/** A timer whose clock says "not yet" waits at least this long before looking again. */
const MIN_RECHECK_MS = 1_000;
const HEADER_VALUE = /^[\x20-\x7e]{1,1024}$/;

/**
 * The HTTP engine behind a remote JWK Set: it fetches, validates, caches and serves one set, and
 * stays correct under load, key rotation and outages.
 *
 * - One request at a time, shared by every caller (single-flight).
 * - Fresh for `Cache-Control: max-age` (clamped to [30 s, 24 h]) or `cacheTtlMs`; revalidated with
 *   `If-None-Match`/`If-Modified-Since`, refreshed in the background shortly before it expires.
 * - A kid it does not hold triggers at most `1 + missRefetchBudget` refetches per `cooldownMs`,
 *   each at least `missRefetchIntervalMs` after the previous request.
 * - Failed fetches back off (doubling, capped, jittered) and the last good set is served for
 *   `staleWindowMs` past its TTL; then lookups fail with the last `RemoteJwksError`.
 * - Bodies and key counts are capped; private, symmetric, unknown and unparsable keys never enter.
 *
 * Construction validates the options and does no I/O.
 *
 * @example
 * ```ts
 * import { parseVersionedKid } from "@keyprovider/core";
 * import { RemoteJwksSource } from "@keyprovider/remote-jwks";
 *
 * const source = new RemoteJwksSource({ issuer: "https://login.example.com" });
 * const { kid, version = 1 } = parseVersionedKid(header.kid);
 * const key = await source.getKey({ kid, version, alg: header.alg });
 * // key.publicKey is a node:crypto KeyObject; key.jwk the public JWK as published.
 * ```
 */
export class RemoteJwksSource {
  readonly #settings: Settings;
  #jwksUrl: URL | undefined;
  #discovery: DiscoveryKind = "openid-configuration";
  #set: KeySet | undefined;
  /**
   * The URL the held set came from, as {@link describeUrl} shows it (without the query, which may
   * carry a credential): its validators are sent only to that URL.
   */
  #setUrl: string | undefined;
  #etag: string | undefined;
  #lastModified: string | undefined;
  #expiresAt = Number.NEGATIVE_INFINITY;
  #refreshAt = Number.POSITIVE_INFINITY;
  #inflight: Promise<Outcome> | undefined;
  #warmStarted = false;
  #failures = 0;
  #nextAttemptAt: number | undefined;
  #lastError: RemoteJwksError | undefined;
  #lastFetchAt: number | undefined;
  #lastSuccessAt: number | undefined;
  #requests = 0;
  /** Start times of the kid-miss refetches inside the current cooldown window. */
  #missRefetches: number[] = [];
  /** Whether anyone looked a key up since the last fetch; an idle source is not refreshed ahead. */
  #usedSinceFetch = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * @param options `{ jwksUrl }` or `{ issuer }` plus optional settings; see
   * {@link RemoteJwksSourceOptions}. Throws `TypeError`/`RangeError` for bad options and
   * `RemoteJwksError` (`ERR_REMOTE_JWKS_INSECURE_URL`) for a URL that is not `https:`.
   */
  constructor(options: RemoteJwksSourceOptions) {
    this.#settings = validateOptions(options);
    this.#jwksUrl = this.#settings.jwksUrl;
  }

  /**
   * The key a selector names (a verification key unless `purpose` or `alg` say otherwise), fetching
   * the set if none can be served. A kid or version the set lacks may trigger one budgeted refetch
   * (shared by concurrent callers); if the key is still missing the result is `KeyNotFoundError`,
   * never another version. An `alg` no public key serves (`"none"`, `"HS256"`, an unknown name) is
   * `KeyNotFoundError` at once, without a refetch. Keys with `use: "enc"` or `key_ops` without
   * `"verify"` never verify. Two different keys that both match after
   * the `alg` filter are `ERR_REMOTE_JWKS_AMBIGUOUS_KID`; a set that cannot be fetched or served is
   * the `RemoteJwksError` of the last failure.
   *
   * @example
   * ```ts
   * const key = await source.getKey({ kid: "k1", version: 2, alg: "ES256" });
   * ```
   */
  async getKey(selector: RemoteKeySelector, options?: LookupOptions): Promise<RemoteKey> {
    const query = readSelector(selector);
    const signal = readSignal(options, "getKey options");
    if (query === undefined) throw new KeyNotFoundError(selector.kid ?? "", selector.version);
    // A fresh set is served without waiting on anything (the common, warm case).
    let set = this.#fresh() ?? (await this.#servable(signal));
    let cause: RemoteJwksError | undefined;
    for (let round = 0; ; round += 1) {
      const result = selectKey(set, query);
      if ("found" in result) return result.found;
      if ("ambiguous" in result) throw this.#ambiguous(query, result.ambiguous);
      if (round > 0) break;
      const pending = this.#inflight ?? (this.#mayRefetchForMiss() ? this.#start("miss") : undefined);
      if (pending === undefined) break;
      const outcome = await awaitWithSignal(pending, signal);
      if (!outcome.ok) cause = outcome.error;
      set = this.#set ?? set;
    }
    throw new KeyNotFoundError(query.kid ?? "", query.version, cause === undefined ? undefined : { cause });
  }

  /**
   * Every key of the set that can be served now (verification keys and others), fetching it if
   * needed.
   *
   * @example
   * ```ts
   * const kids = (await source.keys()).map((key) => key.jwk.kid);
   * ```
   */
  async keys(options?: LookupOptions): Promise<readonly RemoteKey[]> {
    const signal = readSignal(options, "keys options");
    return (await this.#servable(signal)).keys;
  }

  /**
   * Make sure the set is fresh: no request while it is, one (shared) request when it is not.
   * `force: true` fetches now (conditionally) even if it is fresh or the source is backing off.
   * Rejects with the `RemoteJwksError` of a failed fetch; the last good set stays in service.
   *
   * @example
   * ```ts
   * await source.refresh({ force: true }); // after the identity provider announced a rotation
   * ```
   */
  async refresh(options?: RefreshOptions): Promise<void> {
    const { force = false, signal } = readOptions(options, "refresh options", ["force", "signal"]);
    assertOptionalBoolean(force, "force");
    assertOptionalSignal(signal);
    signal?.throwIfAborted();
    const now = this.#now();
    if (!force) {
      if (this.#set !== undefined && now < this.#expiresAt) return;
      if (this.#inflight === undefined && this.#backingOff(now)) throw this.#lastError!;
    }
    let outcome = await awaitWithSignal(this.#start(force ? "forced" : "expired"), signal);
    // A joined job may have been a warm start that made no request.
    if (force && outcome.ok && !outcome.fetched)
      outcome = await awaitWithSignal(this.#start("forced"), signal);
    if (!outcome.ok) throw outcome.error;
  }

  /**
   * A snapshot of the source's state.
   *
   * @example
   * ```ts
   * app.get("/health", (_req, res) => res.json(source.status()));
   * ```
   */
  status(): RemoteJwksStatus {
    const now = this.#now();
    const set = this.#set;
    const servable = set !== undefined && this.#withinStaleWindow(now);
    const error = this.#lastError;
    return Object.freeze({
      url: this.#shownUrl(),
      issuer: this.#settings.issuer,
      state: !servable ? "empty" : now < this.#expiresAt ? "fresh" : "stale",
      keyCount: set?.keys.length ?? 0,
      skipped: set?.skipped ?? NOTHING_SKIPPED,
      etag: this.#etag,
      lastModified: this.#lastModified,
      lastFetchAt: this.#lastFetchAt,
      lastSuccessAt: this.#lastSuccessAt,
      expiresAt: set === undefined ? undefined : this.#expiresAt,
      staleUntil: set === undefined ? undefined : this.#expiresAt + this.#settings.staleWindowMs,
      lastError:
        error === undefined
          ? undefined
          : Object.freeze({
              code: error.code,
              message: error.message,
              ...(error.status === undefined ? {} : { status: error.status }),
            }),
      consecutiveFailures: this.#failures,
      nextAttemptAt: this.#nextAttemptAt,
      requests: this.#requests,
      inFlight: this.#inflight !== undefined,
    } satisfies RemoteJwksStatus);
  }

  /**
   * Stop the refresh-ahead timer. The source still answers lookups (fetching on demand), but never
   * schedules background work again. Timers are `unref`'d anyway, so an open source never keeps a
   * process alive.
   *
   * @example
   * ```ts
   * process.on("SIGTERM", () => source.close());
   * ```
   */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** A set that may be served now; marks the source as in use (for the refresh-ahead timer). */
  async #servable(signal: AbortSignal | undefined): Promise<KeySet> {
    const set = await this.#servableSet(signal);
    this.#usedSinceFetch = true;
    return set;
  }

  /** The held set if it is fresh (starting a refresh ahead when it is due), marked as used. */
  #fresh(): KeySet | undefined {
    const set = this.#set;
    if (set === undefined) return undefined;
    const now = this.#now();
    if (now >= this.#expiresAt) return undefined;
    if (now >= this.#refreshAt) this.#background("ahead", now);
    this.#usedSinceFetch = true;
    return set;
  }

  /** The held set if fresh, or stale during an outage; else the outcome of a (shared) fetch. */
  async #servableSet(signal: AbortSignal | undefined): Promise<KeySet> {
    const now = this.#now();
    const set = this.#set;
    if (set !== undefined && now < this.#expiresAt) {
      if (now >= this.#refreshAt) this.#background("ahead", now);
      return set;
    }
    // During an outage callers get the stale set at once; retries run in the background.
    if (set !== undefined && this.#failures > 0 && this.#withinStaleWindow(now)) {
      this.#background("expired", now);
      return set;
    }
    let pending = this.#inflight;
    if (pending === undefined) {
      if (this.#backingOff(now)) throw this.#lastError!;
      pending = this.#start(set === undefined ? "initial" : "expired");
    }
    const outcome = await awaitWithSignal(pending, signal);
    const held = this.#set;
    if (held !== undefined && this.#withinStaleWindow(this.#now())) return held;
    throw outcome.ok ? (this.#lastError ?? this.#nothingToServe()) : outcome.error;
  }

  #background(reason: "ahead" | "expired", now: number): void {
    if (this.#inflight === undefined && !this.#backingOff(now)) void this.#start(reason);
  }

  /**
   * The kid-miss limit: no refetch while backing off or within `missRefetchIntervalMs` of the last
   * request; at most `1 + missRefetchBudget` in any `cooldownMs`. Records the refetch it allows.
   */
  #mayRefetchForMiss(): boolean {
    const now = this.#now();
    const { cooldownMs, missRefetchBudget, missRefetchIntervalMs } = this.#settings;
    if (this.#backingOff(now)) return false;
    if (this.#lastFetchAt !== undefined && now - this.#lastFetchAt < missRefetchIntervalMs) return false;
    this.#missRefetches = this.#missRefetches.filter((at) => now - at < cooldownMs);
    if (this.#missRefetches.length > missRefetchBudget) return false;
    this.#missRefetches.push(now);
    return true;
  }

  /** Join the fetch in flight, or start one. */
  #start(reason: "initial" | "expired" | "ahead" | "miss" | "forced"): Promise<Outcome> {
    if (this.#inflight !== undefined) return this.#inflight;
    const job: Promise<Outcome> = this.#run(reason).finally(() => {
      if (this.#inflight === job) this.#inflight = undefined;
    });
    this.#inflight = job;
    return job;
  }

  /** One fetch (after the warm start, the first time). Never rejects. */
  async #run(reason: "initial" | "expired" | "ahead" | "miss" | "forced"): Promise<Outcome> {
    if (!this.#warmStarted) {
      this.#warmStarted = true;
      await this.#warmStart();
      if (reason !== "forced" && this.#set !== undefined && this.#now() < this.#expiresAt) {
        return { ok: true, fetched: false };
      }
    }
    const settings = this.#settings;
    this.#lastFetchAt = this.#now();
    this.#usedSinceFetch = false;
    let url: URL | undefined;
    try {
      url = await this.#currentJwksUrl();
      const held = this.#set !== undefined && this.#setUrl === describeUrl(url);
      const document = await fetchDocument(url, settings, {
        what: "JWK Set",
        accept: "application/jwk-set+json, application/json;q=0.9",
        etag: held ? this.#etag : undefined,
        lastModified: held ? this.#lastModified : undefined,
        onRequest: () => {
          this.#requests += 1;
        },
      });
      const now = this.#now();
      const { ttlMs, storable } = freshness(document.headers, settings);
      let change: ReturnType<typeof diffKeySets> | undefined;
      if (document.status === 304) {
        this.#etag = document.headers.get("etag") ?? this.#etag;
        this.#lastModified = document.headers.get("last-modified") ?? this.#lastModified;
      } else {
        const set = parseKeySet(document.body, settings, document.url);
        change = diffKeySets(this.#set, set);
        this.#set = set;
        this.#setUrl = describeUrl(url);
        this.#etag = document.headers.get("etag") ?? undefined;
        this.#lastModified = document.headers.get("last-modified") ?? undefined;
      }
      this.#failures = 0;
      this.#nextAttemptAt = undefined;
      this.#lastSuccessAt = now;
      this.#setFreshness(now, ttlMs);
      if (change !== undefined && (change.added.length > 0 || change.removed.length > 0)) {
        this.#notify(settings.onChange, change);
      }
      if (storable) this.#store(now, ttlMs);
      return { ok: true, fetched: true };
    } catch (error) {
      return { ok: false, error: this.#failed(error, url) };
    }
  }

  /** Record a failed fetch: back off, report it, and tell onStale when the expired set stays in service. */
  #failed(error: unknown, url: URL | undefined): RemoteJwksError {
    const settings = this.#settings;
    const failure = RemoteJwksError.isInstance(error)
      ? error
      : new RemoteJwksError("ERR_REMOTE_JWKS_NETWORK", "Fetching the JWK Set failed", {
          cause: error,
          ...(url === undefined ? {} : { url: describeUrl(url) }),
        });
    // A discovered jwks_uri that answers with an HTTP error may have moved: discover again next time.
    if (settings.issuer !== undefined && failure.code === "ERR_REMOTE_JWKS_HTTP_STATUS")
      this.#jwksUrl = undefined;
    const now = this.#now();
    this.#failures += 1;
    this.#lastError = failure;
    this.#nextAttemptAt = now + this.#backoffMs();
    this.#notify(settings.onError, failure, { during: "fetch" });
    if (this.#set !== undefined && now >= this.#expiresAt && this.#withinStaleWindow(now)) {
      this.#notify(settings.onStale, {
        url: this.#shownUrl(),
        error: failure,
        expiredAt: this.#expiresAt,
        staleUntil: this.#expiresAt + settings.staleWindowMs,
      });
    }
    return failure;
  }

  async #currentJwksUrl(): Promise<URL> {
    if (this.#jwksUrl !== undefined) return this.#jwksUrl;
    const settings = this.#settings;
    const { jwksUri, kind } = await discoverJwksUri(
      settings.issuer!,
      settings.issuerUrl!,
      settings.allowInsecureHttp,
      this.#discovery,
      (url) =>
        fetchDocument(url, settings, {
          what: "discovery document",
          accept: "application/json",
          onRequest: () => {
            this.#requests += 1;
          },
        }),
    );
    this.#discovery = kind;
    this.#jwksUrl = jwksUri;
    return jwksUri;
  }

  /**
   * Load the warm-start entry, validated like a response. A bad or foreign entry, or a store that
   * does not answer within `requestTimeoutMs`, is reported and ignored.
   */
  async #warmStart(): Promise<void> {
    const store = this.#settings.cache;
    if (store === undefined) return;
    try {
      const entry = await withDeadline(store.get(), this.#settings.requestTimeoutMs);
      if (entry === undefined) return;
      const { set, url, fetchedAt, ttlMs, etag, lastModified } = this.#readCacheEntry(entry);
      this.#set = set;
      this.#setUrl = describeUrl(url);
      this.#etag = etag;
      this.#lastModified = lastModified;
      this.#lastSuccessAt = fetchedAt;
      this.#setFreshness(fetchedAt, ttlMs);
      if (set.keys.length > 0) this.#notify(this.#settings.onChange, diffKeySets(undefined, set));
    } catch (error) {
      this.#notify(this.#settings.onError, error, { during: "cache.get" });
    }
  }

  #readCacheEntry(entry: unknown): {
    set: KeySet;
    url: string;
    fetchedAt: number;
    ttlMs: number;
    etag: string | undefined;
    lastModified: string | undefined;
  } {
    const settings = this.#settings;
    const rejected = (problem: string) =>
      new RemoteJwksError("ERR_REMOTE_JWKS_INVALID", `The warm-start cache entry ${problem}; it is ignored`);
    if (!isPlainObject(entry)) throw rejected("is not an object");
    const { source, url, body, fetchedAt, ttlMs, etag, lastModified } = entry as Partial<
      Record<keyof CachedJwks, unknown>
    >;
    if (source !== settings.source) throw rejected(`was written for another source`);
    if (
      typeof url !== "string" ||
      typeof body !== "string" ||
      typeof fetchedAt !== "number" ||
      !Number.isFinite(fetchedAt) ||
      typeof ttlMs !== "number" ||
      !Number.isFinite(ttlMs) ||
      ttlMs <= 0
    ) {
      throw rejected("is malformed");
    }
    if (Buffer.byteLength(body) > settings.maxBodyBytes) {
      throw new RemoteJwksError(
        "ERR_REMOTE_JWKS_TOO_LARGE",
        `The warm-start cache entry is larger than maxBodyBytes (${settings.maxBodyBytes}); it is ignored`,
        { url: describeUrl(url) },
      );
    }
    return {
      set: parseKeySet(body, settings, url),
      url,
      // A writer's clock ahead of ours, or a forged entry, cannot make a set fresh for longer.
      fetchedAt: Math.min(fetchedAt, this.#now()),
      ttlMs: Math.min(ttlMs, Math.max(settings.cacheTtlMs, settings.maxCacheTtlMs)),
      etag: typeof etag === "string" && HEADER_VALUE.test(etag) ? etag : undefined,
      lastModified:
        typeof lastModified === "string" && HEADER_VALUE.test(lastModified) ? lastModified : undefined,
    };
  }

  /** Write the held set to the warm-start store in the background; failures go to `onError`. */
  #store(fetchedAt: number, ttlMs: number): void {
    const store = this.#settings.cache;
    const set = this.#set;
    if (store === undefined || set === undefined || this.#setUrl === undefined) return;
    const entry: CachedJwks = {
      source: this.#settings.source,
      url: this.#setUrl,
      body: set.sanitizedBody,
      fetchedAt,
      ttlMs,
      ...(this.#etag === undefined ? {} : { etag: this.#etag }),
      ...(this.#lastModified === undefined ? {} : { lastModified: this.#lastModified }),
    };
    const report = (error: unknown) => this.#notify(this.#settings.onError, error, { during: "cache.set" });
    try {
      store.set(entry).catch(report);
    } catch (error) {
      report(error);
    }
  }

  #setFreshness(fetchedAt: number, ttlMs: number): void {
    const { refreshAheadMs } = this.#settings;
    this.#expiresAt = fetchedAt + ttlMs;
    this.#refreshAt =
      refreshAheadMs === 0 ? Number.POSITIVE_INFINITY : this.#expiresAt - Math.min(refreshAheadMs, ttlMs / 2);
    this.#schedule(0);
  }

  /** Arm the refresh-ahead timer (unref'd: it never keeps the process alive). */
  #schedule(minDelayMs: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#closed || !Number.isFinite(this.#refreshAt)) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(minDelayMs, this.#refreshAt - this.#now()));
    this.#timer = setTimeout(() => this.#onTimer(), delay);
    this.#timer.unref();
  }

  #onTimer(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    const now = this.#now();
    if (now < this.#refreshAt) this.#schedule(MIN_RECHECK_MS);
    // A timer that fires late (a busy event loop, a suspended process) still refreshes a source in use.
    else if (this.#usedSinceFetch) this.#background("ahead", now);
  }

  #backoffMs(): number {
    const { backoffInitialMs, backoffMaxMs, backoffJitter } = this.#settings;
    const full = Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(this.#failures - 1, 40));
    return backoffJitter ? Math.round(full / 2 + (Math.random() * full) / 2) : full;
  }

  #backingOff(now: number): boolean {
    return this.#nextAttemptAt !== undefined && now < this.#nextAttemptAt;
  }

  #withinStaleWindow(now: number): boolean {
    return now < this.#expiresAt + this.#settings.staleWindowMs;
  }

  #now(): number {
    return this.#settings.clock.now();
  }

  /** The JWK Set URL for `status()`, events and errors: without its query (which may carry a credential). */
  #shownUrl(): string | undefined {
    return this.#jwksUrl === undefined ? this.#setUrl : describeUrl(this.#jwksUrl);
  }

  #ambiguous(query: KeyQuery, count: number): RemoteJwksError {
    const url = this.#setUrl ?? this.#shownUrl();
    const kid = query.kid === undefined ? "no kid" : `kid ${quoteForMessage(query.kid)}`;
    const version = query.version === undefined ? "" : ` version ${query.version}`;
    const alg =
      query.alg === undefined
        ? "; pass the token's alg to tell them apart"
        : ` and alg ${ALGORITHMS[query.alg].jose}`;
    return new RemoteJwksError(
      "ERR_REMOTE_JWKS_AMBIGUOUS_KID",
      `${count} different keys of the JWK Set${url === undefined ? "" : ` at ${url}`} match ${kid}${version}${alg}`,
      url === undefined ? undefined : { url },
    );
  }

  #nothingToServe(): RemoteJwksError {
    return new RemoteJwksError("ERR_REMOTE_JWKS_NETWORK", "No JWK Set could be fetched", {
      ...(this.#jwksUrl === undefined ? {} : { url: describeUrl(this.#jwksUrl) }),
    });
  }

  /** Call a user callback; what it throws goes to `onError` (and what `onError` throws is dropped). */
  #notify<A extends unknown[]>(callback: ((...args: A) => void) | undefined, ...args: A): void {
    if (callback === undefined) return;
    try {
      callback(...args);
    } catch (error) {
      const onError = this.#settings.onError;
      if ((callback as unknown) !== onError) this.#notify(onError, error, { during: "callback" });
    }
  }
}

/**
 * Check a selector (`TypeError` for wrong types) and normalise it; `undefined` when its `alg` is one
 * no public key serves, which is a miss without any request.
 */
function readSelector(selector: RemoteKeySelector): KeyQuery | undefined {
  if (typeof selector !== "object" || selector === null) {
    throw new TypeError("getKey needs a selector object such as { kid, version, alg }");
  }
  const { kid, version, alg, purpose } = readOptions(selector, "key selector", [
    "kid",
    "version",
    "alg",
    "purpose",
  ]);
  // Remote kids are free-form: they are only ever compared, never put in a path or an API call.
  if (kid !== undefined && (typeof kid !== "string" || kid.length === 0)) {
    throw new TypeError(`kid must be a non-empty string, got ${describeType(kid)}`);
  }
  assertOptionalVersion(version);
  assertOptionalString(alg, "alg");
  if (purpose !== undefined && purpose !== "verify" && purpose !== "encrypt" && purpose !== "any") {
    throw new TypeError('purpose must be "verify", "encrypt" or "any"');
  }
  if (kid === undefined && version !== undefined) {
    throw new TypeError("A key selector with a version needs a kid");
  }
  if (kid !== undefined && kid.length > MAX_KID_LENGTH) return undefined;
  const keyAlg = alg === undefined ? undefined : requestedAlgorithm(alg);
  if (alg !== undefined && keyAlg === undefined) return undefined;
  const implied =
    keyAlg === undefined ? "verify" : ALGORITHMS[keyAlg].signature === undefined ? "encrypt" : "verify";
  return { kid, version, alg: keyAlg, purpose: purpose ?? implied };
}

function readSignal(options: LookupOptions | undefined, name: string): AbortSignal | undefined {
  const { signal } = readOptions(options, name, ["signal"]);
  assertOptionalSignal(signal);
  signal?.throwIfAborted();
  return signal;
}

/** A store call that must not hold up the first fetch for longer than a request may take. */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`The warm-start cache did not answer within ${ms} ms; it is ignored`)),
      ms,
    );
    timer.unref();
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
