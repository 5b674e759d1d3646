import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { describeType, type Jwks, type KeyProvider } from "@keyprovider/core";
import {
  assertOptionalBoolean,
  assertOptionalString,
  hasPrivateMembers,
  readOptions,
} from "@keyprovider/base";

/**
 * Options of {@link createJwksHandler}.
 *
 * @example
 * ```ts
 * const options: JwksHandlerOptions = { maxAgeSeconds: 120, onError: (err) => log.warn(err) };
 * ```
 */
export interface JwksHandlerOptions {
  /**
   * Publish every live version of each key (default `true`, DESIGN §7.9): tokens signed before a
   * rotation keep verifying until their version is destroyed. `false` publishes each kid's primary
   * and staged versions only.
   */
  readonly allVersions?: boolean;
  /** Only keys whose bare kid starts with this string. */
  readonly prefixKids?: string;
  /** `Cache-Control: public, max-age=…` in seconds, 0..86400. Default 300. */
  readonly maxAgeSeconds?: number;
  /** `Retry-After` of a 503, in seconds. Default 30. */
  readonly retryAfterSeconds?: number;
  /**
   * How long one computed set answers requests, in milliseconds (0..60 000), so a storm of requests
   * makes one `provider.jwks()` call. Concurrent requests always share one call. Default 1 000.
   */
  readonly reuseMs?: number;
  /** How long to wait for the provider, in milliseconds. Default 5 000. */
  readonly timeoutMs?: number;
  /** `Access-Control-Allow-Origin`; public keys are readable by any origin by default (`"*"`). `null` omits it. */
  readonly allowOrigin?: string | null;
  /** Told of every provider failure behind a 503 (for logs and metrics). */
  readonly onError?: (error: unknown) => void;
  /** The clock, in milliseconds; for tests. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * A Fetch-API request handler, as Hono, Bun, Deno and Workers take them.
 *
 * @example
 * ```ts
 * const handler: JwksHandler = createJwksHandler(provider);
 * const response = await handler(new Request("http://localhost/.well-known/jwks.json"));
 * ```
 */
export type JwksHandler = (request: Request) => Promise<Response>;

interface Rendered {
  readonly body: string;
  readonly etag: string;
  readonly at: number;
}

const MEDIA_TYPE = "application/jwk-set+json";

function assertRange(value: unknown, name: string, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`${name} must be a number, got ${describeType(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

/**
 * Serve a provider's JWK Set: `GET` and `HEAD` answer `provider.jwks()` as
 * `application/jwk-set+json` with a strong `ETag` (SHA-256 of the body), `304 Not Modified` for a
 * matching `If-None-Match`, and `Cache-Control: public, max-age=300` (configurable). Other methods
 * get `405` with `Allow: GET, HEAD`. When the provider fails or times out the answer is `503` with
 * `Retry-After` and `Cache-Control: no-store` — never an empty set a verifier would cache. A key with
 * a private member is never published: the handler refuses the whole set (503) instead.
 *
 * The handler does not route: mount it at `/.well-known/jwks.json` (or wherever your issuer's
 * discovery document points). Anything with a provider's `jwks(options)` method works, so a set
 * merged from several providers (`mergeJwks` from `@keyprovider/base`) can be published too.
 *
 * @example
 * ```ts
 * import { createJwksHandler } from "@keyprovider/jwks-http";
 * import { Hono } from "hono";
 *
 * const jwks = createJwksHandler(provider);
 * new Hono().get("/.well-known/jwks.json", (c) => jwks(c.req.raw));
 * ```
 */
export function createJwksHandler(
  provider: Pick<KeyProvider, "jwks">,
  options?: JwksHandlerOptions,
): JwksHandler {
  if (typeof provider !== "object" || provider === null || typeof provider.jwks !== "function") {
    throw new TypeError(`createJwksHandler needs a KeyProvider, got ${describeType(provider)}`);
  }
  const read = readOptions(options, "createJwksHandler options", [
    "allVersions",
    "prefixKids",
    "maxAgeSeconds",
    "retryAfterSeconds",
    "reuseMs",
    "timeoutMs",
    "allowOrigin",
    "onError",
    "now",
  ]);
  assertOptionalBoolean(read.allVersions, "allVersions");
  assertOptionalString(read.prefixKids, "prefixKids");
  assertRange(read.maxAgeSeconds, "maxAgeSeconds", 0, 86_400);
  assertRange(read.retryAfterSeconds, "retryAfterSeconds", 0, 86_400);
  assertRange(read.reuseMs, "reuseMs", 0, 60_000);
  assertRange(read.timeoutMs, "timeoutMs", 1, 600_000);
  if (read.allowOrigin !== undefined && read.allowOrigin !== null && typeof read.allowOrigin !== "string") {
    throw new TypeError(`allowOrigin must be a string or null, got ${describeType(read.allowOrigin)}`);
  }
  for (const name of ["onError", "now"] as const) {
    if (read[name] !== undefined && typeof read[name] !== "function") {
      throw new TypeError(`${name} must be a function, got ${describeType(read[name])}`);
    }
  }
  const allVersions = read.allVersions ?? true;
  const maxAge = read.maxAgeSeconds ?? 300;
  const retryAfter = read.retryAfterSeconds ?? 30;
  const reuseMs = read.reuseMs ?? 1_000;
  const timeoutMs = read.timeoutMs ?? 5_000;
  const allowOrigin = read.allowOrigin === undefined ? "*" : read.allowOrigin;
  const now = read.now ?? Date.now;
  const onError = read.onError;

  let current: Rendered | undefined;
  let pending: Promise<Rendered> | undefined;

  const render = async (): Promise<Rendered> => {
    // The signal lets a provider stop early; the race holds even for one that ignores it.
    const signal = AbortSignal.timeout(timeoutMs);
    const timedOut = new Promise<never>((_, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
    });
    timedOut.catch(() => {});
    const set: Jwks = await Promise.race([
      provider.jwks({
        allVersions,
        ...(read.prefixKids === undefined ? {} : { prefixKids: read.prefixKids }),
        signal,
      }),
      timedOut,
    ]);
    if (
      !Array.isArray(set?.keys) ||
      set.keys.some((jwk) => typeof jwk !== "object" || jwk === null || hasPrivateMembers(jwk))
    ) {
      throw new TypeError(
        "The provider returned a JWK Set with a private member or a malformed key; nothing was published",
      );
    }
    const body = JSON.stringify({ keys: set.keys });
    const etag = `"${createHash("sha256").update(body).digest("base64url")}"`;
    return { body, etag, at: now() };
  };

  const fresh = (): Promise<Rendered> => {
    if (current !== undefined && now() - current.at < reuseMs) return Promise.resolve(current);
    pending ??= render()
      .then((rendered) => {
        current = rendered;
        return rendered;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };

  const common = (): Headers => {
    const headers = new Headers({ "X-Content-Type-Options": "nosniff" });
    if (allowOrigin !== null) headers.set("Access-Control-Allow-Origin", allowOrigin);
    return headers;
  };

  return async (request: Request): Promise<Response> => {
    const method = request.method.toUpperCase();
    if (method !== "GET" && method !== "HEAD") {
      const headers = common();
      headers.set("Allow", "GET, HEAD");
      return new Response(null, { status: 405, headers });
    }
    let rendered: Rendered;
    try {
      rendered = await fresh();
    } catch (error) {
      onError?.(error);
      const headers = common();
      headers.set("Content-Type", "application/json");
      headers.set("Cache-Control", "no-store");
      headers.set("Retry-After", String(retryAfter));
      const body = JSON.stringify({ error: "jwks_unavailable" });
      return new Response(method === "HEAD" ? null : body, { status: 503, headers });
    }
    const headers = common();
    headers.set("Cache-Control", `public, max-age=${maxAge}`);
    headers.set("ETag", rendered.etag);
    if (matches(request.headers.get("If-None-Match"), rendered.etag)) {
      return new Response(null, { status: 304, headers });
    }
    headers.set("Content-Type", MEDIA_TYPE);
    headers.set("Content-Length", String(Buffer.byteLength(rendered.body)));
    return new Response(method === "HEAD" ? null : rendered.body, { status: 200, headers });
  };
}

/** RFC 9110 §13.1.2: If-None-Match uses the weak comparison; `*` matches any current representation. */
function matches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  return header.split(",").some((candidate) => {
    const tag = candidate.trim();
    return tag === "*" || tag.replace(/^W\//, "") === etag;
  });
}

/**
 * Adapt a Fetch-API handler to `node:http`: `http.createServer(toNodeHandler(handler))`. The
 * request body is never read (a JWKS endpoint needs none).
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { createJwksHandler, toNodeHandler } from "@keyprovider/jwks-http";
 *
 * createServer(toNodeHandler(createJwksHandler(provider))).listen(8080);
 * ```
 */
export function toNodeHandler(
  handler: JwksHandler,
): (request: IncomingMessage, response: ServerResponse) => void {
  if (typeof handler !== "function")
    throw new TypeError(`toNodeHandler needs a handler, got ${describeType(handler)}`);
  return (request, response) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === "string") headers.set(name, value);
      else if (Array.isArray(value)) headers.set(name, value.join(", "));
    }
    const method = (request.method ?? "GET").toUpperCase();
    if (method === "CONNECT" || method === "TRACE" || method === "TRACK") {
      // Methods the Fetch API cannot even represent.
      response.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    const url = new URL(request.url ?? "/", "http://localhost");
    handler(new Request(url, { method, headers }))
      .then(async (answer) => {
        response.writeHead(answer.status, Object.fromEntries(answer.headers));
        response.end(
          method === "HEAD" || answer.body === null ? undefined : Buffer.from(await answer.arrayBuffer()),
        );
      })
      .catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : undefined);
      });
  };
}
