import { assertOptionalBoolean, readOptions } from "@keyprovider/base";
import { describeType, type RemoteJwksError } from "@keyprovider/core";
import type { RemoteKey } from "./key-set.js";
import { checkUrl, describeUrl } from "./url.js";
import { USER_AGENT } from "./version.js";

/**
 * A `fetch` the source can use instead of the global one (for a proxy, mTLS, or instrumentation).
 * It is called with a string URL and this exact init; the global `fetch` satisfies it.
 *
 * @example
 * ```ts
 * const viaProxy: FetchFunction = (url, init) => fetch(url, { ...init, dispatcher: proxyAgent });
 * ```
 */
export type FetchFunction = (url: string, init: FetchInit) => Promise<FetchResponse>;

/**
 * What a {@link FetchFunction} receives: a GET with manual redirects and the source's signal, which
 * aborts at `requestTimeoutMs` (body read included).
 *
 * @example
 * ```ts
 * const init: FetchInit = { method: "GET", headers: { accept: "application/json" }, redirect: "manual", signal };
 * ```
 */
export interface FetchInit {
  readonly method: "GET";
  readonly headers: Record<string, string>;
  readonly redirect: "manual";
  readonly signal: AbortSignal;
}

/**
 * The part of a Fetch API `Response` the source reads.
 *
 * @example
 * ```ts
 * const response: FetchResponse = await fetch(url);
 * ```
 */
export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: ReadableStream<Uint8Array> | null;
}

/**
 * A source of the current time in milliseconds since the epoch; every time decision of the source
 * (TTL, cooldown, backoff, stale window) reads it.
 *
 * @example
 * ```ts
 * let now = Date.now();
 * const clock: Clock = { now: () => now }; // a test advances `now` by hand
 * ```
 */
export interface Clock {
  now(): number;
}

/**
 * One entry of the warm-start {@link JwksCacheStore}: the kept public keys of the last good
 * response (never the raw body, which might have carried private members), with what is needed
 * for a conditional request.
 *
 * @example
 * ```ts
 * const entry: CachedJwks = JSON.parse(await redis.get("jwks:idp"));
 * ```
 */
export interface CachedJwks {
  /**
   * The configured `jwksUrl` (without its query, which may carry a credential) or `issuer`: an
   * entry written for another source is ignored. Sources that differ only in their query need
   * stores of their own.
   */
  readonly source: string;
  /** The URL the set was fetched from, without its query. */
  readonly url: string;
  /** A JSON JWK Set, validated on read exactly like a response body. */
  readonly body: string;
  /** When it was fetched or last revalidated (epoch ms, by the writer's clock). */
  readonly fetchedAt: number;
  /** How long it is fresh from `fetchedAt`. */
  readonly ttlMs: number;
  readonly etag?: string;
  readonly lastModified?: string;
}

/**
 * A store shared by processes (Redis, a file, a KV namespace) from which a new process starts
 * instead of fetching: the analogue of jose's `jwksCache`, but read through the same validation as
 * a response. Errors it throws are reported to `onError` and otherwise ignored.
 *
 * @example
 * ```ts
 * const store: JwksCacheStore = {
 *   async get() {
 *     const text = await redis.get("jwks:idp");
 *     return text === null ? undefined : JSON.parse(text);
 *   },
 *   async set(entry) {
 *     await redis.set("jwks:idp", JSON.stringify(entry));
 *   },
 * };
 * ```
 */
export interface JwksCacheStore {
  get(): Promise<CachedJwks | undefined>;
  set(entry: CachedJwks): Promise<void>;
}

/**
 * What changed between two fetched sets. A key is compared by its kept JWK, so a new key under an
 * old kid is in both lists.
 *
 * @example
 * ```ts
 * onChange: ({ added, removed }) => log.info({ added: added.map((k) => k.jwk.kid), removed: removed.length }),
 * ```
 */
export interface RemoteJwksChange {
  readonly added: readonly RemoteKey[];
  readonly removed: readonly RemoteKey[];
}

/**
 * A refresh failed and the last good set, past its TTL, stays in service until `staleUntil`.
 *
 * @example
 * ```ts
 * onStale: ({ error, staleUntil }) => log.warn(`${error.code}; serving stale keys until ${new Date(staleUntil).toISOString()}`),
 * ```
 */
