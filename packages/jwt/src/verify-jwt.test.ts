import { generateKeyPairSync } from "node:crypto";
import { InvalidTokenError } from "@keyprovider/core";
import { LocalKeyProvider } from "@keyprovider/local";
import { SignJWT, errors, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { providerCalls } from "../test/fixtures.js";
import { jwtKeyResolver } from "./jwt-key-resolver.js";
import { signJwt } from "./sign-jwt.js";
import { verifyJwt, type VerifyJwtOptions } from "./verify-jwt.js";

const provider = new LocalKeyProvider();
let kid: string;
const NOW = new Date("2030-01-01T00:00:00Z");
const now = NOW.getTime() / 1000;
beforeAll(async () => {
  kid = (await provider.createKey({ alg: "ES256" })).kid;
});

describe("verifyJwt", () => {
  it("returns jose's result shape and the key that verified", async () => {
    const token = await signJwt(provider, kid, { scope: "read" }, { typ: "JWT", expiresAt: now + 60 });
    const result = await verifyJwt<{ scope: string }>(provider, token, { keys: [kid], currentDate: NOW });
    expect(result).toEqual({
      payload: { scope: "read", exp: now + 60 },
      protectedHeader: { alg: "ES256", kid: `${kid}.1`, typ: "JWT" },
      key: { kid, version: 1, alg: "ES256" },
    });
    const typed: string = result.payload.scope;
    expect(typed).toBe("read");
  });

  it("hands every claim option to jose, with jose's meaning", async () => {
    const token = await signJwt(
      provider,
      kid,
      { role: "admin" },
      { typ: "at+jwt", subject: "user-1", issuedAt: now - 120, notBefore: now + 30, expiresAt: now + 600 },
    );
    const verify = (options: Partial<VerifyJwtOptions>) =>
      verifyJwt(provider, token, { keys: [kid], currentDate: NOW, clockTolerance: 60, ...options });
    await expect(verify({})).resolves.toBeDefined(); // nbf 30 s ahead, within 60 s of tolerance
    await expect(verify({ clockTolerance: 0 })).rejects.toMatchObject({
      code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
      claim: "nbf",
    });
    await expect(
      verify({ clockTolerance: "1m", typ: "application/at+jwt", subject: "user-1" }),
    ).resolves.toBeDefined();
    await expect(verify({ typ: "JWT" })).rejects.toMatchObject({ claim: "typ" });
    await expect(verify({ subject: "user-2" })).rejects.toMatchObject({ claim: "sub" });
    await expect(verify({ maxTokenAge: "30s" })).rejects.toBeInstanceOf(errors.JWTExpired);
    await expect(verify({ maxTokenAge: 300 })).resolves.toBeDefined();
    await expect(verify({ requiredClaims: ["role", "sub"] })).resolves.toBeDefined();
    await expect(verify({ requiredClaims: ["jti"] })).rejects.toMatchObject({
      claim: "jti",
      reason: "missing",
    });
    await expect(verify({ audience: "api" })).rejects.toMatchObject({ claim: "aud", reason: "missing" });
    await expect(
      verify({ currentDate: new Date((now + 601) * 1000), clockTolerance: 0 }),
    ).rejects.toBeInstanceOf(errors.JWTExpired);
  });

  it("checks the options up front: wrong types are TypeError before any provider call", async () => {
    const token = await signJwt(provider, kid, {}, { expiresIn: "5m" });
    const wrong: unknown[] = [
      { keys: "any", issuer: 1 },
      { keys: "any", audience: [] },
      { keys: "any", subject: "" },
      { keys: "any", typ: 1 },
      { keys: "any", clockTolerance: "soon" },
      { keys: "any", maxTokenAge: {} },
      { keys: "any", currentDate: "2030-01-01" },
      { keys: "any", currentDate: new Date(Number.NaN) },
      { keys: "any", requiredClaims: "exp" },
      { keys: "any", requireExpiration: "no" },
      { keys: "any", algorithms: ["ES256"] },
    ];
    for (const options of wrong) {
      const { calls, error } = await providerCalls(() => verifyJwt(provider, token, options as never));
      expect(error, JSON.stringify(options)).toBeInstanceOf(TypeError);
      expect(calls).toEqual([]);
    }
    await expect(verifyJwt(provider, token, { keys: "any", clockTolerance: -1 })).rejects.toThrow(RangeError);
    await expect(verifyJwt({ getKey: () => 1 } as never, token, { keys: "any" })).rejects.toThrow(TypeError);
  });

  it("verifies tokens of every live version after a rotation, and stops at once for a destroyed one", async () => {
    const local = new LocalKeyProvider();
    const { kid: rotating } = await local.createKey({ alg: "EdDSA" });
    const v1 = await signJwt(local, rotating, {}, { expiresIn: "5m" });
    await local.rotateKey(rotating);
    await expect(verifyJwt(local, v1, { keys: [rotating] })).resolves.toMatchObject({ key: { version: 1 } });
    await local.destroyKey(rotating, 1);
    const error = await verifyJwt(local, v1, { keys: [rotating] }).catch((e: unknown) => e);
    expect(InvalidTokenError.isInstance(error) && error.reason).toBe("kid");
    expect((error as Error).cause).toMatchObject({ code: "ERR_KEY_NOT_FOUND" });
  });

  it("accepts a bare kid as version 1 only from a provider with the remote feature (sets without versions)", async () => {
    class RemoteLike extends LocalKeyProvider {
      override supports() {
        const own = super.supports();
        return { ...own, features: [...own.features, "remote" as const] };
      }
    }
    const keys = generateKeyPairSync("ed25519");
    const bare = await new SignJWT({ exp: now + 60 })
      .setProtectedHeader({ alg: "EdDSA", kid: "idp" })
      .sign(keys.privateKey);
    for (const owner of [new RemoteLike(), new LocalKeyProvider()]) {
      await owner.importKey({ alg: "ED25519" }, undefined, { public: keys.publicKey, kid: "idp" });
      const verifying = verifyJwt(owner, bare, { keys: ["idp"], currentDate: NOW });
      if (owner instanceof RemoteLike)
        await expect(verifying).resolves.toMatchObject({ key: { kid: "idp", version: 1 } });
      else await expect(verifying).rejects.toMatchObject({ reason: "kid" });
    }
  });

  it("rejects with the signal's reason when it has already fired", async () => {
    const token = await signJwt(provider, kid, {}, { expiresIn: "5m" });
    const reason = new Error("stop");
    await expect(verifyJwt(provider, token, { keys: "any", signal: AbortSignal.abort(reason) })).rejects.toBe(
      reason,
    );
  });
});

describe("what a provider says through jwtVerification (JwtVerificationHints)", () => {
  /** A LocalKeyProvider that gives hints and records the options of its reads (without the alg it takes). */
  class Hinting extends LocalKeyProvider {
    readonly seen: unknown[] = [];
    readonly jwtVerification: unknown;
    constructor(hints: unknown) {
      super();
      this.jwtVerification = hints;
    }
    override getKey(kid: string, version?: number, options?: { alg?: string; signal?: AbortSignal }) {
      this.seen.push(["getKey", options]);
      const { alg: _alg, ...rest } = options ?? {};
      return super.getKey(kid, version, rest);
    }
    override getPublicJwk(kid: string, version?: number, options?: { alg?: string; signal?: AbortSignal }) {
      this.seen.push(["getPublicJwk", options]);
      const { alg: _alg, ...rest } = options ?? {};
      return super.getPublicJwk(kid, version, rest);
    }
  }

  it("expects the provider's issuer by default; the issuer option wins", async () => {
    const hinting = new Hinting({ issuer: "https://idp.example" });
    const { kid: own } = await hinting.createKey({ alg: "ES256" });
    const sign = (issuer?: string) =>
      signJwt(hinting, own, {}, { expiresAt: now + 60, ...(issuer === undefined ? {} : { issuer }) });
    const options = { keys: [own], currentDate: NOW };
    expect((await verifyJwt(hinting, await sign("https://idp.example"), options)).payload.iss).toBe(
      "https://idp.example",
    );
    for (const token of [await sign("https://other.example"), await sign()]) {
      await expect(verifyJwt(hinting, token, options)).rejects.toMatchObject({ claim: "iss" });
    }
    const other = await verifyJwt(hinting, await sign("https://other.example"), {
      ...options,
      issuer: "https://other.example",
    });
    expect(other.payload.iss).toBe("https://other.example");
  });

  it("ignores hints that are not what the interface says", async () => {
    for (const hints of [
      undefined,
      null,
      "https://idp.example",
      { issuer: 42 },
      { issuer: "" },
      { algOption: "yes" },
    ]) {
      const hinting = new Hinting(hints);
      const { kid: own } = await hinting.createKey({ alg: "ES256" });
      const token = await signJwt(hinting, own, {}, { expiresAt: now + 60 });
      hinting.seen.length = 0;
      await expect(verifyJwt(hinting, token, { keys: [own], currentDate: NOW })).resolves.toBeDefined();
      expect(hinting.seen).toEqual([
        ["getKey", undefined],
        ["getPublicJwk", undefined],
      ]);
    }
  });

  it("passes the token's alg to the provider's reads when it says it takes it", async () => {
    const hinting = new Hinting({ algOption: true });
    const { kid: own } = await hinting.createKey({ alg: "PS384", sizeBits: 2048 });
    const token = await signJwt(hinting, own, {}, { expiresAt: now + 60 });
    hinting.seen.length = 0;
    await verifyJwt(hinting, token, { keys: [own], currentDate: NOW });
    await jwtVerify(token, jwtKeyResolver(hinting, { keys: [own] }), { currentDate: NOW });
    expect(hinting.seen).toEqual([
      ["getKey", { alg: "PS384" }],
      ["getPublicJwk", { alg: "PS384" }],
      ["getKey", { alg: "PS384" }],
    ]);
  });
});

describe("public keys are cached per version and thumbprint", () => {
  it("asks the provider for the public JWK once per version, but for the key on every token", async () => {
    const local = new LocalKeyProvider();
    const { kid: cached } = await local.createKey({ alg: "ES384" });
    const token = await signJwt(local, cached, {}, { expiresIn: "5m" });
    const first = await providerCalls(() => verifyJwt(local, token, { keys: "any" }));
    const second = await providerCalls(() => verifyJwt(local, token, { keys: "any" }));
    expect(first.calls).toEqual(["getKey", "getPublicJwk"]);
    expect(second.calls).toEqual(["getKey"]);
    const resolved = await providerCalls(() => jwtVerify(token, jwtKeyResolver(local, { keys: "any" })));
    expect(resolved).toEqual({ calls: ["getKey"], error: undefined });
  });

  it("a kid destroyed and imported again with another key (same kid, same version) never verifies with the old key", async () => {
    // keyprovider's own providers never reissue a destroyed number (not even after the whole kid
    // went), so the reissue is played by a provider that swaps its backend: what a third-party
    // provider that reuses numbers would do.
    const before = new LocalKeyProvider();
    const after = new LocalKeyProvider();
    let current = before;
    const local = new Proxy(before, {
      get: (_target, property) => {
        const value = Reflect.get(current, property, current) as unknown;
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(current) : value;
      },
    });
    const old = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const replacement = generateKeyPairSync("ec", { namedCurve: "P-256" });
    await before.importKey({ alg: "ES256" }, old.privateKey, { kid: "reused" });
    const oldToken = await signJwt(local, "reused", {}, { expiresIn: "5m" });
    await verifyJwt(local, oldToken, { keys: ["reused"] }); // caches reused.1
    await expect(jwtVerify(oldToken, jwtKeyResolver(local, { keys: ["reused"] }))).resolves.toBeDefined();
    await after.importKey({ alg: "ES256" }, replacement.privateKey, { kid: "reused" });
    current = after; // "reused.1" now names the replacement
    await expect(verifyJwt(local, oldToken, { keys: ["reused"] })).rejects.toMatchObject({
      reason: "signature",
    });
    await expect(jwtVerify(oldToken, jwtKeyResolver(local, { keys: ["reused"] }))).rejects.toBeInstanceOf(
      errors.JWSSignatureVerificationFailed,
    );
    const newToken = await new SignJWT({ exp: now + 60 })
      .setProtectedHeader({ alg: "ES256", kid: "reused.1" })
      .sign(replacement.privateKey);
    await expect(verifyJwt(local, newToken, { keys: ["reused"], currentDate: NOW })).resolves.toBeDefined();
  });
});
