import { createHmac, createPrivateKey, generateKeyPairSync, sign as nodeSign } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { InvalidTokenError, type InvalidTokenReason } from "@keyprovider/core";
import { InMemoryKeyProvider } from "@keyprovider/inmemory";
import { LocalKeyProvider } from "@keyprovider/local";
import { SignJWT, errors, exportJWK, importJWK, jwtVerify, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jwtKeyResolver, signJwt, verifyJwt, type VerifyJwtOptions } from "../src/index.js";
import { assembleToken, providerCalls, splitToken } from "./fixtures.js";

/** DESIGN §7.2, one refusal per rule, each with the error the README documents. */

const provider = new LocalKeyProvider();
const kids: Record<"rs256" | "ps256" | "es256" | "es256b" | "es384" | "ed25519" | "hs256", string> = {
  rs256: "",
  ps256: "",
  es256: "",
  es256b: "",
  es384: "",
  ed25519: "",
  hs256: "",
};
const inFiveMinutes = () => Math.floor(Date.now() / 1000) + 300;

beforeAll(async () => {
  const make = async (alg: string, extra: object = {}) =>
    (await provider.createKey({ alg, exportPolicy: "secret_when_allowed", ...extra } as never)).kid;
  kids.rs256 = await make("RS256", { sizeBits: 2048 });
  kids.ps256 = await make("PS256", { sizeBits: 2048 });
  kids.es256 = await make("ES256");
  kids.es256b = await make("ES256");
  kids.es384 = await make("ES384");
  kids.ed25519 = await make("ED25519");
  kids.hs256 = await make("HS256");
});

/** A token jose signs with the exported private key of `kid`, under any header. */
async function joseToken(
  kid: string,
  header: Record<string, unknown>,
  claims: object = { exp: inFiveMinutes() },
) {
  const jwk = await provider.exportKey(kid, { format: "jwk", private: true });
  const alg = header["alg"] as string;
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg, ...header })
    .sign(await importJWK(jwk as JWK, alg));
}

/** A token signed through the provider over any header and payload, for headers jose will not produce. */
async function providerSigned(kid: string, header: object, payload: object | string): Promise<string> {
  const unsigned = assembleToken(header, payload).slice(0, -1);
  const signature = await provider.sign(kid, new TextEncoder().encode(unsigned));
  return `${unsigned}.${Buffer.from(signature).toString("base64url")}`;
}

async function refusal(
  token: string,
  options: VerifyJwtOptions = { keys: "any" },
): Promise<InvalidTokenReason> {
  const error = await verifyJwt(provider, token, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!InvalidTokenError.isInstance(error))
    throw new Error(`expected InvalidTokenError, got ${String(error)}`);
  expect(error.code).toBe("ERR_INVALID_TOKEN");
  return error.reason;
}

describe("keys is required and enforced", () => {
  it("verifyJwt and jwtKeyResolver refuse to run without a keys option", async () => {
    const token = await signJwt(provider, kids.es256, {}, { expiresIn: "5m" });
    for (const options of [
      undefined,
      {},
      { keys: [] },
      { keys: "all" },
      { keys: { prefix: "" } },
      { keys: [42] },
    ]) {
      await expect(verifyJwt(provider, token, options as never)).rejects.toThrow(TypeError);
      expect(() => jwtKeyResolver(provider, options as never)).toThrow(TypeError);
    }
    await expect(verifyJwt(provider, token, { keys: { prefix: "x", other: 1 } as never })).rejects.toThrow(
      TypeError,
    );
  });

  it('a kid not in keys is "key_not_allowed", refused before the provider is asked', async () => {
    const token = await signJwt(provider, kids.es256, {}, { expiresIn: "5m" });
    const { calls, error } = await providerCalls(() => verifyJwt(provider, token, { keys: [kids.es256b] }));
    expect(InvalidTokenError.isInstance(error) && error.reason).toBe("key_not_allowed");
    expect(calls).toEqual([]);
    expect(await refusal(token, { keys: { prefix: "zz" } })).toBe("key_not_allowed");
    expect(await refusal(token, { keys: [`${kids.es256}.2`] })).toBe("key_not_allowed");
  });

  it('a bare kid allows every version, "kid.N" that version, { prefix } every kid it starts', async () => {
    const local = new LocalKeyProvider();
    const { kid } = await local.createKey({ alg: "ES256" });
    const v1 = await signJwt(local, kid, {}, { expiresIn: "5m" });
    await local.rotateKey(kid);
    const v2 = await signJwt(local, kid, {}, { expiresIn: "5m" });
    expect(splitToken(v2).header["kid"]).toBe(`${kid}.2`);
    for (const token of [v1, v2]) {
      await expect(verifyJwt(local, token, { keys: [kid] })).resolves.toBeDefined();
      await expect(verifyJwt(local, token, { keys: { prefix: kid.slice(0, 4) } })).resolves.toBeDefined();
      await expect(verifyJwt(local, token, { keys: "any" })).resolves.toBeDefined();
    }
    expect((await verifyJwt(local, v2, { keys: [`${kid}.2`] })).key.version).toBe(2);
    await expect(verifyJwt(local, v1, { keys: [`${kid}.2`] })).rejects.toMatchObject({
      reason: "key_not_allowed",
    });
    // A destroyed version stops verifying at once, cache or not.
    await local.destroyKey(kid, 1);
    await expect(verifyJwt(local, v1, { keys: [kid] })).rejects.toMatchObject({ reason: "kid" });
    await expect(verifyJwt(local, v2, { keys: [kid] })).resolves.toBeDefined();
  });
});

