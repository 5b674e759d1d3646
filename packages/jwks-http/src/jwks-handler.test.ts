import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ProviderUnavailableError, type Jwks, type KeyProvider } from "@keyprovider/core";
import { LocalKeyProvider } from "@keyprovider/local";
import { SignJWT, createRemoteJWKSet, importPKCS8, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJwksHandler, toNodeHandler, type JwksHandlerOptions } from "./index.js";

const servers: Server[] = [];
async function serve(provider: KeyProvider, options?: JwksHandlerOptions): Promise<string> {
  const server = createServer(toNodeHandler(createJwksHandler(provider, options)));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
}
afterAll(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A provider whose jwks() is scripted; every other method is unused here. */
function scripted(jwks: () => Promise<Jwks>): KeyProvider & { calls: number } {
  const provider = {
    name: "ScriptedKeyProvider",
    calls: 0,
    jwks: async () => {
      provider.calls += 1;
      return jwks();
    },
  };
  return provider as unknown as KeyProvider & { calls: number };
}

describe("createJwksHandler over node:http", () => {
  const provider = new LocalKeyProvider();
  let url: string;
  let kid: string;

  beforeAll(async () => {
    ({ kid } = await provider.createKey({ alg: "ED25519", exportPolicy: "secret_when_allowed" }));
    await provider.createKey({ alg: "AES256_GCM" }); // never published
    url = await serve(provider, { reuseMs: 0 });
  });

  it("serves the JWK Set with its media type, a strong ETag and Cache-Control", async () => {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/jwk-set+json");
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    expect(response.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const body = (await response.json()) as Jwks;
    expect(body).toEqual(await provider.jwks({ allVersions: true }));
    expect(body.keys.map((jwk) => jwk.kid)).toEqual([`${kid}.1`]);
  });

  it("answers 304 to a matching If-None-Match, weak or in a list, and 200 otherwise", async () => {
    const etag = (await fetch(url)).headers.get("etag")!;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const response = await fetch(url, { headers: { "If-None-Match": header } });
      expect(response.status, header).toBe(304);
      expect(response.headers.get("etag")).toBe(etag);
      expect(await response.text()).toBe("");
    }
    expect((await fetch(url, { headers: { "If-None-Match": '"stale"' } })).status).toBe(200);
  });

  it("publishes every live version by default, so tokens from before a rotation keep verifying", async () => {
    const pem = new TextDecoder().decode((await provider.getKey(kid, 1, { includeSecret: true })).material);
    const token = await new SignJWT({ sub: "u1" })
      .setProtectedHeader({ alg: "EdDSA", kid: `${kid}.1` })
      .setExpirationTime("5m")
      .sign(await importPKCS8(pem, "EdDSA"));
    const before = (await fetch(url)).headers.get("etag");
    await provider.rotateKey(kid);
    const after = await fetch(url);
    expect(after.headers.get("etag")).not.toBe(before);
    expect(((await after.json()) as Jwks).keys.map((jwk) => jwk.kid)).toEqual([`${kid}.1`, `${kid}.2`]);
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(url)));
    expect(payload.sub).toBe("u1");
  });

  it("answers HEAD without a body and refuses other methods with 405 and Allow", async () => {
    const head = await fetch(url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toMatch(/^"/);
    expect(await head.text()).toBe("");
    for (const method of ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const response = await fetch(url, { method });
      expect(response.status, method).toBe(405);
      expect(response.headers.get("allow")).toBe("GET, HEAD");
    }
  });
});

describe("failures are 503, never an empty set", () => {
  it("answers 503 with Retry-After and no-store when the provider fails, and tells onError", async () => {
    const errors: unknown[] = [];
    const url = await serve(
      scripted(async () => {
        throw new ProviderUnavailableError("KMS is down");
      }),
      { onError: (error) => errors.push(error), retryAfterSeconds: 7 },
    );
    const response = await fetch(url);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({ error: "jwks_unavailable" });
    expect(ProviderUnavailableError.isInstance(errors[0])).toBe(true);
  });

  it("gives up on a provider that never answers, within timeoutMs", async () => {
    const url = await serve(
      scripted(() => new Promise<Jwks>(() => {})),
      { timeoutMs: 50 },
    );
    expect((await fetch(url)).status).toBe(503);
  });

  it("refuses to publish a set that carries a private member", async () => {
    const url = await serve(
      scripted(async () => ({
        keys: [
          { kty: "OKP", crv: "Ed25519", x: "x", d: "secret", kid: "k.1", alg: "EdDSA", use: "sig" } as never,
        ],
      })),
    );
    const response = await fetch(url);
    expect(response.status).toBe(503);
    expect(await response.text()).not.toContain("secret");
  });
});

describe("load", () => {
  it("shares one provider call among concurrent requests and reuses it for reuseMs", async () => {
    let clock = 0;
    const provider = scripted(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { keys: [] };
    });
    const handler = createJwksHandler(provider, { now: () => clock, reuseMs: 1_000 });
    const request = () => handler(new Request("http://localhost/jwks"));
    const answers = await Promise.all(Array.from({ length: 200 }, request));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(provider.calls).toBe(1);
    clock = 999;
    await request();
    expect(provider.calls).toBe(1);
    clock = 1_000;
    await request();
    expect(provider.calls).toBe(2);
  });
});

describe("options", () => {
  it("are validated once, up front", () => {
    const provider = new LocalKeyProvider();
    expect(() => createJwksHandler({} as KeyProvider)).toThrow(TypeError);
    expect(() => createJwksHandler(provider, { maxAgeSeconds: -1 })).toThrow(RangeError);
    expect(() => createJwksHandler(provider, { maxAgeSeconds: "300" as never })).toThrow(TypeError);
    expect(() => createJwksHandler(provider, { cacheTtl: 1 } as never)).toThrow(/unknown option/);
    expect(() => createJwksHandler(provider, { allowOrigin: 3 as never })).toThrow(TypeError);
  });

  it("set max-age, the origin and what is published", async () => {
    const provider = new LocalKeyProvider();
    const { kid } = await provider.createKey({ alg: "ES256" });
    await provider.rotateKey(kid);
    await provider.destroyKey(kid, 1);
    const staged = await provider.rotateKey(kid, { activate: false });
    const handler = createJwksHandler(provider, { maxAgeSeconds: 60, allowOrigin: null, allVersions: false });
    const response = await handler(new Request("http://localhost/jwks"));
    expect(response.headers.get("cache-control")).toBe("public, max-age=60");
    expect(response.headers.has("access-control-allow-origin")).toBe(false);
    expect(((await response.json()) as Jwks).keys.map((jwk) => jwk.kid)).toEqual([
      `${kid}.2`,
      `${kid}.${staged.version}`,
    ]);
  });
});
