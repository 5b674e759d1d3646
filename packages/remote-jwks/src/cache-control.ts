/** How long a fetched set stays fresh, and whether it may go to the warm-start store. */
export interface Freshness {
  readonly ttlMs: number;
  /** `false` for `Cache-Control: no-store`: the set is used in memory but not written to the `cache` store. */
  readonly storable: boolean;
}

/** The TTL settings {@link freshness} applies. */
export interface TtlSettings {
  readonly cacheTtlMs: number;
  readonly minCacheTtlMs: number;
  readonly maxCacheTtlMs: number;
}

interface HeaderSource {
  get(name: string): string | null;
}

/**
 * The freshness lifetime of a response (RFC 9111 §4.2.1, as a private cache computes it):
 * `max-age` less the response's `Age`, clamped to [`minCacheTtlMs`, `maxCacheTtlMs`]; `no-cache`
 * and `no-store` give the minimum (the keys are still needed to verify, so they are kept, and
 * revalidated as often as the floor allows); without `max-age`, `cacheTtlMs`. `s-maxage` is for
 * shared caches and is ignored, as are `Expires`, `private`, `public`, `must-revalidate` and
 * `stale-*` (the stale window is this client's own policy).
 */
export function freshness(headers: HeaderSource, settings: TtlSettings): Freshness {
  const directives = parseCacheControl(headers.get("cache-control") ?? "");
  const storable = !directives.has("no-store");
  const clamp = (ms: number) => Math.min(settings.maxCacheTtlMs, Math.max(settings.minCacheTtlMs, ms));
  if (directives.has("no-store") || directives.has("no-cache")) {
    return { ttlMs: settings.minCacheTtlMs, storable };
  }
  const maxAge = deltaSeconds(directives.get("max-age"));
  if (maxAge === undefined) return { ttlMs: settings.cacheTtlMs, storable };
  const age = deltaSeconds(headers.get("age") ?? undefined) ?? 0;
  return { ttlMs: clamp((maxAge - age) * 1000), storable };
}

/** Directive names (lower case) to their first value (`""` for a directive without one). */
function parseCacheControl(value: string): Map<string, string> {
  const directives = new Map<string, string>();
  for (const part of value.split(",")) {
    const [rawName = "", ...rest] = part.split("=");
    const name = rawName.trim().toLowerCase();
    if (name === "" || directives.has(name)) continue;
    directives.set(
      name,
      rest
        .join("=")
        .trim()
        .replace(/^"(.*)"$/, "$1"),
    );
  }
  return directives;
}

/** RFC 9111 delta-seconds: digits only; anything else is ignored. */
function deltaSeconds(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}
