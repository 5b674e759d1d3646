import { InvalidTokenError } from "@keyprovider/core";
import { LocalKeyProvider } from "@keyprovider/local";
import { SignJWT, createLocalJWKSet, importJWK, jwtVerify, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { jwtKeyResolver, signJwt, verifyJwt } from "../src/index.js";
import { SIGNING, keysPerAlgorithm, nodeVerifies, splitToken } from "./fixtures.js";

/**
 * Interoperability with jose for every signing algorithm, both ways, plus an independent
 * node:crypto check of every signature. Registered by two test files: one with the jose the
 * workspace installs, one with "jose" resolved to the lowest version the peer range allows.
 */
export function describeInterop(joseLabel: string): void {
  describe(`interop with ${joseLabel}`, () => {
    const provider = new LocalKeyProvider();
    let kids: Map<string, string>;
    beforeAll(async () => {
      kids = await keysPerAlgorithm(provider);
    });

    describe.each(SIGNING)("$jose", (sc) => {
      it("signJwt makes a token jose verifies with the provider's JWKS (HS256: with the exported secret)", async () => {
        const kid = kids.get(sc.jose)!;
        const token = await signJwt(provider, kid, { scope: "read" }, { subject: "user-1", expiresIn: "5m" });
        const { header } = splitToken(token);
        expect(header).toEqual({ alg: sc.jose, kid: `${kid}.1` });
        const key =
          sc.jose === "HS256"
            ? Buffer.from((await provider.exportKey(kid, { format: "jwk", private: true })).k!, "base64url")
            : createLocalJWKSet(await provider.jwks());
        const { payload, protectedHeader } = await jwtVerify(token, key as Uint8Array, {
          algorithms: [sc.jose],
        });
        expect(protectedHeader.alg).toBe(sc.jose);
        expect(payload).toMatchObject({ scope: "read", sub: "user-1" });
      });

      it("signJwt's signature verifies with node:crypto alone", async () => {
        const kid = kids.get(sc.jose)!;
        const token = await signJwt(provider, kid, { n: 1 }, { expiresIn: "5m" });
        expect(await nodeVerifies(provider, kid, token, sc)).toBe(true);
      });

      it("a token jose signs with the exported key verifies with verifyJwt", async () => {
        const kid = kids.get(sc.jose)!;
        const jwk = await provider.exportKey(kid, { format: "jwk", private: true });
        const token = await new SignJWT({ sub: "user-2" })
          .setProtectedHeader({ alg: sc.jose, kid: `${kid}.1`, typ: "JWT" })
          .setIssuedAt()
          .setExpirationTime("5m")
          .sign(await importJWK(jwk as JWK, sc.jose));
        const result = await verifyJwt(provider, token, { keys: [kid], typ: "JWT", maxTokenAge: "1m" });
        expect(result.payload.sub).toBe("user-2");
        expect(result.protectedHeader).toEqual({ alg: sc.jose, kid: `${kid}.1`, typ: "JWT" });
        expect(result.key).toEqual({ kid, version: 1, alg: sc.jose });
      });

      it("signJwt and verifyJwt round-trip, and one changed payload byte is refused", async () => {
        const kid = kids.get(sc.jose)!;
        const token = await signJwt(provider, kid, { role: "admin" }, { expiresIn: "5m" });
        expect((await verifyJwt(provider, token, { keys: [kid] })).payload.role).toBe("admin");
        const [h, p, s] = token.split(".") as [string, string, string];
        const forged = Buffer.from(JSON.stringify({ ...splitToken(token).payload, role: "root" })).toString(
          "base64url",
        );
        expect(forged).not.toBe(p);
        await expect(verifyJwt(provider, `${h}.${forged}.${s}`, { keys: [kid] })).rejects.toMatchObject({
          code: "ERR_INVALID_TOKEN",
          reason: "signature",
        });
      });

      if (sc.jose !== "HS256") {
        it("jose's jwtVerify accepts jwtKeyResolver for the token's key", async () => {
          const kid = kids.get(sc.jose)!;
          const token = await signJwt(provider, kid, { ok: true }, { expiresIn: "5m" });
          const { payload } = await jwtVerify(token, jwtKeyResolver(provider, { keys: [kid] }), {
            requiredClaims: ["exp"],
          });
          expect(payload.ok).toBe(true);
        });
      } else {
        it("jwtKeyResolver refuses HS256 (the secret stays in the provider)", async () => {
          const kid = kids.get(sc.jose)!;
          const token = await signJwt(provider, kid, {}, { expiresIn: "5m" });
          const error = await jwtVerify(token, jwtKeyResolver(provider, { keys: "any" })).catch(
            (e: unknown) => e,
          );
          expect(InvalidTokenError.isInstance(error) && error.reason).toBe("alg");
        });
      }
    });
  });
}