export interface RemoteJwksStaleEvent {
  /** The JWK Set URL without its query (which may carry a credential). */
  readonly url: string | undefined;
  readonly error: RemoteJwksError;
  /** When the set stopped being fresh (epoch ms). */
  readonly expiredAt: number;
  /** When it stops being served (epoch ms). */
  readonly staleUntil: number;
}

/**
 * Where an error reported to `onError` happened: a fetch (always a `RemoteJwksError`), the
 * warm-start store, or one of the callbacks.
 *
 * @example
 * ```ts
 * onError: (error, { during }) => log.error({ during, error }),
 * ```
 */
export interface RemoteJwksErrorContext {
  readonly during: "fetch" | "cache.get" | "cache.set" | "callback";
}

/**
 * Options of {@link RemoteJwksSource}. Exactly one of `jwksUrl` and `issuer`; every other option
 * has a default. Durations are milliseconds.
 *
 * @example
 * ```ts
 * const options: RemoteJwksSourceOptions = {
 *   issuer: "https://login.example.com",
 *   cacheTtlMs: 600_000,
 *   onError: (error) => console.warn(error.message),
 * };
 * ```
 */
export interface RemoteJwksSourceOptions {
  /** The JWK Set URL. */
  readonly jwksUrl?: string | URL;
  /**
   * The issuer: its `jwks_uri` comes from `<issuer>/.well-known/openid-configuration`, or from RFC
   * 8414 `/.well-known/oauth-authorization-server` when that answers 4xx. The document's `issuer`
   * must equal this string exactly.
   */
  readonly issuer?: string;
  /** Allow `http:` URLs (configured, discovered, redirects). Default `false`: `https:` only. */
  readonly allowInsecureHttp?: boolean;
  /** Freshness of a set whose response has no `Cache-Control: max-age`. Default 300 000. */
  readonly cacheTtlMs?: number;
  /** Floor for `max-age` (also the TTL of `no-cache`/`no-store` responses). Default 30 000. */
  readonly minCacheTtlMs?: number;
  /** Ceiling for `max-age`. Default 86 400 000 (24 h). */
  readonly maxCacheTtlMs?: number;
  /** Refresh in the background this long before the TTL ends (at most half the TTL); 0 turns it off. Default 10 000. */
  readonly refreshAheadMs?: number;
  /** Deadline of one document fetch, redirects and body read included. Default 5 000. */
  readonly requestTimeoutMs?: number;
  /** Window of the kid-miss refetch limit: at most `1 + missRefetchBudget` kid-miss refetches per window. Default 30 000. */
  readonly cooldownMs?: number;
  /** Extra kid-miss refetches allowed in one `cooldownMs` window. Default 2. */
  readonly missRefetchBudget?: number;
  /** A kid-miss refetch starts only this long after the previous request of any kind. Default 5 000. */
  readonly missRefetchIntervalMs?: number;
  /** First wait after a failed fetch; it doubles with each further failure. Default 1 000. */
  readonly backoffInitialMs?: number;
  /** Longest wait between failed fetches. Default 60 000. */
  readonly backoffMaxMs?: number;
  /** Randomise each wait between half and all of it, so fleets do not retry in step. Default `true`. */
  readonly backoffJitter?: boolean;
  /** How long past its TTL the last good set is served while refreshes fail. Default 3 600 000 (1 h). */
  readonly staleWindowMs?: number;
  /** Largest response body, enforced while streaming (and by `Content-Length` first). Default 1 048 576. */
  readonly maxBodyBytes?: number;
  /** Most entries in `keys`; a larger set is refused whole (`ERR_REMOTE_JWKS_TOO_LARGE`). Default 1 000. */
  readonly maxKeys?: number;
  /** Follow redirects, each target passing the URL rule. Default `false`: a 3xx is an error. */
  readonly followRedirects?: boolean;
  /** Most redirects followed per document. Default 3. */
  readonly maxRedirects?: number;
  /** `User-Agent` header. Default `keyprovider-remote-jwks/<version>`. */
  readonly userAgent?: string;
  /** The Fetch API implementation. Default the global `fetch`. */
  readonly fetch?: FetchFunction;
  /** Time source of every time decision. Default `Date`. */
  readonly clock?: Clock;
  /** Warm-start store shared by processes. */
  readonly cache?: JwksCacheStore;
  /** Called after a fetch (or a warm start) changed the set. */
  readonly onChange?: (change: RemoteJwksChange) => void;
  /** Called when a refresh fails and the last good set, past its TTL, stays in service. */
  readonly onStale?: (event: RemoteJwksStaleEvent) => void;
  /** Called with every failed fetch, store error and callback exception. */
  readonly onError?: (error: unknown, context: RemoteJwksErrorContext) => void;
}

