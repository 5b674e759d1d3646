import { createRemoteJWKSet } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { useJwksServer } from "./support/context.js";
import { ecJwk, json } from "./support/server.js";

/**
 * Side by side with jose's createRemoteJWKSet against the same real server: request counts and
 * answered lookups, never timing. The table is printed at the end of the file.
 */
const env = useJwksServer({ backoffJitter: false });
const rows: { scenario: string; jose: string; ours: string }[] = [];

afterAll(() => {
  console.log(
    ["scenario | jose createRemoteJWKSet | @keyprovider/remote-jwks", "--- | --- | ---"]
      .concat(rows.map((row) => `${row.scenario} | ${row.jose} | ${row.ours}`))
      .join("\n"),
  );
});

function jose(options: Parameters<typeof createRemoteJWKSet>[1] = {}) {
  return createRemoteJWKSet(new URL(`${env.server.origin}/jwks`), options);
}

describe("request counts against jose", () => {
  it("stampede: 10 000 concurrent lookups of one unknown kid on a cold client", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "known", alg: "ES256" })] }));
    const joseSet = jose();
    await Promise.allSettled(Array.from({ length: 10_000 }, () => joseSet({ alg: "ES256", kid: "unknown" })));
    const joseRequests = env.server.count();

    const ours = env.source();
    await Promise.allSettled(
      Array.from({ length: 10_000 }, () => ours.getKey({ kid: "unknown", alg: "ES256" })),
    );
    const ourRequests = env.server.count() - joseRequests;

    rows.push({
      scenario: "10 000 concurrent lookups, unknown kid, cold",
      jose: `${joseRequests} request`,
      ours: `${ourRequests} request`,
    });
    expect(ourRequests).toBe(1);
    expect(ourRequests).toBeLessThanOrEqual(joseRequests);
  });

  it("failing endpoint: 1 000 sequential lookups while it answers 500", async () => {
    env.server.route("/jwks", (_req, res) => res.writeHead(500).end());
    const joseSet = jose();
    for (let i = 0; i < 1_000; i += 1) await joseSet({ alg: "ES256", kid: "k1" }).catch(() => undefined);
    const joseRequests = env.server.count();

    const ours = env.source();
    for (let i = 0; i < 1_000; i += 1) await ours.getKey({ kid: "k1" }).catch(() => undefined);
    const ourRequests = env.server.count() - joseRequests;

    rows.push({
      scenario: "1 000 sequential lookups, endpoint answers 500",
      jose: `${joseRequests} requests`,
      ours: `${ourRequests} request (then one per backoff step: 1, 2, 4 … 60 s)`,
    });
    expect(ourRequests).toBe(1);
    expect(joseRequests).toBe(1_000);
  });

  it("failing endpoint: 1 000 concurrent lookups while it answers 500", async () => {
    env.server.route("/jwks", (_req, res) => res.writeHead(500).end());
    const joseSet = jose();
    await Promise.allSettled(Array.from({ length: 1_000 }, () => joseSet({ alg: "ES256", kid: "k1" })));
    const joseRequests = env.server.count();

    const ours = env.source();
    await Promise.allSettled(Array.from({ length: 1_000 }, () => ours.getKey({ kid: "k1" })));
    const ourRequests = env.server.count() - joseRequests;

    rows.push({
      scenario: "1 000 concurrent lookups, endpoint answers 500",
      jose: `${joseRequests} request`,
      ours: `${ourRequests} request`,
    });
    expect(ourRequests).toBeLessThanOrEqual(joseRequests);
  });

  it("outage after a good fetch: 100 lookups once the cache has expired", async () => {
    let failing = false;
    const key = ecJwk({ kid: "k1", alg: "ES256" });
    env.server.route("/jwks", (req, res) =>
      failing ? res.writeHead(503).end() : json({ keys: [key] })(req, res),
    );

    const joseSet = jose({ cacheMaxAge: 1 });
    await joseSet({ alg: "ES256", kid: "k1" });
    const ours = env.source();
    await ours.getKey({ kid: "k1" });
    failing = true;
    await new Promise((resolve) => setTimeout(resolve, 5)); // jose's 1 ms cache expires
    env.clock.advance(300_000); // ours expires

    const before = env.server.count();
    let joseAnswered = 0;
    for (let i = 0; i < 100; i += 1) {
      if (
        await joseSet({ alg: "ES256", kid: "k1" }).then(
          () => true,
          () => false,
        )
      )
        joseAnswered += 1;
    }
    const joseRequests = env.server.count() - before;
    let oursAnswered = 0;
    for (let i = 0; i < 100; i += 1) {
      if (
        await ours.getKey({ kid: "k1" }).then(
          () => true,
          () => false,
        )
      )
        oursAnswered += 1;
    }
    const ourRequests = env.server.count() - before - joseRequests;

    rows.push({
      scenario: "100 lookups during an outage, cache expired",
      jose: `${joseAnswered}/100 answered, ${joseRequests} requests`,
      ours: `${oursAnswered}/100 answered (stale, 1 h window), ${ourRequests} request`,
    });
    expect(oursAnswered).toBe(100);
    expect(ourRequests).toBeLessThanOrEqual(joseRequests);
  });

  it("rotation: a kid published right after a fetch", async () => {
    let keys = [ecJwk({ kid: "k.1", alg: "ES256" })];
    env.server.route("/jwks", (req, res) => json({ keys })(req, res));
    const joseSet = jose();
    await joseSet({ alg: "ES256", kid: "k.1" });
    const ours = env.source();
    await ours.getKey({ kid: "k", version: 1 });
    keys = [...keys, ecJwk({ kid: "k.2", alg: "ES256" })];

    const joseFound = await joseSet({ alg: "ES256", kid: "k.2" }).then(
      () => true,
      () => false,
    );
    env.clock.advance(6_000);
    const oursFound = await ours.getKey({ kid: "k", version: 2, alg: "ES256" }).then(
      () => true,
      () => false,
    );

    rows.push({
      scenario: "new kid looked up within 30 s of the last fetch (jose at once, ours 6 s later)",
      jose: joseFound
        ? "found"
        : `refused (cooling down until 30 s after the fetch: ${String(joseSet.coolingDown)})`,
      ours: oursFound ? "found (kid-miss budget: up to 3 refetches per 30 s, 5 s apart)" : "refused",
    });
    expect(oursFound).toBe(true);
  });

  it("revalidation: what a refresh of an unchanged set costs", async () => {
    const body = { keys: [ecJwk({ kid: "k1", alg: "ES256" })] };
    env.server.route("/jwks", (req, res) => {
      if (req.headers["if-none-match"] === '"v1"') return void res.writeHead(304, { etag: '"v1"' }).end();
      json(body, { etag: '"v1"' })(req, res);
    });
    const joseSet = jose();
    await joseSet.reload();
    await joseSet.reload();
    const ours = env.source();
    await ours.refresh();
    await ours.refresh({ force: true });
    const conditional = env.server.seen.map((request) => request.headers["if-none-match"] !== undefined);

    rows.push({
      scenario: "second fetch of an unchanged set",
      jose: conditional[1] ? "conditional" : "full body again (no If-None-Match)",
      ours: conditional[3] ? "304 Not Modified (If-None-Match)" : "full body",
    });
    expect(conditional).toEqual([false, false, false, true]);
  });
});