describe("alg is the key's alg", () => {
  it('RS256 on a PS256 key and PS256 on an RS256 key (same RSA key pair) are "alg"', async () => {
    expect(await refusal(await joseToken(kids.rs256, { alg: "PS256", kid: `${kids.rs256}.1` }))).toBe("alg");
    expect(await refusal(await joseToken(kids.ps256, { alg: "RS256", kid: `${kids.ps256}.1` }))).toBe("alg");
  });

  it('ES384 on an ES256 key is "alg", whoever signed', async () => {
    // Signed with a P-384 key, claiming the P-256 key's kid.
    expect(await refusal(await joseToken(kids.es384, { alg: "ES384", kid: `${kids.es256}.1` }))).toBe("alg");
    // Signed with the P-256 key itself over SHA-384.
    const header = { alg: "ES384", kid: `${kids.es256}.1` };
    const unsigned = assembleToken(header, { exp: inFiveMinutes() }).slice(0, -1);
    const pem = await provider.exportKey(kids.es256, { format: "pem", private: true });
    const signature = nodeSign("sha384", Buffer.from(unsigned), {
      key: createPrivateKey(pem),
      dsaEncoding: "ieee-p1363",
    });
    expect(await refusal(`${unsigned}.${signature.toString("base64url")}`)).toBe("alg");
  });

  it('HS256 with the RSA public key (PEM, DER or JWK) as the HMAC secret is "alg"', async () => {
    const header = { alg: "HS256", kid: `${kids.rs256}.1` };
    const unsigned = assembleToken(header, { exp: inFiveMinutes() }).slice(0, -1);
    const secrets = [
      await provider.exportKey(kids.rs256, { format: "pem" }),
      await provider.exportKey(kids.rs256, { format: "der" }),
      JSON.stringify(await provider.getPublicJwk(kids.rs256)),
    ];
    for (const secret of secrets) {
      const mac = createHmac("sha256", secret).update(unsigned).digest("base64url");
      expect(await refusal(`${unsigned}.${mac}`)).toBe("alg");
    }
  });

  it('alg "none" (any spelling) and algorithms keyprovider does not sign with are "alg"', async () => {
    for (const alg of ["none", "None", "NONE", "HS384", "RSA-OAEP-256", "A256GCM", "ECDH-ES", ""]) {
      expect(await refusal(assembleToken({ alg, kid: `${kids.es256}.1` }, { exp: inFiveMinutes() }))).toBe(
        "alg",
      );
    }
    expect(await refusal(assembleToken({ kid: `${kids.es256}.1` }, { exp: inFiveMinutes() }, "AAAA"))).toBe(
      "alg",
    );
    // Refused from the header alone: the provider is not asked.
    for (const alg of ["none", "RSA-OAEP-256", "ECDH-ES"]) {
      const token = assembleToken({ alg, kid: `${kids.es256}.1` }, {});
      const { calls, error } = await providerCalls(() => verifyJwt(provider, token, { keys: "any" }));
      expect(InvalidTokenError.isInstance(error) && error.reason).toBe("alg");
      expect(calls).toEqual([]);
    }
  });

  it("jwtKeyResolver refuses the same swaps inside jose's jwtVerify", async () => {
    const resolver = jwtKeyResolver(provider, { keys: "any" });
    const swapped = await joseToken(kids.rs256, { alg: "PS256", kid: `${kids.rs256}.1` });
    await expect(jwtVerify(swapped, resolver)).rejects.toMatchObject({
      code: "ERR_INVALID_TOKEN",
      reason: "alg",
    });
    const none = assembleToken({ alg: "none", kid: `${kids.es256}.1` }, {});
    await expect(jwtVerify(none, resolver)).rejects.toThrow();
    await expect(resolver({ alg: "none", kid: `${kids.es256}.1` })).rejects.toMatchObject({ reason: "alg" });
    const other = await joseToken(kids.es256, { alg: "ES256", kid: `${kids.es256}.1` });
    await expect(jwtVerify(other, jwtKeyResolver(provider, { keys: [kids.es256b] }))).rejects.toMatchObject({
      reason: "key_not_allowed",
    });
  });
});

