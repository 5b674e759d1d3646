import { RemoteJwksError } from "@keyprovider/core";

/**
 * The URL rule every fetched URL passes (the configured one, a discovered `jwks_uri`, a redirect
 * target): `https:`, or `http:` with `allowInsecureHttp`; no other scheme, and no credentials.
 */
export function checkUrl(url: URL, allowInsecureHttp: boolean, what: string): URL {
  const allowed = url.protocol === "https:" || (allowInsecureHttp && url.protocol === "http:");
  if (!allowed) {
    const hint = url.protocol === "http:" ? " (set allowInsecureHttp: true for a local test server)" : "";
    throw new RemoteJwksError(
      "ERR_REMOTE_JWKS_INSECURE_URL",
      `The ${what} must be an https: URL${hint}, got a ${JSON.stringify(url.protocol)} URL`,
      { url: describeUrl(url) },
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new RemoteJwksError(
      "ERR_REMOTE_JWKS_INSECURE_URL",
      `The ${what} must not carry credentials; pass a fetch that authenticates instead`,
      { url: describeUrl(url) },
    );
  }
  const copy = new URL(url.href);
  copy.hash = "";
  return copy;
}

/**
 * A URL for messages: scheme, host and path, without credentials, query or fragment (a query may
 * carry an API key).
 */
export function describeUrl(url: URL | string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "(an unparsable URL)";
  }
}

/** Parse a URL from a response (a `jwks_uri`, a `Location`), relative to `base`; `undefined` if it does not parse. */
export function parseUrl(value: string, base?: URL): URL | undefined {
  try {
    return new URL(value, base);
  } catch {
    return undefined;
  }
}
