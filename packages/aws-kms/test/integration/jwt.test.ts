import { signJwt, verifyJwt } from "@keyprovider/jwt";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { expect, it } from "vitest";
import { describeKms, target, useNamespace } from "./kms.js";

const CLAIMS = { scope: "read:orders" };
const CHECKS = { issuer: "https://id.example.com", audience: "orders-api" } as const;
const OPTIONS = { ...CHECKS, expiresIn: "5m" } as const;

describeKms.concurrent("JWTs signed inside KMS with signJwt from @keyprovider/jwt", () => {
  const namespace = useNamespace();

  it.each([
    { alg: "ES256" },
    { alg: "PS256", sizeBits: 2048 },
    { alg: "RS256", sizeBits: 2048 },
    ...(target?.ed25519 === true ? [{ alg: "EdDSA" } as const] : []),
  ] as const)("$alg: one Sign per token, verified by jose against the provider's JWKS", async (spec) => {
    const { provider, client } = namespace.provider();
    const { kid } = await provider.createKey(spec);
    client.resetCalls();
    const token = await signJwt(provider, kid, CLAIMS, OPTIONS);
    expect(client.calls()).toEqual({ Sign: 1 });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: spec.alg, kid: `${kid}.1` });
    const jwks = await provider.jwks({ prefixKids: kid });
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), CHECKS);
    expect(payload).toMatchObject({ ...CLAIMS, iss: CHECKS.issuer, aud: CHECKS.audience });
    const verified = await verifyJwt(provider, token, { keys: [kid], ...CHECKS });
    expect(verified.key).toMatchObject({ kid, version: 1 });
  });

  it("HS256: GenerateMac signs, VerifyMac verifies (the secret never leaves KMS, so jose cannot)", async () => {
    const { provider, client } = namespace.provider();
    const { kid } = await provider.createKey({ alg: "HS256" });
    client.resetCalls();
    const token = await signJwt(provider, kid, CLAIMS, OPTIONS);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "HS256", kid: `${kid}.1` });
    const { payload } = await verifyJwt(provider, token, { keys: [kid], ...CHECKS });
    expect(payload).toMatchObject(CLAIMS);
    expect(client.calls()).toEqual({ GenerateMac: 1, VerifyMac: 1 });
    const tampered = `${token.slice(0, -2)}${token.endsWith("AA") ? "AB" : "AA"}`;
    await expect(verifyJwt(provider, tampered, { keys: [kid], ...CHECKS })).rejects.toThrow();
  });
});
