import { createServer } from "node:net";
import { RemoteJwksError } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { type RemoteJwksStaleEvent } from "../src/index.js";
import { ecJwk, json } from "./support/server.js";
import { useJwksServer } from "./support/context.js";

const env = useJwksServer({ backoffJitter: false });
const source = env.source;

describe("timeouts", () => {
  it("a server that never answers times out", async () => {
    env.server.route("/jwks", () => undefined);
    const error = await source({ requestTimeoutMs: 200 })
      .getKey({ kid: "k" })
      .catch((e: unknown) => e);
    expect(RemoteJwksError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: "ERR_REMOTE_JWKS_TIMEOUT", url: `${env.server.origin}/jwks` });
  });

  it("the deadline covers the body: a server that stalls mid-body times out", async () => {
    env.server.route("/jwks", (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"keys":[');
    });
    await expect(source({ requestTimeoutMs: 200 }).getKey({ kid: "k" })).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_TIMEOUT",
    });
  });
});

describe("network failures", () => {
  it("a refused connection is ERR_REMOTE_JWKS_NETWORK", async () => {
    // A port that was just free: nothing listens on it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const jwks = source({ jwksUrl: `http://127.0.0.1:${port}/jwks` });
    await expect(jwks.getKey({ kid: "k" })).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_NETWORK",
      message: expect.stringContaining("ECONNREFUSED"),
    });
  });
});

describe("stale window", () => {
  it("a 500 with a warm cache serves stale keys, then fails after the stale window", async () => {
    let failing = false;
    const key = ecJwk({ kid: "k1" });
    env.server.route("/jwks", (req, res) =>
      failing ? res.writeHead(500).end() : json({ keys: [key] })(req, res),
    );
    const stale: RemoteJwksStaleEvent[] = [];
    const errors: unknown[] = [];
    const jwks = source({
      onStale: (event) => stale.push(event),
      onError: (error) => errors.push(error),
    });
    await jwks.getKey({ kid: "k1" });
    const expiredAt = jwks.status().expiresAt!;
    failing = true;

    env.clock.advance(300_000); // expired: the refresh fails, the last good set is served
    expect((await jwks.getKey({ kid: "k1" })).kid).toBe("k1");
    expect(jwks.status()).toMatchObject({
      state: "stale",
      consecutiveFailures: 1,
      lastError: { code: "ERR_REMOTE_JWKS_HTTP_STATUS", status: 500 },
    });
    expect(stale).toEqual([
      expect.objectContaining({
        expiredAt,
        staleUntil: expiredAt + 3_600_000,
        url: `${env.server.origin}/jwks`,
      }),
    ]);
    expect(errors).toHaveLength(1);

    env.clock.advance(3_600_000 - 1); // the last moment of the window
    expect((await jwks.getKey({ kid: "k1" })).kid).toBe("k1");

    env.clock.advance(1); // past the window: the last failure's error
    await expect(jwks.getKey({ kid: "k1" })).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_HTTP_STATUS",
      status: 500,
    });
    expect(jwks.status().state).toBe("empty");

    failing = false; // the endpoint recovers: the next attempt after the backoff serves fresh keys
    env.clock.advance(60_000);
    expect((await jwks.getKey({ kid: "k1" })).kid).toBe("k1");
    expect(jwks.status()).toMatchObject({ state: "fresh", consecutiveFailures: 0 });
  });

  it("during an outage lookups get the stale set at once; retries run behind them", async () => {
    let hang = false;
    env.server.route("/jwks", (req, res) => {
      if (hang) return; // never answers
      json({ keys: [ecJwk({ kid: "k1" })] })(req, res);
    });
    const jwks = source({ requestTimeoutMs: 300 });
    await jwks.getKey({ kid: "k1" });
    hang = true;
    env.clock.advance(300_000);
    // The first lookup after expiry waits for the refresh (it may have new keys), which times out.
    expect((await jwks.getKey({ kid: "k1" })).kid).toBe("k1");
    expect(jwks.status().lastError?.code).toBe("ERR_REMOTE_JWKS_TIMEOUT");
    env.clock.advance(2_000); // past the backoff: the retry runs in the background
    await jwks.getKey({ kid: "k1" });
    expect(jwks.status()).toMatchObject({ inFlight: true, requests: 3 });
  });

  it("a bad response keeps the last good set in service", async () => {
    let body = JSON.stringify({ keys: [ecJwk({ kid: "k1" })] });
    env.server.route("/jwks", (_req, res) => res.writeHead(200).end(body));
    const jwks = source();
    await jwks.getKey({ kid: "k1" });
    body = "<html>maintenance</html>";
    env.clock.advance(300_000);
    expect((await jwks.getKey({ kid: "k1" })).kid).toBe("k1");
    expect(jwks.status()).toMatchObject({ state: "stale", lastError: { code: "ERR_REMOTE_JWKS_INVALID" } });
  });

  it("staleWindowMs: 0 serves nothing past the TTL", async () => {
    let failing = false;
    env.server.route("/jwks", (req, res) =>
      failing ? res.writeHead(502).end() : json({ keys: [ecJwk({ kid: "k1" })] })(req, res),
    );
    const jwks = source({ staleWindowMs: 0 });
    await jwks.getKey({ kid: "k1" });
    failing = true;
    env.clock.advance(300_000);
    await expect(jwks.getKey({ kid: "k1" })).rejects.toMatchObject({ status: 502 });
  });
});

describe("callbacks", () => {
  it("a throwing callback is reported to onError and breaks nothing", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k1" })] }));
    const reported: [unknown, unknown][] = [];
    const jwks = source({
      onChange: () => {
        throw new Error("listener bug");
      },
      onError: (error, context) => reported.push([error, context]),
    });
    expect((await jwks.getKey({ kid: "k1" })).kid).toBe("k1");
    expect(reported).toEqual([[new Error("listener bug"), { during: "callback" }]]);
  });
});
