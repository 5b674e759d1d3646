import { KeyNotFoundError } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { ecJwk, json } from "./support/server.js";
import { useJwksServer } from "./support/context.js";

const env = useJwksServer({ backoffJitter: false });
const source = env.source;

/** A server whose set the test replaces, as an identity provider rotating keys would. */
function serveKeys(initial: Record<string, unknown>[]): { keys: Record<string, unknown>[] } {
  const state = { keys: initial };
  env.server.route("/jwks", (req, res) => json({ keys: state.keys })(req, res));
  return state;
}

describe("single-flight", () => {
  it("10 000 concurrent lookups of one unknown kid on a cold source make exactly one request", async () => {
    serveKeys([ecJwk({ kid: "known" })]);
    const jwks = source();
    const results = await Promise.allSettled(
      Array.from({ length: 10_000 }, () => jwks.getKey({ kid: "unknown" })),
    );
    expect(env.server.count()).toBe(1);
    expect(results.every((r) => r.status === "rejected" && KeyNotFoundError.isInstance(r.reason))).toBe(true);
  });

  it("10 000 concurrent lookups of one unknown kid on a warm source share one refetch", async () => {
    serveKeys([ecJwk({ kid: "known" })]);
    const jwks = source();
    await jwks.refresh();
    env.clock.advance(31_000);
    const results = await Promise.allSettled(
      Array.from({ length: 10_000 }, () => jwks.getKey({ kid: "unknown" })),
    );
    expect(env.server.count()).toBe(2);
    expect(results.every((r) => r.status === "rejected")).toBe(true);
  });

  it("concurrent lookups of an expired set share one request", async () => {
    serveKeys([ecJwk({ kid: "k1" })]);
    const jwks = source();
    await jwks.refresh();
    env.clock.advance(300_000);
    const keys = await Promise.all(Array.from({ length: 1_000 }, () => jwks.getKey({ kid: "k1" })));
    expect(new Set(keys.map((key) => key.thumbprint)).size).toBe(1);
    expect(env.server.count()).toBe(2);
  });
});

describe("kid-miss refetches", () => {
  it("picks up a rotated key within the cooldown, not after it", async () => {
    const state = serveKeys([ecJwk({ kid: "a" })]);
    const jwks = source();
    await jwks.getKey({ kid: "a" });
    state.keys = [...state.keys, ecJwk({ kid: "b" })];

    // Right after a fetch: no refetch yet (missRefetchIntervalMs, 5 s).
    env.clock.advance(1_000);
    await expect(jwks.getKey({ kid: "b" })).rejects.toBeInstanceOf(KeyNotFoundError);
    expect(env.server.count()).toBe(1);

    // 6 s after the fetch, well inside the 30 s cooldown, the miss refetches and finds it.
    env.clock.advance(5_000);
    expect((await jwks.getKey({ kid: "b" })).kid).toBe("b");
    expect(env.server.count()).toBe(2);
  });

  it("allows 1 + missRefetchBudget refetches per cooldown window, spaced by the interval", async () => {
    serveKeys([ecJwk({ kid: "a" })]);
    const jwks = source();
    await jwks.refresh();
    const attempts: number[] = [];
    // Random kids every second for two minutes: a flood of unknown kids.
    for (let second = 1; second <= 120; second += 1) {
      env.clock.advance(1_000);
      const before = env.server.count();
      await expect(jwks.getKey({ kid: `random-${second}` })).rejects.toBeInstanceOf(KeyNotFoundError);
      if (env.server.count() > before) attempts.push(second);
    }
    // 3 per 30 s window (t=5,10,15 | 35,40,45 | 65,70,75 | 95,100,105).
    expect(attempts).toEqual([5, 10, 15, 35, 40, 45, 65, 70, 75, 95, 100, 105]);
  });

  it("with missRefetchBudget 0 behaves like jose: one refetch per cooldown", async () => {
    serveKeys([ecJwk({ kid: "a" })]);
    const jwks = source({ missRefetchBudget: 0, missRefetchIntervalMs: 30_000 });
    await jwks.refresh();
    let requests = 0;
    for (let second = 1; second <= 90; second += 1) {
      env.clock.advance(1_000);
      await jwks.getKey({ kid: "x" }).catch(() => undefined);
      requests = env.server.count();
    }
    expect(requests).toBe(1 + 3);
  });

  it("an unknown version is a miss, never another version", async () => {
    serveKeys([ecJwk({ kid: "k.1" }), ecJwk({ kid: "k.2" })]);
    const jwks = source();
    expect((await jwks.getKey({ kid: "k" })).version).toBe(2);
    expect((await jwks.getKey({ kid: "k", version: 1 })).version).toBe(1);
    await expect(jwks.getKey({ kid: "k", version: 3 })).rejects.toMatchObject({
      code: "ERR_KEY_NOT_FOUND",
      kid: "k",
      version: 3,
    });
  });
});