/** The validated options, with defaults applied. */
export interface Settings {
  readonly source: string;
  readonly jwksUrl: URL | undefined;
  readonly issuer: string | undefined;
  readonly issuerUrl: URL | undefined;
  readonly allowInsecureHttp: boolean;
  readonly cacheTtlMs: number;
  readonly minCacheTtlMs: number;
  readonly maxCacheTtlMs: number;
  readonly refreshAheadMs: number;
  readonly requestTimeoutMs: number;
  readonly cooldownMs: number;
  readonly missRefetchBudget: number;
  readonly missRefetchIntervalMs: number;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly backoffJitter: boolean;
  readonly staleWindowMs: number;
  readonly maxBodyBytes: number;
  readonly maxKeys: number;
  readonly followRedirects: boolean;
  readonly maxRedirects: number;
  readonly userAgent: string;
  readonly fetch: FetchFunction;
  readonly clock: Clock;
  readonly cache: JwksCacheStore | undefined;
  readonly onChange: ((change: RemoteJwksChange) => void) | undefined;
  readonly onStale: ((event: RemoteJwksStaleEvent) => void) | undefined;
  readonly onError: ((error: unknown, context: RemoteJwksErrorContext) => void) | undefined;
}

/** Longest delay `setTimeout` takes. */
const MAX_MS = 2_147_483_647;

const KNOWN: readonly (keyof RemoteJwksSourceOptions)[] = [
  "jwksUrl",
  "issuer",
  "allowInsecureHttp",
  "cacheTtlMs",
  "minCacheTtlMs",
  "maxCacheTtlMs",
  "refreshAheadMs",
  "requestTimeoutMs",
  "cooldownMs",
  "missRefetchBudget",
  "missRefetchIntervalMs",
  "backoffInitialMs",
  "backoffMaxMs",
  "backoffJitter",
  "staleWindowMs",
  "maxBodyBytes",
  "maxKeys",
  "followRedirects",
  "maxRedirects",
  "userAgent",
  "fetch",
  "clock",
  "cache",
  "onChange",
  "onStale",
  "onError",
];

const systemClock: Clock = { now: () => Date.now() };

/**
 * Validate the options once: a wrong type is a `TypeError`, a number out of range a `RangeError`,
 * and a configured URL that breaks the URL rule a `RemoteJwksError` (`ERR_REMOTE_JWKS_INSECURE_URL`).
 */
