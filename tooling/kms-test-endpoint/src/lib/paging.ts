import { KmsError } from "./kms-error.js";
import { optionalInteger, optionalString, type RequestBody } from "./request.js";

/** One page of a list operation, with the `Truncated`/`NextMarker` members KMS returns. */
export interface Page<T> {
  readonly items: T[];
  readonly more: { Truncated: boolean; NextMarker?: string };
}

/**
 * Page through `items` by the request's `Limit` (default and bounds per operation) and `Marker`.
 * Markers are opaque to callers, as in KMS; a marker this endpoint did not issue is
 * InvalidMarkerException.
 */
export function page<T>(
  items: readonly T[],
  body: RequestBody,
  limits: { default: number; max: number },
): Page<T> {
  const limit = optionalInteger(body, "Limit", 1, limits.max) ?? limits.default;
  const marker = optionalString(body, "Marker", 1, 1024);
  let start = 0;
  if (marker !== undefined) {
    const decoded = /^kte1:(\d{1,9})$/.exec(Buffer.from(marker, "base64url").toString("latin1"));
    start = decoded === null ? -1 : Number(decoded[1]);
    if (start < 0 || start > items.length) throw new KmsError("InvalidMarkerException", "Invalid marker");
  }
  const end = Math.min(start + limit, items.length);
  const truncated = end < items.length;
  return {
    items: items.slice(start, end),
    more: truncated
      ? { Truncated: true, NextMarker: Buffer.from(`kte1:${end}`).toString("base64url") }
      : { Truncated: false },
  };
}
