import { RemoteJwksError } from "@keyprovider/core";
import { describeUrl } from "./url.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Parse a response body that must be a JSON object. Anything else is `ERR_REMOTE_JWKS_INVALID`
 * with a message that names the document and its URL and never quotes the body.
 */
export function parseJsonObject(
  body: Uint8Array | string,
  url: string,
  what: string,
): Record<string, unknown> {
  const invalid = (problem: string) =>
    new RemoteJwksError("ERR_REMOTE_JWKS_INVALID", `The ${what} from ${describeUrl(url)} ${problem}`, {
      url: describeUrl(url),
    });
  let text: string;
  try {
    text = typeof body === "string" ? body : utf8.decode(body);
  } catch {
    throw invalid("is not UTF-8 text");
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // V8's SyntaxError quotes the text around the fault, so it is not kept as the cause.
    throw invalid("is not valid JSON");
  }
  if (!isPlainObject(document)) throw invalid("is not a JSON object");
  return document;
}

/** A JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
