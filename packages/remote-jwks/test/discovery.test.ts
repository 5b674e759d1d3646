import { describe, expect, it } from "vitest";
import { ecJwk, json } from "./support/server.js";
import { useJwksServer, useTlsServer } from "./support/context.js";

const env = useJwksServer({ backoffJitter: false });
const source = env.source;

describe("OpenID Connect Discovery", () => {
  it("finds the jwks_uri when the document's issuer matches exactly", async () => {
    const issuer = `${env.server.origin}/tenant`;
    env.server.route(
      "/tenant/.well-known/openid-configuration",
      json({ issuer, jwks_uri: `${env.server.origin}/keys` }),
    );
    env.server.route("/keys", json({ keys: [ecJwk({ kid: "k1" })] }));
    const jwks = source({ issuer });
    expect(jwks.status().url).toBeUndefined();
    expect((await jwks.getKey({ kid: "k1" })).kid).toBe("k1");
    expect(jwks.status()).toMatchObject({ url: `${env.server.origin}/keys`, issuer, requests: 2 });
    // The discovered URL is kept: a refresh is one request.
    await jwks.refresh({ force: true });
    expect(jwks.status().requests).toBe(3);
  });

  it("removes a trailing slash of the issuer before the suffix", async () => {
    const issuer = `${env.server.origin}/tenant/`;
    env.server.route(
      "/tenant/.well-known/openid-configuration",
      json({ issuer, jwks_uri: `${env.server.origin}/keys` }),
    );
    env.server.route("/keys", json({ keys: [] }));
    await source({ issuer }).refresh();
    expect(env.server.count("/tenant/.well-known/openid-configuration")).toBe(1);
  });

  it.each([
    ["another issuer", (origin: string) => `${origin}/other`],
    ["a trailing slash", (origin: string) => `${origin}/tenant/`],
    ["no issuer", () => undefined],
  ])("refuses a document for %s (ERR_REMOTE_JWKS_ISSUER_MISMATCH)", async (_name, claimed) => {
    const issuer = `${env.server.origin}/tenant`;
    env.server.route(
      "/tenant/.well-known/openid-configuration",
      json({ issuer: claimed(env.server.origin), jwks_uri: `${env.server.origin}/keys` }),
    );
    env.server.route("/keys", json({ keys: [] }));
    await expect(source({ issuer }).refresh()).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_ISSUER_MISMATCH",
      url: `${env.server.origin}/tenant/.well-known/openid-configuration`,
    });
    expect(env.server.count("/keys")).toBe(0);
  });

  it("refuses a document without a usable jwks_uri", async () => {
    const issuer = env.server.origin;
    env.server.route("/.well-known/openid-configuration", json({ issuer, jwks_uri: 42 }));
    await expect(source({ issuer }).refresh()).rejects.toMatchObject({ code: "ERR_REMOTE_JWKS_INVALID" });
  });

  it("discovers again when the jwks_uri answers with an HTTP error", async () => {
    const issuer = env.server.origin;
    let jwksPath = "/keys-1";
    env.server.route("/.well-known/openid-configuration", (req, res) =>
      json({ issuer, jwks_uri: `${env.server.origin}${jwksPath}` })(req, res),
    );
    env.server.route("/keys-1", json({ keys: [ecJwk({ kid: "k1" })] }));
    const jwks = source({ issuer });
    await jwks.refresh();
    jwksPath = "/keys-2"; // the identity provider moves its keys; /keys-1 is gone
    env.server.route("/keys-1", (_req, res) => res.writeHead(404).end());
    env.server.route("/keys-2", json({ keys: [ecJwk({ kid: "k2" })] }));
    await expect(jwks.refresh({ force: true })).rejects.toMatchObject({ status: 404 });
    await jwks.refresh({ force: true });
    expect((await jwks.getKey({ kid: "k2" })).kid).toBe("k2");
    expect(jwks.status().url).toBe(`${env.server.origin}/keys-2`);
  });
});

describe("RFC 8414 fallback", () => {
  it("inserts the well-known path before the issuer's path when OIDC discovery answers 404", async () => {
    const issuer = `${env.server.origin}/realms/main`;
    env.server.route(
      "/.well-known/oauth-authorization-server/realms/main",
      json({ issuer, jwks_uri: `${env.server.origin}/keys` }),
    );
    env.server.route("/keys", json({ keys: [ecJwk({ kid: "k1" })] }));
    const jwks = source({ issuer });
    expect((await jwks.getKey({ kid: "k1" })).kid).toBe("k1");
    expect(env.server.seen.map((request) => request.path)).toEqual([
      "/realms/main/.well-known/openid-configuration",
      "/.well-known/oauth-authorization-server/realms/main",
      "/keys",
    ]);
  });

  it("refuses an RFC 8414 document for another issuer", async () => {
    const issuer = env.server.origin;
    env.server.route(
      "/.well-known/oauth-authorization-server",
      json({ issuer: "https://attacker.example", jwks_uri: `${env.server.origin}/keys` }),
    );
    await expect(source({ issuer }).refresh()).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_ISSUER_MISMATCH",
      message: expect.stringContaining('"https://attacker.example"'),
    });
  });

  it("does not fall back on a server error", async () => {
    const issuer = env.server.origin;
    env.server.route("/.well-known/openid-configuration", (_req, res) => res.writeHead(503).end());
    await expect(source({ issuer }).refresh()).rejects.toMatchObject({ status: 503 });
    expect(env.server.count("/.well-known/oauth-authorization-server")).toBe(0);
  });

  it("remembers which document answered", async () => {
    const issuer = env.server.origin;
    env.server.route(
      "/.well-known/oauth-authorization-server",
      json({ issuer, jwks_uri: `${env.server.origin}/gone` }),
    );
    const jwks = source({ issuer });
    await expect(jwks.refresh()).rejects.toMatchObject({ status: 404 }); // /gone
    env.clock.advance(1_000);
    await expect(jwks.refresh()).rejects.toMatchObject({ status: 404 });
    expect(env.server.count("/.well-known/openid-configuration")).toBe(1);
    expect(env.server.count("/.well-known/oauth-authorization-server")).toBe(2);
  });
});

describe("discovered URLs pass the URL rule", () => {
  const tls = useTlsServer();

  it("refuses an http: jwks_uri from an https: issuer", async () => {
    const issuer = tls.server.origin;
    tls.server.route(
      "/.well-known/openid-configuration",
      json({ issuer, jwks_uri: `${env.server.origin}/keys` }),
    );
    env.server.route("/keys", json({ keys: [] }));
    const jwks = source({ issuer, allowInsecureHttp: false, fetch: tls.fetch });
    await expect(jwks.refresh()).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_INSECURE_URL",
      message: expect.stringContaining("discovered jwks_uri"),
    });
    expect(env.server.count()).toBe(0);
  });

  it("accepts an https: jwks_uri", async () => {
    const issuer = tls.server.origin;
    tls.server.route("/.well-known/openid-configuration", json({ issuer, jwks_uri: `${issuer}/keys` }));
    tls.server.route("/keys", json({ keys: [ecJwk({ kid: "tls" })] }));
    const jwks = source({ issuer, allowInsecureHttp: false, fetch: tls.fetch });
    expect((await jwks.getKey({ kid: "tls" })).kid).toBe("tls");
  });
});
