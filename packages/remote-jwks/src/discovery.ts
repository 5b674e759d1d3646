import { RemoteJwksError, quoteForMessage } from "@keyprovider/core";
import type { FetchedDocument } from "./http.js";
import { parseJsonObject } from "./json.js";
import { checkUrl, describeUrl, parseUrl } from "./url.js";

/** Which well-known document gave the `jwks_uri`. */
export type DiscoveryKind = "openid-configuration" | "oauth-authorization-server";

/**
 * The metadata URL of an issuer. OpenID Connect Discovery §4 appends the suffix after the issuer
 * (its trailing `/` removed); RFC 8414 §3.1 inserts it between the host and the issuer's path.
 */
export function metadataUrl(issuer: URL, kind: DiscoveryKind): URL {
  const path = issuer.pathname.replace(/\/+$/, "");
  const url = new URL(issuer.origin);
  url.pathname =
    kind === "openid-configuration"
      ? `${path}/.well-known/openid-configuration`
      : `/.well-known/oauth-authorization-server${path}`;
  return url;
}

/**
 * Find an issuer's `jwks_uri`: OpenID Connect Discovery first (or the kind that answered last time),
 * then RFC 8414 when the first answers a 4xx. The document's `issuer` must equal the configured
 * string exactly (`ERR_REMOTE_JWKS_ISSUER_MISMATCH`), and its `jwks_uri` must pass the URL rule.
 */
export async function discoverJwksUri(
  issuer: string,
  issuerUrl: URL,
  allowInsecureHttp: boolean,
  first: DiscoveryKind,
  get: (url: URL) => Promise<FetchedDocument>,
): Promise<{ readonly jwksUri: URL; readonly kind: DiscoveryKind }> {
  const kinds: DiscoveryKind[] =
    first === "openid-configuration"
      ? ["openid-configuration", "oauth-authorization-server"]
      : ["oauth-authorization-server", "openid-configuration"];
  for (const [index, kind] of kinds.entries()) {
    let document: FetchedDocument;
    try {
      document = await get(metadataUrl(issuerUrl, kind));
    } catch (error) {
      const clientError =
        RemoteJwksError.isInstance(error) &&
        error.code === "ERR_REMOTE_JWKS_HTTP_STATUS" &&
        error.status !== undefined &&
        error.status >= 400 &&
        error.status < 500;
      if (clientError && index === 0) continue;
      throw error;
    }
    if (document.status !== 200) continue;
    return { jwksUri: readMetadata(document.body, document.url, issuer, allowInsecureHttp), kind };
  }
  throw new RemoteJwksError(
    "ERR_REMOTE_JWKS_INVALID",
    `No discovery document for ${describeUrl(issuerUrl)}`,
    {
      url: describeUrl(issuerUrl),
    },
  );
}

function readMetadata(body: Uint8Array, url: string, issuer: string, allowInsecureHttp: boolean): URL {
  const metadata = parseJsonObject(body, url, "discovery document");
  const claimed = metadata["issuer"];
  if (claimed !== issuer) {
    throw new RemoteJwksError(
      "ERR_REMOTE_JWKS_ISSUER_MISMATCH",
      `The discovery document at ${describeUrl(url)} is for issuer ${typeof claimed === "string" ? quoteForMessage(claimed) : "(none)"}, not ${quoteForMessage(issuer)}`,
      { url: describeUrl(url) },
    );
  }
  const jwksUri = metadata["jwks_uri"];
  const parsed = typeof jwksUri === "string" ? parseUrl(jwksUri) : undefined;
  if (parsed === undefined) {
    throw new RemoteJwksError(
      "ERR_REMOTE_JWKS_INVALID",
      `The discovery document at ${describeUrl(url)} has no valid "jwks_uri"`,
      { url: describeUrl(url) },
    );
  }
  return checkUrl(parsed, allowInsecureHttp, "discovered jwks_uri");
}