describe("the kid names the key, and only the kid", () => {
  it('a token signed by one key but naming another of the same alg is "signature"', async () => {
    expect(await refusal(await joseToken(kids.es256, { alg: "ES256", kid: `${kids.es256b}.1` }))).toBe(
      "signature",
    );
  });

  it('a missing, bare, unknown, hostile or destroyed kid is "kid"', async () => {
    const signed = (kid: unknown) =>
      joseToken(kids.es256, { alg: "ES256", ...(kid === undefined ? {} : { kid }) });
    expect(await refusal(await signed(undefined))).toBe("kid");
    expect(await refusal(await signed(kids.es256))).toBe("kid"); // no version: never "the primary"
    expect(await refusal(await signed("0".repeat(32) + ".1"))).toBe("kid");
    expect(await refusal(await signed("../../etc/passwd.1"))).toBe("kid");
    expect(await refusal(assembleToken({ alg: "ES256", kid: 7 }, {}, "AAAA"))).toBe("kid");
  });

  it('a key that cannot verify (opaque, or without the "verify" use) is "kid"', async () => {
    const memory = new InMemoryKeyProvider();
    const opaque = await memory.createKey({ klass: "opaque", alg: "HMAC_SHA256" });
    const token = assembleToken({ alg: "HS256", kid: `${opaque.kid}.1` }, { exp: inFiveMinutes() }, "AAAA");
    await expect(verifyJwt(memory, token, { keys: "any" })).rejects.toMatchObject({ reason: "kid" });
    const signOnly = await provider.createKey({ alg: "ES256", uses: ["sign"] });
    const signed = await signJwt(provider, signOnly.kid, {}, { expiresIn: "5m" });
    expect(await refusal(signed)).toBe("kid");
  });

  it('a "jwk" header carrying an attacker key is never used: "signature"', async () => {
    const attacker = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = await exportJWK(attacker.publicKey);
    for (const header of [
      { alg: "ES256", kid: `${kids.es256}.1`, jwk },
      { alg: "ES256", kid: `${kids.es256}.1`, jwk: { ...jwk, kid: `${kids.es256}.1` } },
    ]) {
      const token = await new SignJWT({ exp: inFiveMinutes(), admin: true })
        .setProtectedHeader(header)
        .sign(attacker.privateKey);
      expect(await refusal(token)).toBe("signature");
    }
    const withoutKid = await new SignJWT({ exp: inFiveMinutes() })
      .setProtectedHeader({ alg: "ES256", jwk })
      .sign(attacker.privateKey);
    expect(await refusal(withoutKid)).toBe("kid");
  });

  describe("jku, x5u and x5c are never fetched or used", () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests += 1;
      res.end("{}");
    });
    let url = "";
    beforeAll(async () => {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('an attacker-signed token pointing at its own key set is "signature", and nothing is fetched', async () => {
      const attacker = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const cert = "MIIBszCCAVmgAwIBAgIUeXampleOnlyNotACertificateAAAAAAAwCgYIKoZIzj0EAwIw";
      const token = await new SignJWT({ exp: inFiveMinutes() })
        .setProtectedHeader({ alg: "ES256", kid: `${kids.es256}.1`, jku: url, x5u: url, x5c: [cert] })
        .sign(attacker.privateKey);
      expect(await refusal(token)).toBe("signature");
      const resolver = jwtKeyResolver(provider, { keys: "any" });
      await expect(jwtVerify(token, resolver)).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
      // The genuine key's token with the same members verifies: they are ignored, not trusted.
      const genuine = await joseToken(kids.es256, {
        alg: "ES256",
        kid: `${kids.es256}.1`,
        jku: url,
        x5u: url,
      });
      await expect(verifyJwt(provider, genuine, { keys: "any" })).resolves.toBeDefined();
      expect(requests).toBe(0);
    });
  });
});

describe("header extensions", () => {
  it('an unknown crit is "header"', async () => {
    const header = { alg: "ES256", kid: `${kids.es256}.1`, crit: ["exp"], exp: 1 };
    expect(await refusal(await providerSigned(kids.es256, header, { exp: inFiveMinutes() }))).toBe("header");
  });

  it('b64: false (with or without crit) is "header"', async () => {
    for (const header of [
      { alg: "ES256", kid: `${kids.es256}.1`, b64: false, crit: ["b64"] },
      { alg: "ES256", kid: `${kids.es256}.1`, b64: false },
    ]) {
      expect(await refusal(await providerSigned(kids.es256, header, { exp: inFiveMinutes() }))).toBe(
        "header",
      );
    }
  });
});

