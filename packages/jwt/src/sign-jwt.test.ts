import { KeyNotFoundError, KeyUsageError, NotSupportedError } from "@keyprovider/core";
import { InMemoryKeyProvider } from "@keyprovider/inmemory";
import { LocalKeyProvider } from "@keyprovider/local";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { providerCalls, splitToken } from "../test/fixtures.js";
import { signJwt } from "./sign-jwt.js";
import { verifyJwt } from "./verify-jwt.js";

const provider = new LocalKeyProvider();
let kid: string;
beforeAll(async () => {
  kid = (await provider.createKey({ alg: "EdDSA" })).kid; // exportPolicy defaults to "none"
});
afterEach(() => {
  vi.useRealTimers();
});

describe("signJwt", () => {
  it("signs with a key whose exportPolicy is none, in one getKey and one sign", async () => {
    expect((await provider.getKey(kid)).exportPolicy).toBe("none");
    let token = "";
    const { calls, error } = await providerCalls(async () => {
      token = await signJwt(provider, kid, { sub: "user-1" }, { expiresIn: "5m" });
    });
    expect(error).toBeUndefined();
    expect(calls).toEqual(["getKey", "sign"]);
    const { payload } = await jwtVerify(token, createLocalJWKSet(await provider.jwks()));
    expect(payload.sub).toBe("user-1");
  });

  it("signs HMAC tokens with a non-exportable in-memory secret, which verifyJwt checks through the provider", async () => {
    const memory = new InMemoryKeyProvider();
    const { kid: hmac } = await memory.createKey({ alg: "HS256" });
    const token = await signJwt(memory, hmac, { n: 1 }, { expiresIn: "1m" });
    expect(splitToken(token).header).toEqual({ alg: "HS256", kid: `${hmac}.1` });
    const { calls } = await providerCalls(() => verifyJwt(memory, token, { keys: [hmac] }));
    expect(calls).toEqual(["getKey", "verify"]);
  });

  it("puts alg, kid of the signing version, typ and extra members in the header", async () => {
    const token = await signJwt(provider, kid, {}, { typ: "at+jwt", header: { cty: "json", "x-tenant": 7 } });
    expect(splitToken(token).header).toEqual({
      alg: "EdDSA",
      kid: `${kid}.1`,
      typ: "at+jwt",
      cty: "json",
      "x-tenant": 7,
    });
  });

  it("signs with the primary by default and with options.version when asked (a staged version)", async () => {
    const local = new LocalKeyProvider();
    const { kid: rotating } = await local.createKey({ alg: "ES256" });
    await local.rotateKey(rotating, { activate: false });
    expect(splitToken(await signJwt(local, rotating, {})).header["kid"]).toBe(`${rotating}.1`);
    const staged = await signJwt(local, rotating, {}, { version: 2, expiresIn: "1m" });
    expect(splitToken(staged).header["kid"]).toBe(`${rotating}.2`);
    expect((await verifyJwt(local, staged, { keys: [rotating] })).key).toEqual({
      kid: rotating,
      version: 2,
      alg: "ES256",
    });
  });

  it("sets the registered claims with jose's time semantics; options win over claims", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    const now = Date.UTC(2030, 0, 1) / 1000;
    const token = await signJwt(
      provider,
      kid,
      { iss: "from-claims", scope: "read" },
      {
        issuer: "https://id.example.com",
        subject: "user-1",
        audience: ["api", "web"],
        jti: "abc",
        issuedAt: true,
        notBefore: "-1m",
        expiresIn: "2h",
      },
    );
    expect(splitToken(token).payload).toEqual({
      iss: "https://id.example.com",
      scope: "read",
      sub: "user-1",
      aud: ["api", "web"],
      jti: "abc",
      iat: now,
      nbf: now - 60,
      exp: now + 7200,
    });
    const absolute = splitToken(
      await signJwt(
        provider,
        kid,
        {},
        { issuedAt: now - 5, notBefore: new Date(now * 1000), expiresAt: now + 9, jti: true },
      ),
    ).payload;
    expect(absolute).toMatchObject({ iat: now - 5, nbf: now, exp: now + 9 });
    expect(absolute["jti"]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(
      splitToken(await signJwt(provider, kid, {}, { expiresAt: new Date(now * 1000 + 60_000) })).payload,
    ).toEqual({
      exp: now + 60,
    });
    expect(splitToken(await signJwt(provider, kid, {}, { issuedAt: false })).payload).toEqual({});
  });

  it("refuses a key that cannot sign JWS with KeyUsageError, before provider.sign is called", async () => {
    const memory = new InMemoryKeyProvider();
    const keys: [LocalKeyProvider | InMemoryKeyProvider, string][] = [
      [provider, (await provider.createKey({ alg: "X25519" })).kid],
      [provider, (await provider.createKey({ alg: "RSA-OAEP-256", sizeBits: 2048 })).kid],
      [provider, (await provider.createKey({ alg: "A256GCM" })).kid],
      [provider, (await provider.createKey({ alg: "ES256", uses: ["verify"] })).kid],
      [memory, (await memory.createKey({ klass: "opaque", alg: "HMAC_SHA256" })).kid],
    ];
    for (const [owner, cannot] of keys) {
      const { calls, error } = await providerCalls(() => signJwt(owner, cannot, {}));
      expect(KeyUsageError.isInstance(error), String(error)).toBe(true);
      expect(error).toMatchObject({ code: "ERR_KEY_USAGE", kid: cannot, version: 1, use: "sign" });
      expect(calls).toEqual(["getKey"]);
    }
  });

  it("passes the provider's own refusals through: unknown kid, public-only key", async () => {
    await expect(signJwt(provider, "0".repeat(32), {})).rejects.toBeInstanceOf(KeyNotFoundError);
    await expect(signJwt(provider, "../etc/passwd", {})).rejects.toBeInstanceOf(KeyNotFoundError);
    const { publicKey } = await import("node:crypto").then((c) => c.generateKeyPairSync("ed25519"));
    const publicOnly = await provider.importKey({ alg: "ED25519" }, undefined, { public: publicKey });
    await expect(signJwt(provider, publicOnly.kid, {})).rejects.toBeInstanceOf(NotSupportedError);
  });

  it("refuses header members that choose or extend verification, and wrong option types, with TypeError", async () => {
    for (const name of ["alg", "kid", "typ", "crit", "b64", "jwk", "jku", "x5u", "x5c"]) {
      await expect(signJwt(provider, kid, {}, { header: { [name]: "x" } })).rejects.toThrow(TypeError);
    }
    const wrong: unknown[] = [
      { expiresIn: 3600 },
      { expiresIn: "2 fortnights" },
      { expiresIn: "1h", expiresAt: 1 },
      { expiresAt: "1h" },
      { notBefore: new Date(Number.NaN) },
      { issuedAt: {} },
      { audience: [] },
      { audience: [1] },
      { issuer: 1 },
      { jti: false },
      { typ: "" },
      { header: [] },
      { version: "1" },
      { expiresIn: "1h", misspelt: true },
    ];
    for (const options of wrong) {
      await expect(signJwt(provider, kid, {}, options as never), JSON.stringify(options)).rejects.toThrow(
        TypeError,
      );
    }
    await expect(signJwt(provider, kid, {}, { version: 0 })).rejects.toThrow(RangeError);
    await expect(signJwt(provider, kid, {}, { expiresAt: Number.POSITIVE_INFINITY })).rejects.toThrow(
      RangeError,
    );
    await expect(signJwt(provider, kid, [] as never)).rejects.toThrow(TypeError);
    await expect(signJwt(provider, kid, "claims" as never)).rejects.toThrow(TypeError);
    await expect(signJwt(provider, 42 as never, {})).rejects.toThrow(TypeError);
    await expect(signJwt({} as never, kid, {})).rejects.toThrow(TypeError);
  });

  it("rejects at once with the signal's reason when it has already fired", async () => {
    const reason = new Error("stop");
    await expect(signJwt(provider, kid, {}, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });
});