export function validateOptions(options: RemoteJwksSourceOptions): Settings {
  if (options === undefined)
    throw new TypeError("RemoteJwksSource needs options with a jwksUrl or an issuer");
  const read = readOptions(options, "RemoteJwksSource options", KNOWN);
  for (const name of ["allowInsecureHttp", "backoffJitter", "followRedirects"] as const) {
    assertOptionalBoolean(read[name], name);
  }
  const allowInsecureHttp = read.allowInsecureHttp ?? false;
  if ((read.jwksUrl === undefined) === (read.issuer === undefined)) {
    throw new TypeError("RemoteJwksSource options need exactly one of jwksUrl and issuer");
  }
  let jwksUrl: URL | undefined;
  let issuerUrl: URL | undefined;
  if (read.jwksUrl !== undefined) {
    jwksUrl = checkUrl(absoluteUrl(read.jwksUrl, "jwksUrl"), allowInsecureHttp, "jwksUrl");
  } else {
    if (typeof read.issuer !== "string") {
      throw new TypeError(`issuer must be a string, got ${describeType(read.issuer)}`);
    }
    issuerUrl = checkUrl(absoluteUrl(read.issuer, "issuer"), allowInsecureHttp, "issuer");
    if (issuerUrl.search !== "" || read.issuer.includes("#")) {
      throw new TypeError(
        "issuer must not have a query or a fragment (OpenID Connect Discovery §2, RFC 8414 §2)",
      );
    }
  }

  const minCacheTtlMs = integer(read.minCacheTtlMs, "minCacheTtlMs", 30_000, 1, MAX_MS);
  const maxCacheTtlMs = integer(read.maxCacheTtlMs, "maxCacheTtlMs", 86_400_000, minCacheTtlMs, MAX_MS);
  const backoffInitialMs = integer(read.backoffInitialMs, "backoffInitialMs", 1_000, 1, MAX_MS);
  const userAgent = read.userAgent ?? USER_AGENT;
  if (typeof userAgent !== "string" || !/^[\x20-\x7e]{1,256}$/.test(userAgent)) {
    throw new TypeError("userAgent must be 1-256 printable ASCII characters");
  }
  return Object.freeze({
    // Written to the warm-start store, so without the URL's query (which may carry a credential).
    source: jwksUrl === undefined ? read.issuer! : describeUrl(jwksUrl),
    jwksUrl,
    issuer: read.issuer,
    issuerUrl,
    allowInsecureHttp,
    cacheTtlMs: integer(read.cacheTtlMs, "cacheTtlMs", 300_000, 1, MAX_MS),
    minCacheTtlMs,
    maxCacheTtlMs,
    refreshAheadMs: integer(read.refreshAheadMs, "refreshAheadMs", 10_000, 0, MAX_MS),
    requestTimeoutMs: integer(read.requestTimeoutMs, "requestTimeoutMs", 5_000, 1, MAX_MS),
    cooldownMs: integer(read.cooldownMs, "cooldownMs", 30_000, 0, MAX_MS),
    missRefetchBudget: integer(read.missRefetchBudget, "missRefetchBudget", 2, 0, 100),
    missRefetchIntervalMs: integer(read.missRefetchIntervalMs, "missRefetchIntervalMs", 5_000, 0, MAX_MS),
    backoffInitialMs,
    backoffMaxMs: integer(
      read.backoffMaxMs,
      "backoffMaxMs",
      Math.max(60_000, backoffInitialMs),
      backoffInitialMs,
      MAX_MS,
    ),
    backoffJitter: read.backoffJitter ?? true,
    staleWindowMs: integer(read.staleWindowMs, "staleWindowMs", 3_600_000, 0, MAX_MS),
    maxBodyBytes: integer(read.maxBodyBytes, "maxBodyBytes", 1_048_576, 1, MAX_MS),
    maxKeys: integer(read.maxKeys, "maxKeys", 1_000, 1, 1_000_000),
    followRedirects: read.followRedirects ?? false,
    maxRedirects: integer(read.maxRedirects, "maxRedirects", 3, 1, 20),
    userAgent,
    fetch: optionalFunction(read.fetch, "fetch") ?? defaultFetch,
    clock: clockOption(read.clock),
    cache: cacheOption(read.cache),
    onChange: optionalFunction(read.onChange, "onChange"),
    onStale: optionalFunction(read.onStale, "onStale"),
    onError: optionalFunction(read.onError, "onError"),
  });
}

/** The global fetch, looked up at call time so a test or an APM agent that patches it is honoured. */
const defaultFetch: FetchFunction = (url, init) => fetch(url, init);

function absoluteUrl(value: unknown, name: string): URL {
  if (value instanceof URL) return new URL(value.href);
  if (typeof value !== "string")
    throw new TypeError(`${name} must be a string or a URL, got ${describeType(value)}`);
  try {
    return new URL(value);
  } catch {
    throw new TypeError(`${name} must be an absolute URL`);
  }
}

function integer(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${name} must be an integer, got ${describeType(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

function optionalFunction<F>(value: F | undefined, name: string): F | undefined {
  if (value !== undefined && typeof value !== "function") {
    throw new TypeError(`${name} must be a function, got ${describeType(value)}`);
  }
  return value;
}

function clockOption(value: unknown): Clock {
  if (value === undefined) return systemClock;
  if (typeof value !== "object" || value === null || typeof (value as Clock).now !== "function") {
    throw new TypeError(`clock must be an object with a now() method, got ${describeType(value)}`);
  }
  return value as Clock;
}

function cacheOption(value: unknown): JwksCacheStore | undefined {
  if (value === undefined) return undefined;
  const store = value as JwksCacheStore;
  if (
    typeof value !== "object" ||
    value === null ||
    typeof store.get !== "function" ||
    typeof store.set !== "function"
  ) {
    throw new TypeError(`cache must be an object with get() and set() methods, got ${describeType(value)}`);
  }
  return store;
}
