import { InvalidTokenError } from "@keyprovider/core";
import { signJwt, verifyJwt } from "@keyprovider/jwt";
import { LocalKeyProvider } from "@keyprovider/local";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import type { RemoteJwksChange } from "../src/index.js";
import { useIssuer } from "./support/issuer.js";
import { json } from "./support/server.js";

/** jwks-http publishing a LocalKeyProvider's set, and a RemoteJwksKeyProvider reading it (issue 11 item 1). */
const env = useIssuer({ maxAgeSeconds: 120 });

describe("jwks-http and the remote provider together", () => {
  it("honours max-age end to end and revalidates with the ETag: an unchanged set costs a 304", async () => {
    const { kid } = await env.issuer.createKey({ alg: "ES256" });
    const token = await signJwt(env.issuer, kid, {}, { expiresIn: "1h" });
    const provider = env.provider();
    await verifyJwt(provider, token, { keys: [kid] });
    const first = provider.status();
    expect(first.expiresAt! - first.lastSuccessAt!).toBe(120_000);
    expect(first.etag).toMatch(/^"/);

    env.clock.advance(119_000); // still fresh: no request
    await verifyJwt(provider, token, { keys: [kid] });
    expect(env.jwksRequests()).toBe(1);

    env.clock.advance(1_000); // expired: a conditional request, answered 304
    await verifyJwt(provider, token, { keys: [kid] });
    expect(env.jwksRequests()).toBe(2);
    expect(env.server.seen.map((request) => request.headers["if-none-match"])).toEqual([
      undefined,
      first.etag,
    ]);
    const second = provider.status();
    expect([second.etag, second.state, second.lastSuccessAt]).toEqual([first.etag, "fresh", env.clock.now()]);
  });

  it("picks up a rotation at the next refresh, tells the change listeners, and keeps verifying old tokens", async () => {
    const { kid } = await env.issuer.createKey({ alg: "EdDSA" });
    const before = await signJwt(env.issuer, kid, {}, { expiresIn: "1h" });
    const changes: RemoteJwksChange[] = [];
    const provider = env.provider();
    provider.on("change", (change) => changes.push(change));
    await verifyJwt(provider, before, { keys: [kid] });

    await env.issuer.rotateKey(kid);
    const after = await signJwt(env.issuer, kid, {}, { expiresIn: "1h" });
    env.clock.advance(120_000);
    await provider.refresh();
    expect(changes.map(({ added, removed }) => [added.length, removed.length])).toEqual([
      [1, 0],
      [1, 0],
    ]);
    expect((await verifyJwt(provider, after, { keys: [kid] })).key.version).toBe(2);
    expect((await verifyJwt(provider, before, { keys: [kid] })).key.version).toBe(1);
    expect(await provider.listVersions(kid)).toEqual([1, 2]);
    expect(provider.status().keyCount).toBe(2);
  });

  it("a freshly rotated key is found through the kid-miss refetch, and a flood of unknown kids costs no request", async () => {
    const { kid } = await env.issuer.createKey({ alg: "ES256" });
    const provider = env.provider();
    await provider.refresh();
    await env.issuer.rotateKey(kid);
    const rotated = await signJwt(env.issuer, kid, {}, { expiresIn: "1h" });

    // Within missRefetchIntervalMs of the last request, every miss is answered without a request.
    const stranger = new LocalKeyProvider(); // keys nobody publishes
    const unknown = await signJwt(
      stranger,
      (await stranger.createKey({ alg: "ES256" })).kid,
      {},
      {
        expiresIn: "1h",
      },
    );
    const refused = await Promise.allSettled(
      Array.from({ length: 1_000 }, () => verifyJwt(provider, unknown, { keys: "any" })),
    );
    expect(refused.every((r) => r.status === "rejected" && InvalidTokenError.isInstance(r.reason))).toBe(
      true,
    );
    expect(env.jwksRequests()).toBe(1);

    env.clock.advance(5_000);
    const results = await Promise.allSettled(
      Array.from({ length: 1_000 }, () => jwtVerify(rotated, provider.keyResolver())),
    );
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    expect(env.jwksRequests()).toBe(2);

    // Past the interval again, 1 000 tokens with a kid nobody publishes share one refetch.
    env.clock.advance(5_000);
    const forged = await Promise.allSettled(
      Array.from({ length: 1_000 }, () => jwtVerify(unknown, provider.keyResolver())),
    );
    expect(forged.every((r) => r.status === "rejected" && InvalidTokenError.isInstance(r.reason))).toBe(true);
    expect(env.jwksRequests()).toBe(3);
  });
});

describe("OpenID Connect discovery next to jwks-http", () => {
  function serveDiscovery(issuer: string = env.origin): void {
    env.server.route(
      "/.well-known/openid-configuration",
      json({ issuer, jwks_uri: `${env.origin}/jwks`, id_token_signing_alg_values_supported: ["ES256"] }),
    );
  }

  it("finds the JWK Set through the discovery document and expects the issuer in verifyJwt by default", async () => {
    serveDiscovery();
    const { kid } = await env.issuer.createKey({ alg: "ES256" });
    const provider = env.provider({ issuer: env.origin });
    expect(provider.jwtVerification).toEqual({ issuer: env.origin, algOption: true });

    const good = await signJwt(env.issuer, kid, {}, { issuer: env.origin, expiresIn: "5m" });
    expect((await verifyJwt(provider, good, { keys: [kid] })).payload.iss).toBe(env.origin);
    expect(provider.status()).toMatchObject({ url: `${env.origin}/jwks`, issuer: env.origin });
    expect(env.server.count("/.well-known/openid-configuration")).toBe(1);

    const foreign = await signJwt(env.issuer, kid, {}, { issuer: "https://evil.example", expiresIn: "5m" });
    const missing = await signJwt(env.issuer, kid, {}, { expiresIn: "5m" });
    for (const token of [foreign, missing]) {
      await expect(verifyJwt(provider, token, { keys: [kid] })).rejects.toMatchObject({
        code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
        claim: "iss",
      });
    }
    // The caller's issuer option wins.
    const other = await verifyJwt(provider, foreign, { keys: [kid], issuer: "https://evil.example" });
    expect(other.payload.iss).toBe("https://evil.example");
  });

  it("a provider configured by jwksUrl expects no issuer", async () => {
    const { kid } = await env.issuer.createKey({ alg: "ES256" });
    const provider = env.provider();
    expect(provider.jwtVerification.issuer).toBeUndefined();
    const token = await signJwt(env.issuer, kid, {}, { issuer: "https://anyone.example", expiresIn: "5m" });
    await expect(verifyJwt(provider, token, { keys: [kid] })).resolves.toBeDefined();
  });

  it("refuses a discovery document for another issuer", async () => {
    serveDiscovery("https://someone-else.example");
    await env.issuer.createKey({ alg: "ES256" });
    const provider = env.provider({ issuer: env.origin });
    await expect(provider.refresh()).rejects.toMatchObject({ code: "ERR_REMOTE_JWKS_ISSUER_MISMATCH" });
    expect(env.jwksRequests()).toBe(0);
  });
});
