import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { type FetchFunction, type RemoteJwksChange } from "../src/index.js";
import { ecJwk, json } from "./support/server.js";
import { useJwksServer } from "./support/context.js";

const env = useJwksServer();
const source = env.source;

describe("status()", () => {
  it("describes an empty, a fresh and a failing source", async () => {
    let failing = false;
    env.server.route("/jwks", (req, res) =>
      failing
        ? res.writeHead(503).end()
        : json({ keys: [ecJwk({ kid: "k1" }), { kty: "oct", k: "AA" }] }, { etag: '"e"' })(req, res),
    );
    const jwks = source({ backoffJitter: false });
    expect(jwks.status()).toEqual({
      url: `${env.server.origin}/jwks`,
      issuer: undefined,
      state: "empty",
      keyCount: 0,
      skipped: { private: 0, symmetric: 0, unsupported: 0, invalid: 0 },
      etag: undefined,
      lastModified: undefined,
      lastFetchAt: undefined,
      lastSuccessAt: undefined,
      expiresAt: undefined,
      staleUntil: undefined,
      lastError: undefined,
      consecutiveFailures: 0,
      nextAttemptAt: undefined,
      requests: 0,
      inFlight: false,
    });
    const start = env.clock.now();
    await jwks.refresh();
    expect(jwks.status()).toMatchObject({
      state: "fresh",
      keyCount: 1,
      skipped: { symmetric: 1 },
      etag: '"e"',
      lastFetchAt: start,
      lastSuccessAt: start,
      expiresAt: start + 300_000,
      staleUntil: start + 300_000 + 3_600_000,
      requests: 1,
    });
    failing = true;
    env.clock.advance(300_000);
    await jwks.refresh().catch(() => undefined);
    const status = jwks.status();
    expect(status).toMatchObject({
      state: "stale",
      lastFetchAt: env.clock.now(),
      lastSuccessAt: start,
      consecutiveFailures: 1,
      nextAttemptAt: env.clock.now() + 1_000,
      lastError: { code: "ERR_REMOTE_JWKS_HTTP_STATUS", status: 503 },
      requests: 2,
    });
    expect(status.lastError?.message).toContain("answered HTTP 503");
    expect(Object.isFrozen(status)).toBe(true);
  });
});

describe("onChange", () => {
  it("reports added and removed keys on rotation, and nothing on an unchanged set", async () => {
    const a = ecJwk({ kid: "k.1" });
    const b = ecJwk({ kid: "k.2" });
    let keys = [a];
    env.server.route("/jwks", (req, res) => json({ keys })(req, res));
    const changes: RemoteJwksChange[] = [];
    const jwks = source({ onChange: (change) => changes.push(change) });
    await jwks.refresh();
    await jwks.refresh({ force: true });
    keys = [a, b];
    await jwks.refresh({ force: true });
    keys = [b];
    await jwks.refresh({ force: true });
    const summary = changes.map(({ added, removed }) => ({
      added: added.map((key) => key.jwk.kid),
      removed: removed.map((key) => key.jwk.kid),
    }));
    expect(summary).toEqual([
      { added: ["k.1"], removed: [] },
      { added: ["k.2"], removed: [] },
      { added: [], removed: ["k.1"] },
    ]);
  });
});

describe("requests", () => {
  it("identify the client with a default User-Agent and ask for a JWK Set", async () => {
    env.server.route("/jwks", json({ keys: [] }));
    await source().refresh();
    const { version } = JSON.parse(
      readFileSync(fileURLToPath(new URL("../package.json", import.meta.url)), "utf8"),
    ) as { version: string };
    expect(env.server.seen[0]!.headers["user-agent"]).toBe(`keyprovider-remote-jwks/${version}`);
    expect(env.server.seen[0]!.headers["accept"]).toContain("application/jwk-set+json");
  });

  it("use a configured User-Agent and a pluggable fetch", async () => {
    env.server.route("/jwks", json({ keys: [] }));
    const calls: string[] = [];
    const instrumented: FetchFunction = (url, init) => {
      calls.push(`${init.method} ${url}`);
      return fetch(url, init);
    };
    await source({ userAgent: "my-api/1.2", fetch: instrumented }).refresh();
    expect(calls).toEqual([`GET ${env.server.origin}/jwks`]);
    expect(env.server.seen[0]!.headers["user-agent"]).toBe("my-api/1.2");
  });
});

describe("timers", () => {
  const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));

  it.runIf(existsSync(dist))(
    "an open source with a refresh-ahead timer does not keep the process alive",
    async () => {
      env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k1" })] }));
      const script = `
      import { RemoteJwksSource } from ${JSON.stringify(dist)};
      const source = new RemoteJwksSource({ jwksUrl: ${JSON.stringify(`${env.server.origin}/jwks`)}, allowInsecureHttp: true });
      await source.getKey({ kid: "k1" });
      console.log(source.status().state);
    `;
      const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
        timeout: 20_000,
      });
      expect(stdout.trim()).toBe("fresh");
    },
  );

  it("close() stops background refreshes", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k1" })] }, { "cache-control": "max-age=1" }));
    const jwks = source({ clock: { now: () => Date.now() }, minCacheTtlMs: 100, refreshAheadMs: 50 });
    await jwks.getKey({ kid: "k1" });
    jwks.close();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(env.server.count()).toBe(1);
    // Lookups still work, on demand.
    expect((await jwks.getKey({ kid: "k1" })).kid).toBe("k1");
  });
});
