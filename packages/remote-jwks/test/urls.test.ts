import { RemoteJwksError } from "@keyprovider/core";
import { beforeEach, describe, expect, it } from "vitest";
import { RemoteJwksSource, type RemoteJwksSourceOptions } from "../src/index.js";
import { ecJwk, json } from "./support/server.js";
import { useJwksServer, useTlsServer } from "./support/context.js";

const env = useJwksServer();
const source = env.source;

function constructionError(options: RemoteJwksSourceOptions): unknown {
  try {
    new RemoteJwksSource(options);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("the URL rule at construction", () => {
  it("refuses an http: jwksUrl without allowInsecureHttp, before any request", () => {
    env.server.route("/jwks", json({ keys: [] }));
    const error = constructionError({ jwksUrl: `${env.server.origin}/jwks` });
    expect(RemoteJwksError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: "ERR_REMOTE_JWKS_INSECURE_URL",
      message: expect.stringContaining("allowInsecureHttp"),
    });
    expect(env.server.count()).toBe(0);
  });

  it.each([
    "ftp://example.com/jwks",
    "file:///etc/jwks.json",
    "data:application/json,{}",
    "javascript:alert(1)",
  ])("refuses %s even with allowInsecureHttp", (url) => {
    expect(constructionError({ jwksUrl: url, allowInsecureHttp: true })).toMatchObject({
      code: "ERR_REMOTE_JWKS_INSECURE_URL",
    });
  });

  it("refuses credentials in the URL without echoing them", () => {
    const error = constructionError({ jwksUrl: "https://user:hunter2@example.com/jwks" }) as Error;
    expect(error).toMatchObject({ code: "ERR_REMOTE_JWKS_INSECURE_URL", url: "https://example.com/jwks" });
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain("hunter2");
  });

  it("refuses an http: issuer without the opt-in", () => {
    expect(constructionError({ issuer: "http://login.example.com" })).toMatchObject({
      code: "ERR_REMOTE_JWKS_INSECURE_URL",
    });
  });

  it("constructs an https source without any I/O", () => {
    expect(() => new RemoteJwksSource({ jwksUrl: "https://login.example.com/jwks" })).not.toThrow();
  });
});

describe("redirects", () => {
  beforeEach(() => {
    env.server.route("/old", (_req, res) => res.writeHead(301, { location: "/jwks" }).end());
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k1" })] }));
  });

  it("are refused by default", async () => {
    const jwks = source({ jwksUrl: `${env.server.origin}/old`, allowInsecureHttp: true });
    await expect(jwks.refresh()).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_HTTP_STATUS",
      status: 301,
      message: expect.stringContaining("followRedirects"),
    });
    expect(env.server.count("/jwks")).toBe(0);
  });

  it("are followed with followRedirects: true", async () => {
    const jwks = source({
      jwksUrl: `${env.server.origin}/old`,
      allowInsecureHttp: true,
      followRedirects: true,
    });
    expect((await jwks.getKey({ kid: "k1" })).kid).toBe("k1");
    expect(jwks.status().requests).toBe(2);
  });

  it("stop after maxRedirects", async () => {
    env.server.route("/loop", (_req, res) => res.writeHead(302, { location: "/loop" }).end());
    const jwks = source({
      jwksUrl: `${env.server.origin}/loop`,
      allowInsecureHttp: true,
      followRedirects: true,
      maxRedirects: 2,
    });
    await expect(jwks.refresh()).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_HTTP_STATUS",
      message: expect.stringContaining("more than maxRedirects (2)"),
    });
    expect(env.server.count("/loop")).toBe(3);
  });

  it.each(["file:///etc/passwd", "ftp://127.0.0.1/jwks"])(
    "refuse a target (%s) that breaks the URL rule",
    async (target) => {
      env.server.route("/evil", (_req, res) => res.writeHead(302, { location: target }).end());
      const jwks = source({
        jwksUrl: `${env.server.origin}/evil`,
        allowInsecureHttp: true,
        followRedirects: true,
      });
      await expect(jwks.refresh()).rejects.toMatchObject({ code: "ERR_REMOTE_JWKS_INSECURE_URL" });
    },
  );

  it("refuse a redirect without a Location", async () => {
    env.server.route("/nowhere", (_req, res) => res.writeHead(302).end());
    const jwks = source({
      jwksUrl: `${env.server.origin}/nowhere`,
      allowInsecureHttp: true,
      followRedirects: true,
    });
    await expect(jwks.refresh()).rejects.toMatchObject({ code: "ERR_REMOTE_JWKS_HTTP_STATUS", status: 302 });
  });
});

describe("redirects from https", () => {
  const tls = useTlsServer();

  it("refuse an https to http downgrade unless allowInsecureHttp", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k1" })] }));
    tls.server.route("/jwks", (_req, res) =>
      res.writeHead(302, { location: `${env.server.origin}/jwks` }).end(),
    );
    const jwks = source({
      jwksUrl: `${tls.server.origin}/jwks`,
      allowInsecureHttp: false,
      followRedirects: true,
      fetch: tls.fetch,
    });
    await expect(jwks.refresh()).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_INSECURE_URL",
      message: expect.stringContaining("redirect target"),
    });
    expect(env.server.count()).toBe(0);
  });
});
