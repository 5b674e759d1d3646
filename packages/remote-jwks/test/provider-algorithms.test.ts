import { createSign, generateKeyPairSync } from "node:crypto";
import { InvalidTokenError, type KeySpec } from "@keyprovider/core";
import { signJwt, verifyJwt } from "@keyprovider/jwt";
import { SignJWT, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { useIssuer } from "./support/issuer.js";
import { json } from "./support/server.js";

const env = useIssuer();

/** Every JWS algorithm of issue 14, as an identity provider would create its signing key. */
const ALGORITHMS: readonly (readonly [string, KeySpec])[] = [
  ["RS256", { alg: "RS256", sizeBits: 2048 }],
  ["RS384", { alg: "RS384", sizeBits: 2048 }],
  ["RS512", { alg: "RS512", sizeBits: 2048 }],
  ["PS256", { alg: "PS256", sizeBits: 2048 }],
  ["PS384", { alg: "PS384", sizeBits: 2048 }],
  ["PS512", { alg: "PS512", sizeBits: 2048 }],
  ["ES256", { alg: "ES256" }],
  ["ES384", { alg: "ES384" }],
  ["ES512", { alg: "ES512" }],
  ["EdDSA", { alg: "EdDSA" }],
];

describe("every JWS algorithm verifies through remote keys", () => {
  it.each(ALGORITHMS)(
    "%s: a token signed by signJwt on the issuing side verifies with verifyJwt and with jose + keyResolver()",
    async (jose, spec) => {
      const { kid } = await env.issuer.createKey(spec);
      const token = await signJwt(env.issuer, kid, { sub: "user-1" }, { expiresIn: "5m" });
      const provider = env.provider();

      const viaJwt = await verifyJwt(provider, token, { keys: "any" });
      expect(viaJwt.payload.sub).toBe("user-1");
      expect(viaJwt.key).toEqual({ kid, version: 1, alg: jose });

      const viaJose = await jwtVerify(token, provider.keyResolver());
      expect(viaJose.payload.sub).toBe("user-1");
      expect(viaJose.protectedHeader).toMatchObject({ alg: jose, kid: `${kid}.1` });

      // The provider's own verify, with the fetched key, and its view of the key.
      const data = new TextEncoder().encode("message");
      const signature = await env.issuer.sign(kid, data);
      await expect(provider.verify(kid, data, signature)).resolves.toBe(true);
      await expect(
        provider.verify(
          kid,
          data,
          signature.map((b, i) => (i === 0 ? b ^ 1 : b)),
        ),
      ).resolves.toBe(false);
      const ref = await provider.getKey(kid);
      const issued = await env.issuer.getKey(kid);
      expect(ref).toMatchObject({ alg: issued.alg, fingerprint: issued.fingerprint, uses: ["verify"] });
      expect(await provider.getPublicJwk(kid)).toEqual(await env.issuer.getPublicJwk(kid));
      expect(env.jwksRequests()).toBe(1);
    },
  );

  it("refuses a token whose header alg is not the JWK's (ES384 on an ES256 key, PS256 on an RS256 key)", async () => {
    const ec = await env.issuer.createKey({ alg: "ES256" });
    const rsa = await env.issuer.createKey({ alg: "RS256", sizeBits: 2048 });
    const ecPrivate = generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey;
    const rsaPrivate = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const provider = env.provider();
    const forged = [
      await new SignJWT({ sub: "x" })
        .setProtectedHeader({ alg: "ES384", kid: `${ec.kid}.1` })
        .setExpirationTime("5m")
        .sign(ecPrivate),
      await new SignJWT({ sub: "x" })
        .setProtectedHeader({ alg: "PS256", kid: `${rsa.kid}.1` })
        .setExpirationTime("5m")
        .sign(rsaPrivate),
    ];
    for (const token of forged) {
      await expect(verifyJwt(provider, token, { keys: "any" })).rejects.toSatisfy((e) =>
        InvalidTokenError.isInstance(e),
      );
      await expect(jwtVerify(token, provider.keyResolver())).rejects.toSatisfy((e) =>
        InvalidTokenError.isInstance(e),
      );
    }
  });
});

describe("keyResolver takes JOSE names only", () => {
  it("refuses keyprovider's own algorithm names in a header, and none, before any lookup", async () => {
    const ec = await env.issuer.createKey({ alg: "ES256" });
    const resolve = env.provider().keyResolver();
    for (const alg of ["ECDSA_P256_SHA256", "ED25519", "none", "HS256"]) {
      const refused = await resolve({ alg, kid: `${ec.kid}.1` }).catch((e: unknown) => e);
      expect(InvalidTokenError.isInstance(refused) && refused.message).toMatch(/alg/);
    }
    expect(await resolve({ alg: "ES256", kid: `${ec.kid}.1` })).toBeDefined();
  });
});

describe("an RSA JWK without alg", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const bare = { ...publicKey.export({ format: "jwk" }), kid: "rsa-2024", use: "sig" };

  function serveBare(): void {
    env.server.route("/jwks", json({ keys: [bare] }));
  }

  async function token(alg: "RS256" | "PS256"): Promise<string> {
    return new SignJWT({ sub: alg })
      .setProtectedHeader({ alg, kid: "rsa-2024" })
      .setExpirationTime("5m")
      .sign(privateKey);
  }

  it("verifies RS256 and PS256 tokens, each as its header says", async () => {
    serveBare();
    const provider = env.provider();
    for (const alg of ["RS256", "PS256"] as const) {
      const signed = await token(alg);
      const viaJwt = await verifyJwt(provider, signed, { keys: ["rsa-2024"] });
      expect([viaJwt.payload.sub, viaJwt.key]).toEqual([alg, { kid: "rsa-2024", version: 1, alg }]);
      expect((await jwtVerify(signed, provider.keyResolver())).payload.sub).toBe(alg);
    }
  });

  it("never takes a signature of one scheme under the other's header", async () => {
    serveBare();
    const provider = env.provider();
    // A PKCS#1 v1.5 signature presented as PS256, and the other way round.
    for (const [header, signed] of [
      ["PS256", await token("RS256")],
      ["RS256", await token("PS256")],
    ] as const) {
      const [, payload, signature] = signed.split(".");
      const relabelled = `${Buffer.from(JSON.stringify({ alg: header, kid: "rsa-2024" })).toString("base64url")}.${payload}.${signature}`;
      await expect(verifyJwt(provider, relabelled, { keys: "any" })).rejects.toMatchObject({
        reason: "signature",
      });
      await expect(jwtVerify(relabelled, provider.keyResolver())).rejects.toThrow(/signature/);
    }
  });

  it("is read with the caller's alg: getKey without one is ambiguous, never a guess", async () => {
    serveBare();
    const provider = env.provider();
    await expect(provider.getKey("rsa-2024")).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_AMBIGUOUS_KID",
      message: expect.stringContaining("pass { alg }"),
    });
    expect((await provider.getKey("rsa-2024", 1, { alg: "PS256" })).alg).toBe("RSA_PSS_SHA256");
    expect((await provider.getKey("rsa-2024", 1, { alg: "RSA_PKCS1_SHA512" })).alg).toBe("RSA_PKCS1_SHA512");
    expect((await provider.getPublicJwk("rsa-2024", 1, { alg: "RS384" })).alg).toBe("RS384");
    await expect(provider.getKey("rsa-2024", 1, { alg: "ES256" })).rejects.toMatchObject({
      code: "ERR_KEY_NOT_FOUND",
    });

    const data = new TextEncoder().encode("message");
    const pkcs1 = createSign("sha256").update(data).sign(privateKey);
    await expect(provider.verify("rsa-2024", data, pkcs1, { alg: "RS256" })).resolves.toBe(true);
    await expect(provider.verify("rsa-2024", data, pkcs1, { alg: "PS256" })).resolves.toBe(false);
    await expect(provider.verify("rsa-2024", data, pkcs1)).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_AMBIGUOUS_KID",
    });
  });
});