describe("claims keep jose's errors", () => {
  const verify = (token: string, options: Partial<VerifyJwtOptions> = {}) =>
    verifyJwt(provider, token, { keys: [kids.ed25519], ...options });

  it("an expired token is JWTExpired", async () => {
    const token = await signJwt(
      provider,
      kids.ed25519,
      {},
      { expiresAt: Math.floor(Date.now() / 1000) - 10 },
    );
    await expect(verify(token)).rejects.toBeInstanceOf(errors.JWTExpired);
    await expect(verify(token)).rejects.toMatchObject({ code: "ERR_JWT_EXPIRED", claim: "exp" });
    await expect(verify(token, { clockTolerance: 60 })).resolves.toBeDefined();
  });

  it('a token without exp is JWTClaimValidationFailed (claim "exp", "missing") unless requireExpiration: false', async () => {
    const token = await signJwt(provider, kids.ed25519, { sub: "svc" });
    await expect(verify(token)).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
    await expect(verify(token)).rejects.toMatchObject({ claim: "exp", reason: "missing" });
    expect((await verify(token, { requireExpiration: false })).payload.sub).toBe("svc");
  });

  it("a wrong iss or aud is JWTClaimValidationFailed naming the claim", async () => {
    const token = await signJwt(
      provider,
      kids.ed25519,
      {},
      { issuer: "https://a", audience: ["api"], expiresIn: "5m" },
    );
    await expect(verify(token, { issuer: "https://b" })).rejects.toMatchObject({
      code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
      claim: "iss",
    });
    await expect(verify(token, { audience: "web" })).rejects.toMatchObject({ claim: "aud" });
    await expect(
      verify(token, { issuer: ["https://b", "https://a"], audience: "api" }),
    ).resolves.toBeDefined();
  });

  it("the signature is checked before the claims: a forged expired token is InvalidTokenError, not JWTExpired", async () => {
    const token = await joseToken(kids.es256b, { alg: "ES256", kid: `${kids.ed25519}.1` }, { exp: 1 });
    expect(await refusal(token)).toBe("alg");
    const sameAlg = await joseToken(kids.es256b, { alg: "ES256", kid: `${kids.es256}.1` }, { exp: 1 });
    expect(await refusal(sameAlg)).toBe("signature");
  });
});

describe("malformed tokens and leaks", () => {
  it('anything that is not three base64url parts with a JSON header and payload is "malformed"', async () => {
    const good = await signJwt(provider, kids.es256, {}, { expiresIn: "5m" });
    const [h, p, s] = good.split(".") as [string, string, string];
    for (const token of [
      "",
      "a.b",
      `${h}.${p}.${s}.x.y`,
      `${h}=.${p}.${s}`,
      `${h}.${p}.${s}+`,
      `${Buffer.from("[1]").toString("base64url")}.${p}.${s}`,
      `${Buffer.from("not json").toString("base64url")}.${p}.${s}`,
      `.${p}.${s}`,
    ]) {
      expect(await refusal(token)).toBe("malformed");
    }
    // A payload that is not a claims set, correctly signed, is malformed too.
    const notClaims = await providerSigned(kids.es256, { alg: "ES256", kid: `${kids.es256}.1` }, "[1, 2]");
    expect(await refusal(notClaims)).toBe("malformed");
    await expect(verifyJwt(provider, 42 as never, { keys: "any" })).rejects.toThrow(TypeError);
  });

  it("error messages never echo the token, its payload or the HMAC secret", async () => {
    const secretClaim = "s3cr3t-claim-value-9f8e7d6c5b4a";
    const token = await signJwt(provider, kids.hs256, { secretClaim }, { expiresAt: 1 });
    const { k } = await provider.exportKey(kids.hs256, { format: "jwk", private: true });
    const [h, p] = token.split(".") as [string, string, string];
    for (const bad of [`${h}.${p}.${"A".repeat(43)}`, token]) {
      const error = (await verifyJwt(provider, bad, { keys: "any" }).then(
        () => new Error("expected a refusal"),
        (e: unknown) => e,
      )) as Error;
      // jose's claim errors carry the verified payload in a property, by jose's design; messages never do.
      const json = InvalidTokenError.isInstance(error) ? JSON.stringify(error) : "";
      const rendered = `${String(error)} ${error.message} ${json}`;
      for (const secret of [secretClaim, p, k!]) expect(rendered).not.toContain(secret);
    }
  });
});