describe("backoff", () => {
  it("counts requests: one per backoff step, doubling up to the cap, not one per call", async () => {
    env.server.route("/jwks", (_req, res) => res.writeHead(500).end());
    const jwks = source({ backoffInitialMs: 1_000, backoffMaxMs: 8_000 });
    const requestsAt: number[] = [];
    // 100 ms steps for 40 s, ten lookups each step.
    for (let step = 0; step <= 400; step += 1) {
      for (let i = 0; i < 10; i += 1) await jwks.getKey({ kid: "k" }).catch(() => undefined);
      requestsAt.push(env.server.count());
      env.clock.advance(100);
    }
    // Attempts at 0, 1, 3, 7, 15, 23, 31, 39 s: waits of 1, 2, 4, 8, 8, 8, 8 s.
    const firstAttemptStep = (n: number) => requestsAt.findIndex((count) => count >= n);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(firstAttemptStep)).toEqual([0, 10, 30, 70, 150, 230, 310, 390]);
    expect(env.server.count()).toBe(8);
    expect(jwks.status()).toMatchObject({ consecutiveFailures: 8, state: "empty" });
  });

  it("fails fast with the last error while backing off", async () => {
    env.server.route("/jwks", (_req, res) => res.writeHead(503).end());
    const jwks = source();
    const first = await jwks.getKey({ kid: "k" }).catch((error: unknown) => error);
    const second = await jwks.getKey({ kid: "k" }).catch((error: unknown) => error);
    expect(second).toBe(first);
    expect(first).toMatchObject({
      code: "ERR_REMOTE_JWKS_HTTP_STATUS",
      status: 503,
      url: `${env.server.origin}/jwks`,
    });
    expect(env.server.count()).toBe(1);
  });

  it("refresh({ force: true }) goes through the backoff", async () => {
    env.server.route("/jwks", (_req, res) => res.writeHead(503).end());
    const jwks = source();
    await expect(jwks.refresh()).rejects.toMatchObject({ status: 503 });
    await expect(jwks.refresh()).rejects.toMatchObject({ status: 503 });
    expect(env.server.count()).toBe(1);
    await expect(jwks.refresh({ force: true })).rejects.toMatchObject({ status: 503 });
    expect(env.server.count()).toBe(2);
  });

  it("jitters between half and all of each wait", async () => {
    env.server.route("/jwks", (_req, res) => res.writeHead(503).end());
    const jwks = source({ backoffJitter: true, backoffInitialMs: 10_000 });
    await jwks.refresh().catch(() => undefined);
    const wait = jwks.status().nextAttemptAt! - env.clock.now();
    expect(wait).toBeGreaterThanOrEqual(5_000);
    expect(wait).toBeLessThanOrEqual(10_000);
  });
});

describe("caller signals", () => {
  it("an aborted caller is rejected with its reason; the shared request goes on for the others", async () => {
    let answer: (() => void) | undefined;
    const key = ecJwk({ kid: "k1" });
    env.server.route("/jwks", (req, res) => {
      answer = () => json({ keys: [key] })(req, res);
    });
    const jwks = source();
    const controller = new AbortController();
    const impatient = jwks.getKey({ kid: "k1" }, { signal: controller.signal });
    const patient = jwks.getKey({ kid: "k1" });
    await new Promise<void>((resolve) => {
      const poll = () => (answer === undefined ? setTimeout(poll, 5) : resolve());
      poll();
    });
    const reason = new Error("caller gave up");
    controller.abort(reason);
    await expect(impatient).rejects.toBe(reason);
    answer!();
    expect((await patient).kid).toBe("k1");
    expect(env.server.count()).toBe(1);
  });

  it("an already aborted signal rejects before any request", async () => {
    serveKeys([]);
    const jwks = source();
    await expect(jwks.getKey({ kid: "k" }, { signal: AbortSignal.abort("no") })).rejects.toBe("no");
    await expect(jwks.refresh({ signal: AbortSignal.abort("no") })).rejects.toBe("no");
    expect(env.server.count()).toBe(0);
  });
});
