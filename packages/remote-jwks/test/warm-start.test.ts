import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import { type CachedJwks, type JwksCacheStore, type RemoteJwksChange } from "../src/index.js";
import { ecJwk, json } from "./support/server.js";
import { useJwksServer } from "./support/context.js";

const env = useJwksServer();
const source = env.source;

/** A store shared by "processes" (sources), holding what a Redis key would: JSON text. */
class MemoryStore implements JwksCacheStore {
  text: string | undefined;
  writes = 0;
  async get(): Promise<CachedJwks | undefined> {
    return this.text === undefined ? undefined : (JSON.parse(this.text) as CachedJwks);
  }
  async set(entry: CachedJwks): Promise<void> {
    this.writes += 1;
    this.text = JSON.stringify(entry);
  }
  entry(): Record<string, unknown> {
    return JSON.parse(this.text!) as Record<string, unknown>;
  }
}

describe("warm start", () => {
  it("a second process starts from the store without a request while the set is fresh", async () => {
    env.server.route(
      "/jwks",
      json({ keys: [ecJwk({ kid: "k1" })] }, { etag: '"v1"', "cache-control": "max-age=600" }),
    );
    const store = new MemoryStore();
    await source({ cache: store }).getKey({ kid: "k1" });
    await vi.waitFor(() => expect(store.writes).toBe(1));
    expect(store.entry()).toMatchObject({
      source: `${env.server.origin}/jwks`,
      url: `${env.server.origin}/jwks`,
      fetchedAt: env.clock.now(),
      ttlMs: 600_000,
      etag: '"v1"',
    });

    const changes: RemoteJwksChange[] = [];
    const second = source({ cache: store, onChange: (change) => changes.push(change) });
    expect((await second.getKey({ kid: "k1" })).kid).toBe("k1");
    expect(env.server.count()).toBe(1);
    expect(second.status()).toMatchObject({ state: "fresh", requests: 0, etag: '"v1"' });
    expect(changes).toHaveLength(1);
    expect(changes[0]!.added.map((key) => key.kid)).toEqual(["k1"]);
  });

  it("an expired entry is revalidated with its ETag; a 304 renews it", async () => {
    env.server.route("/jwks", (req, res) => {
      if (req.headers["if-none-match"] === '"v1"') return void res.writeHead(304).end();
      json({ keys: [ecJwk({ kid: "k1" })] }, { etag: '"v1"' })(req, res);
    });
    const store = new MemoryStore();
    await source({ cache: store }).refresh();
    await vi.waitFor(() => expect(store.writes).toBe(1));
    env.clock.advance(400_000);
    const second = source({ cache: store });
    expect((await second.getKey({ kid: "k1" })).kid).toBe("k1");
    expect(env.server.seen.map((request) => request.headers["if-none-match"])).toEqual([undefined, '"v1"']);
    await vi.waitFor(() => expect(store.writes).toBe(2));
    expect(store.entry()["fetchedAt"]).toBe(env.clock.now());
  });

  it("validates a stored set exactly like a response: private and symmetric keys are dropped", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "fresh" })] }));
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const store = new MemoryStore();
    store.text = JSON.stringify({
      source: `${env.server.origin}/jwks`,
      url: `${env.server.origin}/jwks`,
      fetchedAt: env.clock.now(),
      ttlMs: 300_000,
      body: JSON.stringify({
        keys: [
          { ...privateKey.export({ format: "jwk" }), kid: "leaked" },
          { kty: "oct", k: "c2VjcmV0", kid: "hmac" },
          ecJwk({ kid: "public" }),
        ],
      }),
    } satisfies CachedJwks);
    const jwks = source({ cache: store });
    expect((await jwks.keys()).map((key) => key.kid)).toEqual(["public"]);
    expect(jwks.status().skipped).toMatchObject({ private: 1, symmetric: 1 });
    expect(env.server.count()).toBe(0);
  });

  it("never writes private members to the store, even when the server sent them", async () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const privateJwk = privateKey.export({ format: "jwk" });
    env.server.route("/jwks", json({ keys: [{ ...privateJwk, kid: "leaked" }, ecJwk({ kid: "public" })] }));
    const store = new MemoryStore();
    await source({ cache: store }).refresh();
    await vi.waitFor(() => expect(store.writes).toBe(1));
    expect(store.text).not.toContain(privateJwk.d);
    expect(JSON.parse(store.entry()["body"] as string)).toEqual({
      keys: [expect.objectContaining({ kid: "public" })],
    });
  });

  it.each([
    ["not JSON", () => "{"],
    ["not a JWK Set", (entry: CachedJwks) => JSON.stringify({ ...entry, body: '{"keys": 1}' })],
    [
      "for another source",
      (entry: CachedJwks) => JSON.stringify({ ...entry, source: "https://other.example/jwks" }),
    ],
    ["missing fetchedAt", (entry: CachedJwks) => JSON.stringify({ ...entry, fetchedAt: "yesterday" })],
    ["too large", (entry: CachedJwks) => JSON.stringify({ ...entry, body: " ".repeat(2_000_000) })],
  ])("an entry %s is reported and ignored; the source fetches", async (_name, corrupt) => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k1" })] }));
    const store = new MemoryStore();
    const entry: CachedJwks = {
      source: `${env.server.origin}/jwks`,
      url: `${env.server.origin}/jwks`,
      fetchedAt: env.clock.now(),
      ttlMs: 300_000,
      body: JSON.stringify({ keys: [ecJwk({ kid: "stored" })] }),
    };
    store.text = corrupt(entry);
    const errors: unknown[] = [];
    const jwks = source({ cache: store, onError: (error, { during }) => errors.push(during) });
    expect((await jwks.getKey({ kid: "k1" })).kid).toBe("k1");
    expect(errors).toEqual(["cache.get"]);
    expect(env.server.count()).toBe(1);
  });

  it("a fetchedAt in the future cannot extend freshness", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k1" })] }));
    const store = new MemoryStore();
    store.text = JSON.stringify({
      source: `${env.server.origin}/jwks`,
      url: `${env.server.origin}/jwks`,
      fetchedAt: env.clock.now() + 365 * 86_400_000,
      ttlMs: 10 * 365 * 86_400_000,
      body: JSON.stringify({ keys: [ecJwk({ kid: "stored" })] }),
    } satisfies CachedJwks);
    const jwks = source({ cache: store });
    await jwks.getKey({ kid: "stored" });
    expect(jwks.status().expiresAt).toBe(env.clock.now() + 86_400_000);
  });

  it("a failing store is reported and never breaks lookups", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k1" })] }));
    const errors: string[] = [];
    const jwks = source({
      cache: {
        get: () => Promise.reject(new Error("redis down")),
        set: () => Promise.reject(new Error("redis down")),
      },
      onError: (_error, { during }) => errors.push(during),
    });
    expect((await jwks.getKey({ kid: "k1" })).kid).toBe("k1");
    await vi.waitFor(() => expect(errors).toEqual(["cache.get", "cache.set"]));
  });

  it("a store that never answers does not hold up the first fetch beyond requestTimeoutMs", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k1" })] }));
    const errors: string[] = [];
    const jwks = source({
      requestTimeoutMs: 200,
      cache: { get: () => new Promise(() => undefined), set: async () => undefined },
      onError: (error, { during }) => errors.push(`${during}: ${(error as Error).message}`),
    });
    expect((await jwks.getKey({ kid: "k1" })).kid).toBe("k1");
    expect(errors).toEqual(["cache.get: The warm-start cache did not answer within 200 ms; it is ignored"]);
  });

  it("does not store a no-store response", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k1" })] }, { "cache-control": "no-store" }));
    const store = new MemoryStore();
    await source({ cache: store }).refresh();
    await new Promise((resolve) => setImmediate(resolve));
    expect(store.writes).toBe(0);
  });

  it("10 000 concurrent lookups on a cold process read the store once", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k1" })] }));
    const store = new MemoryStore();
    await source({ cache: store }).refresh();
    await vi.waitFor(() => expect(store.writes).toBe(1));
    let reads = 0;
    const counting: JwksCacheStore = {
      get: () => ((reads += 1), store.get()),
      set: (entry) => store.set(entry),
    };
    const jwks = source({ cache: counting });
    await Promise.all(Array.from({ length: 10_000 }, () => jwks.getKey({ kid: "k1" })));
    expect(reads).toBe(1);
    expect(env.server.count()).toBe(1);
  });
});
