import { RemoteJwksError } from "@keyprovider/core";
import type { FetchResponse, Settings } from "./options.js";
import { checkUrl, describeUrl, parseUrl } from "./url.js";

/** A fetched document: a 200 with its body, or a 304 to a conditional request. */
export type FetchedDocument =
  | {
      readonly status: 200;
      readonly url: string;
      readonly headers: FetchResponse["headers"];
      readonly body: Uint8Array;
    }
  | { readonly status: 304; readonly url: string; readonly headers: FetchResponse["headers"] };

/** One document request. */
export interface DocumentRequest {
  /** `"JWK Set"` or `"discovery document"`, for messages. */
  readonly what: string;
  readonly accept: string;
  /** Validators of the copy held; a 304 is accepted only when some are sent. */
  readonly etag?: string | undefined;
  readonly lastModified?: string | undefined;
  /** Called once per HTTP request (redirect hops included), to count them. */
  readonly onRequest: () => void;
}

type HttpSettings = Pick<
  Settings,
  | "requestTimeoutMs"
  | "maxBodyBytes"
  | "followRedirects"
  | "maxRedirects"
  | "allowInsecureHttp"
  | "userAgent"
  | "fetch"
>;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GET one document under one deadline (`requestTimeoutMs`, redirects and the body read included),
 * with the body capped while it streams. Every failure is a `RemoteJwksError` carrying the URL and,
 * where there is one, the HTTP status; no message quotes the body.
 */
export async function fetchDocument(
  url: URL,
  settings: HttpSettings,
  request: DocumentRequest,
): Promise<FetchedDocument> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, settings.requestTimeoutMs);
  timer.unref();
  const headers: Record<string, string> = { accept: request.accept, "user-agent": settings.userAgent };
  if (request.etag !== undefined) headers["if-none-match"] = request.etag;
  if (request.lastModified !== undefined) headers["if-modified-since"] = request.lastModified;
  const conditional = request.etag !== undefined || request.lastModified !== undefined;

  let current = url;
  const fail = (
    code: "ERR_REMOTE_JWKS_HTTP_STATUS" | "ERR_REMOTE_JWKS_TOO_LARGE",
    message: string,
    status?: number,
  ) =>
    new RemoteJwksError(code, `The ${request.what} request to ${describeUrl(current)} ${message}`, {
      url: describeUrl(current),
      ...(status === undefined ? {} : { status }),
    });
  try {
    for (let redirects = 0; ; redirects += 1) {
      request.onRequest();
      const response = await settings
        .fetch(current.href, { method: "GET", headers, redirect: "manual", signal: controller.signal })
        .catch((cause: unknown) => {
          throw transportError(cause, timedOut, current, request.what, settings.requestTimeoutMs);
        });
      const { status } = response;
      if (REDIRECTS.has(status)) {
        await discard(response);
        if (!settings.followRedirects) {
          throw fail(
            "ERR_REMOTE_JWKS_HTTP_STATUS",
            `was redirected (${status}); redirects are followed only with followRedirects: true`,
            status,
          );
        }
        if (redirects >= settings.maxRedirects) {
          throw fail(
            "ERR_REMOTE_JWKS_HTTP_STATUS",
            `was redirected more than maxRedirects (${settings.maxRedirects}) times`,
            status,
          );
        }
        const location = response.headers.get("location");
        const target = location === null ? undefined : parseUrl(location, current);
        if (target === undefined) {
          throw fail(
            "ERR_REMOTE_JWKS_HTTP_STATUS",
            `was redirected (${status}) without a usable Location`,
            status,
          );
        }
        current = checkUrl(target, settings.allowInsecureHttp, "redirect target");
        continue;
      }
      if (status === 304 && conditional) {
        await discard(response);
        return { status: 304, url: current.href, headers: response.headers };
      }
      if (status !== 200) {
        await discard(response);
        throw fail("ERR_REMOTE_JWKS_HTTP_STATUS", `answered HTTP ${status}, expected 200`, status);
      }
      const declared = response.headers.get("content-length");
      if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > settings.maxBodyBytes) {
        await discard(response);
        throw fail(
          "ERR_REMOTE_JWKS_TOO_LARGE",
          `declared a ${declared}-byte body, more than maxBodyBytes (${settings.maxBodyBytes})`,
          status,
        );
      }
      const body = await readCapped(response, settings.maxBodyBytes).catch((cause: unknown) => {
        if (cause instanceof BodyTooLarge) {
          throw fail(
            "ERR_REMOTE_JWKS_TOO_LARGE",
            `sent a body larger than maxBodyBytes (${settings.maxBodyBytes})`,
            status,
          );
        }
        throw transportError(cause, timedOut, current, request.what, settings.requestTimeoutMs);
      });
      return { status: 200, url: current.href, headers: response.headers, body };
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Thrown by {@link readCapped} and turned into `ERR_REMOTE_JWKS_TOO_LARGE` with the request's context. */
class BodyTooLarge extends Error {}

/** Read a body, stopping (and cancelling the stream) as soon as it passes `max` bytes. */
async function readCapped(response: FetchResponse, max: number): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > max) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** Release the connection of a response whose body is not wanted. */
async function discard(response: FetchResponse): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/** A timeout if the deadline fired, else a network failure (a failed connection, a reset, a TLS error). */
function transportError(
  cause: unknown,
  timedOut: boolean,
  url: URL,
  what: string,
  timeoutMs: number,
): RemoteJwksError {
  if (RemoteJwksError.isInstance(cause)) return cause;
  if (timedOut) {
    return new RemoteJwksError(
      "ERR_REMOTE_JWKS_TIMEOUT",
      `The ${what} request to ${describeUrl(url)} timed out after ${timeoutMs} ms`,
      { url: describeUrl(url), cause },
    );
  }
  const code = errorCode(cause);
  return new RemoteJwksError(
    "ERR_REMOTE_JWKS_NETWORK",
    `The ${what} request to ${describeUrl(url)} failed${code === undefined ? "" : ` (${code})`}`,
    { url: describeUrl(url), cause },
  );
}

/** A system error code such as `ECONNREFUSED`, from an error or its cause (undici wraps them). */
function errorCode(error: unknown): string | undefined {
  for (
    let current = error, depth = 0;
    depth < 3 && typeof current === "object" && current !== null;
    depth += 1
  ) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
