import { InvalidTokenError } from "@keyprovider/core";
import { b64urlDecode } from "@keyprovider/base";

/** A compact JWS split into its parts, nothing verified yet. @internal */
export interface CompactJws {
  /** The protected header: a JSON object. */
  readonly header: Readonly<Record<string, unknown>>;
  /** The payload segment as it appears in the token (base64url, checked to decode). */
  readonly encodedPayload: string;
  /** `BASE64URL(header) "." BASE64URL(payload)` as bytes: what the signature covers. */
  readonly signingInput: Uint8Array;
  readonly signature: Uint8Array;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Split a JWS in compact serialization (RFC 7515 §7.1). Anything that is not three strict base64url
 * segments with a JSON-object header is `InvalidTokenError` reason `"malformed"`; the messages say
 * which part, never what it held.
 *
 * @internal
 */
export function parseCompactJws(token: unknown): CompactJws {
  if (typeof token !== "string") throw new TypeError("The token must be a string (a JWT in compact form)");
  const parts = token.split(".");
  if (parts.length !== 3) {
    throw new InvalidTokenError(
      "malformed",
      `A signed JWT has three "."-separated parts; this one has ${parts.length}${parts.length === 5 ? " (an encrypted JWT, which is not verified here)" : ""}`,
    );
  }
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const headerBytes = b64urlDecode(encodedHeader);
  let header: unknown;
  try {
    header =
      headerBytes === undefined || headerBytes.length === 0
        ? undefined
        : JSON.parse(utf8.decode(headerBytes));
  } catch {
    header = undefined;
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new InvalidTokenError(
      "malformed",
      "The token's protected header is not a base64url-encoded JSON object",
    );
  }
  if (b64urlDecode(encodedPayload) === undefined) {
    throw new InvalidTokenError("malformed", "The token's payload is not base64url");
  }
  const signature = b64urlDecode(encodedSignature);
  if (signature === undefined)
    throw new InvalidTokenError("malformed", "The token's signature is not base64url");
  return {
    header: header as Record<string, unknown>,
    encodedPayload,
    signingInput: new TextEncoder().encode(`${encodedHeader}.${encodedPayload}`),
    signature,
  };
}
