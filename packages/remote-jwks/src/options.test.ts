import { describe, expect, it } from "vitest";
import { RemoteJwksSource, type RemoteJwksSourceOptions } from "./index.js";

const base = { jwksUrl: "https://login.example.com/jwks" } as const;

function create(options: unknown): RemoteJwksSource {
  return new RemoteJwksSource(options as RemoteJwksSourceOptions);
}

describe("RemoteJwksSource options", () => {
  it("needs exactly one of jwksUrl and issuer", () => {
    expect(() => create(undefined)).toThrow(TypeError);
    expect(() => create({})).toThrow(/exactly one of jwksUrl and issuer/);
    expect(() => create({ ...base, issuer: "https://login.example.com" })).toThrow(TypeError);
  });

  it("accepts a URL object and an issuer", () => {
    expect(create({ jwksUrl: new URL(base.jwksUrl) }).status().url).toBe(base.jwksUrl);
    expect(create({ issuer: "https://login.example.com/tenant" }).status()).toMatchObject({
      url: undefined,
      issuer: "https://login.example.com/tenant",
    });
  });

  it.each([
    [{ jwksUrl: 42 }, TypeError],
    [{ jwksUrl: "/relative" }, TypeError],
    [{ issuer: 42 }, TypeError],
    [{ issuer: "https://login.example.com?tenant=a" }, TypeError],
    [{ issuer: "https://login.example.com#x" }, TypeError],
    [{ ...base, cacheTtlMs: "300" }, TypeError],
    [{ ...base, cacheTtlMs: 0 }, RangeError],
    [{ ...base, cacheTtlMs: 1.5 }, RangeError],
    [{ ...base, cacheTtlMs: Number.NaN }, TypeError],
    [{ ...base, requestTimeoutMs: -1 }, RangeError],
    [{ ...base, minCacheTtlMs: 10_000, maxCacheTtlMs: 5_000 }, RangeError],
    [{ ...base, backoffInitialMs: 10_000, backoffMaxMs: 5_000 }, RangeError],
    [{ ...base, missRefetchBudget: 101 }, RangeError],
    [{ ...base, maxKeys: 0 }, RangeError],
    [{ ...base, maxBodyBytes: 0 }, RangeError],
    [{ ...base, maxRedirects: 0 }, RangeError],
    [{ ...base, allowInsecureHttp: "yes" }, TypeError],
    [{ ...base, followRedirects: 1 }, TypeError],
    [{ ...base, userAgent: "bad\r\nheader: injected" }, TypeError],
    [{ ...base, userAgent: "" }, TypeError],
    [{ ...base, fetch: "fetch" }, TypeError],
    [{ ...base, clock: Date }, TypeError],
    [{ ...base, clock: { now: 1 } }, TypeError],
    [{ ...base, cache: { get() {} } }, TypeError],
    [{ ...base, onChange: true }, TypeError],
    [{ ...base, cacheTTL: 1 }, TypeError],
  ])("refuses %o with %s", (options, type) => {
    expect(() => create(options)).toThrow(type);
  });

  it("does not read options from the prototype chain", () => {
    const options = Object.create({ allowInsecureHttp: true }) as Record<string, unknown>;
    options["jwksUrl"] = "http://login.example.com/jwks";
    expect(() => create(options)).toThrow(/https: URL/);
  });

  it("validates lookup and refresh arguments as programmer errors", async () => {
    const source = create(base);
    await expect(source.getKey(undefined as never)).rejects.toThrow(TypeError);
    await expect(source.getKey({ kid: 42 } as never)).rejects.toThrow(TypeError);
    await expect(source.getKey({ kid: "" })).rejects.toThrow(TypeError);
    await expect(source.getKey({ kid: "k", version: 0 })).rejects.toThrow(RangeError);
    await expect(source.getKey({ version: 1 })).rejects.toThrow(/needs a kid/);
    await expect(source.getKey({ kid: "k", alg: 256 } as never)).rejects.toThrow(TypeError);
    await expect(source.getKey({ kid: "k", kind: "x" } as never)).rejects.toThrow(/unknown option/);
    await expect(source.getKey({ kid: "k" }, { signal: "abort" } as never)).rejects.toThrow(TypeError);
    await expect(source.refresh({ force: "yes" } as never)).rejects.toThrow(TypeError);
    expect(source.status().requests).toBe(0);
  });
});
