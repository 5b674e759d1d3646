import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { OperationTrace } from "@keyprovider/base";
import { ProviderNotFoundError, createRegistry, FIRST_PARTY_PROVIDERS } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import remoteJwks, {
  RemoteJwksKeyProvider,
  type RemoteJwksChange,
  type RemoteJwksEvents,
  type RemoteJwksStaleEvent,
} from "../src/index.js";
import { useIssuer } from "./support/issuer.js";
import { ecJwk, json } from "./support/server.js";

const env = useIssuer();

describe("status, refresh and events of the remote set", () => {
  it("status() and refresh({ force }) are the engine's", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k" })] }, { etag: '"v1"' }));
    const provider = env.provider();
    expect(provider.status()).toMatchObject({ state: "empty", requests: 0, url: `${env.origin}/jwks` });
    await provider.refresh();
    await provider.refresh(); // fresh: no request
    expect(provider.status()).toMatchObject({ state: "fresh", keyCount: 1, etag: '"v1"', requests: 1 });
    await provider.refresh({ force: true });
    expect(provider.status().requests).toBe(2);
  });

  it("change, stale and error events reach the listeners and the option callbacks", async () => {
    let down = false;
    env.server.route("/jwks", (_req, res) => {
      if (down) return void res.writeHead(503).end();
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ keys: [ecJwk({ kid: "k" })] }));
    });
    const seen: string[] = [];
    const provider = env.provider({
      onChange: () => seen.push("option:change"),
      onStale: () => seen.push("option:stale"),
      onError: (_error, { during }) => seen.push(`option:error:${during}`),
    });
    const events: {
      change: RemoteJwksChange[];
      stale: RemoteJwksStaleEvent[];
      error: RemoteJwksEvents["error"][];
    } = { change: [], stale: [], error: [] };
    provider.on("change", (event) => {
      seen.push("listener:change");
      events.change.push(event);
    });
    provider.on("stale", (event) => {
      seen.push("listener:stale");
      events.stale.push(event);
    });
    provider.on("error", (event) => {
      seen.push("listener:error");
      events.error.push(event);
    });
    await provider.getKey("k");
    down = true;
    env.clock.advance(300_000);
    await provider.getKey("k"); // the expired set stays in service while the endpoint fails
    expect(seen).toEqual([
      "option:change",
      "listener:change",
      "option:error:fetch",
      "listener:error",
      "option:stale",
      "listener:stale",
    ]);
    expect(events.change[0]?.added.map((key) => key.kid)).toEqual(["k"]);
    expect(events.error[0]).toMatchObject({
      during: "fetch",
      error: { code: "ERR_REMOTE_JWKS_HTTP_STATUS" },
    });
    expect(events.stale[0]?.error.status).toBe(503);
  });

  it("a listener that throws is reported as an error event, and the others still run; on() returns its remover", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k" })] }));
    const provider = env.provider();
    const errors: RemoteJwksEvents["error"][] = [];
    let second = 0;
    provider.on("change", () => {
      throw new Error("listener bug");
    });
    const off = provider.on("change", () => (second += 1));
    provider.on("error", (event) => errors.push(event));
    await provider.refresh();
    expect(second).toBe(1);
    expect(errors).toMatchObject([{ during: "callback", error: { message: "listener bug" } }]);
    off();
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "k2" })] }));
    await provider.refresh({ force: true });
    expect(second).toBe(1);
    expect(() => provider.on("nonsense" as never, () => undefined)).toThrow(TypeError);
    expect(() => provider.on("change", "nope" as never)).toThrow(TypeError);
  });

  it("traces its calls as RemoteJwksKeyProvider on node:diagnostics_channel", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "remote" })] }));
    const provider = env.provider();
    const traces: OperationTrace[] = [];
    const onStart = (message: unknown) => traces.push(message as OperationTrace);
    subscribe("tracing:keyprovider:getKey:start", onStart);
    try {
      const { kid } = await provider.createKey({ alg: "ES256" });
      await provider.getKey(kid);
      await provider.getKey("remote");
    } finally {
      unsubscribe("tracing:keyprovider:getKey:start", onStart);
    }
    expect(traces.map((trace) => [trace.provider, trace.kid])).toEqual([
      ["RemoteJwksKeyProvider", expect.any(String)],
      ["LocalKeyProvider", traces[0]!.kid],
      ["RemoteJwksKeyProvider", "remote"],
    ]);
  });
});

describe("options and registration", () => {
  it("validates its one options object up front", () => {
    expect(() => new RemoteJwksKeyProvider(undefined as never)).toThrow(TypeError);
    expect(() => new RemoteJwksKeyProvider("https://idp.example" as never)).toThrow(TypeError);
    expect(() => new RemoteJwksKeyProvider({})).toThrow(/exactly one of jwksUrl and issuer/);
    expect(
      () => new RemoteJwksKeyProvider({ jwksUrl: "https://idp.example/jwks", onChange: 1 } as never),
    ).toThrow(TypeError);
    expect(
      () => new RemoteJwksKeyProvider({ jwksUrl: "https://idp.example/jwks", kind: "x" } as never),
    ).toThrow(/unknown option/);
    expect(() => new RemoteJwksKeyProvider({ jwksUrl: "http://idp.example/jwks" })).toThrow(/https:/);
    const inherited = Object.create({ allowInsecureHttp: true }) as Record<string, unknown>;
    inherited["jwksUrl"] = "http://idp.example/jwks";
    expect(() => new RemoteJwksKeyProvider(inherited)).toThrow(/https:/);
  });

  it("is in the registry as RemoteJwksKeyProvider and remote-jwks, and supports local algorithms plus remote", async () => {
    const registry = createRegistry({ providers: [remoteJwks] });
    const provider = await registry.create("remote-jwks", {
      jwksUrl: `${env.origin}/jwks`,
      allowInsecureHttp: true,
    });
    expect(provider).toBeInstanceOf(RemoteJwksKeyProvider);
    expect(provider.name).toBe("RemoteJwksKeyProvider");
    expect(provider.supports().features).toEqual(
      expect.arrayContaining(["create", "sign", "jwks", "remote"]),
    );
    expect(provider.supports().algs).toContain("RSA_PKCS1_SHA256");
    expect(registry.list()).toEqual(["RemoteJwksKeyProvider", "remote-jwks"]);
    const entry = FIRST_PARTY_PROVIDERS.find((candidate) => candidate.name === "RemoteJwksKeyProvider");
    expect(entry).toEqual({
      name: "RemoteJwksKeyProvider",
      aliases: ["remote-jwks"],
      packageName: "@keyprovider/remote-jwks",
    });
    const missing = await createRegistry()
      .create("remote-jwks" as never)
      .catch((e: unknown) => e);
    expect(ProviderNotFoundError.isInstance(missing) && missing.message).toContain(
      "Install @keyprovider/remote-jwks",
    );
  });
});
