import { describe, expect, it, vi } from "vitest";
import { ecJwk, json } from "./support/server.js";
import { useJwksServer } from "./support/context.js";

const env = useJwksServer();
const source = env.source;

describe("conditional requests", () => {
  it("sends the ETag back; a 304 renews the held set", async () => {
    const key = ecJwk({ kid: "k1", alg: "ES256" });
    env.server.route("/jwks", (req, res) => {
      if (req.headers["if-none-match"] === '"v1"') {
        res.writeHead(304, { etag: '"v1"' }).end();
        return;
      }
      json({ keys: [key] }, { etag: '"v1"' })(req, res);
    });
    const jwks = source();
    expect((await jwks.getKey({ kid: "k1" })).jwk.x).toBe(key["x"]);
    expect(jwks.status()).toMatchObject({ etag: '"v1"', state: "fresh", requests: 1 });

    env.clock.advance(300_001);
    expect(jwks.status().state).toBe("stale");
    expect((await jwks.getKey({ kid: "k1" })).jwk.x).toBe(key["x"]);
    expect(env.server.seen.map((request) => request.headers["if-none-match"])).toEqual([undefined, '"v1"']);
    expect(jwks.status()).toMatchObject({
      state: "fresh",
      requests: 2,
      expiresAt: env.clock.now() + 300_000,
    });
  });

  it("sends Last-Modified back as If-Modified-Since", async () => {
    const lastModified = "Wed, 21 Oct 2026 07:28:00 GMT";
    env.server.route("/jwks", (req, res) => {
      if (req.headers["if-modified-since"] === lastModified) {
        res.writeHead(304).end();
        return;
      }
      json({ keys: [ecJwk({ kid: "k1" })] }, { "last-modified": lastModified })(req, res);
    });
    const jwks = source();
    await jwks.getKey({ kid: "k1" });
    env.clock.advance(300_001);
    await jwks.getKey({ kid: "k1" });
    expect(env.server.seen.map((request) => request.headers["if-modified-since"])).toEqual([
      undefined,
      lastModified,
    ]);
    expect(jwks.status()).toMatchObject({ lastModified, state: "fresh", requests: 2 });
  });

  it("a 304 to an unconditional request is an error, not an empty set", async () => {
    env.server.route("/jwks", (_req, res) => res.writeHead(304).end());
    await expect(source().getKey({ kid: "k1" })).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_HTTP_STATUS",
      status: 304,
    });
  });
});

describe("freshness", () => {
  async function expiryFor(cacheControl: string | undefined, age?: string): Promise<number> {
    const headers: Record<string, string> = {};
    if (cacheControl !== undefined) headers["cache-control"] = cacheControl;
    if (age !== undefined) headers["age"] = age;
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k1" })] }, headers));
    const jwks = source();
    await jwks.refresh();
    return jwks.status().expiresAt! - env.clock.now();
  }

  it.each([
    ["max-age=120", 120_000],
    ["public, max-age=600, must-revalidate", 600_000],
    ["max-age=5", 30_000],
    ["max-age=999999", 86_400_000],
    ["no-cache", 30_000],
    ["no-store", 30_000],
    ["max-age=0", 30_000],
    ["s-maxage=900", 300_000],
    ["max-age=abc", 300_000],
    [undefined, 300_000],
  ])("Cache-Control %s gives a TTL of %i ms", async (cacheControl, ttl) => {
    expect(await expiryFor(cacheControl)).toBe(ttl);
  });

  it("subtracts the Age of a cached response", async () => {
    expect(await expiryFor("max-age=300", "200")).toBe(100_000);
  });

  it("honours the TTL: no request while fresh, one after", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k1" })] }, { "cache-control": "max-age=120" }));
    const jwks = source();
    await jwks.getKey({ kid: "k1" });
    env.clock.advance(119_000);
    await jwks.getKey({ kid: "k1" });
    expect(env.server.count()).toBe(1);
    env.clock.advance(1_000);
    await jwks.getKey({ kid: "k1" });
    expect(env.server.count()).toBe(2);
  });

  it("uses configured clamps", async () => {
    env.server.route("/jwks", json({ keys: [] }, { "cache-control": "max-age=5" }));
    const jwks = source({ minCacheTtlMs: 1_000, maxCacheTtlMs: 2_000 });
    await jwks.refresh();
    expect(jwks.status().expiresAt! - env.clock.now()).toBe(2_000);
  });
});

describe("refresh", () => {
  it("refresh() makes no request while fresh; refresh({ force: true }) does", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k1" })] }));
    const jwks = source();
    await jwks.refresh();
    await jwks.refresh();
    expect(env.server.count()).toBe(1);
    await jwks.refresh({ force: true });
    expect(env.server.count()).toBe(2);
  });

  it("refreshes ahead of expiry in the background while serving the held set", async () => {
    let version = 1;
    env.server.route("/jwks", (req, res) => json({ keys: [ecJwk({ kid: `k.${version}` })] })(req, res));
    const jwks = source({ refreshAheadMs: 10_000 });
    await jwks.getKey({ kid: "k" });
    version = 2;
    env.clock.advance(289_000); // 11 s before expiry: not yet
    expect((await jwks.getKey({ kid: "k" })).version).toBe(1);
    expect(env.server.count()).toBe(1);
    env.clock.advance(2_000); // 9 s before expiry: served now, refreshed behind
    expect((await jwks.getKey({ kid: "k" })).version).toBe(1);
    await vi.waitFor(() => expect(jwks.status().inFlight).toBe(false));
    expect(env.server.count()).toBe(2);
    expect((await jwks.getKey({ kid: "k" })).version).toBe(2);
  });

  it("refreshes ahead on a timer for a source in use", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k1" })] }, { "cache-control": "max-age=1" }));
    // Real clock: a 200 ms TTL refreshed 100 ms ahead.
    const jwks = source({ clock: { now: () => Date.now() }, minCacheTtlMs: 200, refreshAheadMs: 100 });
    await jwks.getKey({ kid: "k1" });
    await vi.waitFor(() => expect(env.server.count()).toBeGreaterThanOrEqual(2), { timeout: 5_000 });
  });
});
