import { createPublicKey } from "node:crypto";
import {
  ExportPolicy,
  KeyClass,
  NotSupportedError,
  PRIVATE_JWK_MEMBERS,
  type PublicJwk,
} from "@keyprovider/core";
import { calculateJwkThumbprint, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { EXPECTED, algOf, klassOf, specName } from "./algorithms.js";
import type { SuiteContext } from "./context.js";
import { b64url, publicKeyOf, rejectsWith } from "./helpers.js";

const spkiOf = (jwk: PublicJwk) =>
  createPublicKey({ key: { ...jwk } as never, format: "jwk" }).export({ type: "spki", format: "der" });

/** getPublicJwk, jwks, and what fingerprints are. */
export function describeJwkAndJwks(ctx: SuiteContext): void {
  const { keys, exportPolicies, fingerprints } = ctx.caps;
  const asymmetricKeys = keys.filter((spec) => klassOf(spec) === KeyClass.asymmetric);
  const symmetricKeys = keys.filter((spec) => klassOf(spec) === KeyClass.symmetric);
  const secretKeys = keys.filter((spec) => klassOf(spec) !== KeyClass.asymmetric);
  const firstOfAlg = new Set(ctx.operationSpecs().map(({ spec }) => spec));

  describe("JWK and JWKS", ctx.parallel, () => {
    if (!ctx.publishesJwks) {
      it("getPublicJwk and jwks throw NotSupportedError", async () => {
        const { provider, ref } = await ctx.pooled(keys[0]!, exportPolicies[0]!);
        await rejectsWith(provider.getPublicJwk(ref.kid), NotSupportedError);
        await rejectsWith(provider.jwks(), NotSupportedError);
        await rejectsWith(provider.jwks({ allVersions: true }), NotSupportedError);
      });
    } else {
      for (const spec of asymmetricKeys) {
        const alg = algOf(spec);
        it(`${specName(spec)}: the public JWK has kid "<kid>.<version>", alg and use, no private members, and the fingerprint is its RFC 7638 thumbprint`, async () => {
          const { provider, ref } = await ctx.pooled(spec, exportPolicies[0]!);
          const features = await ctx.features();
          const jwk = await provider.getPublicJwk(ref.kid, 1);
          expect(jwk).toMatchObject({ ...EXPECTED[alg].jwk, kid: `${ref.kid}.1` });
          for (const member of PRIVATE_JWK_MEMBERS) expect(jwk).not.toHaveProperty(member);
          expect(jwk).not.toHaveProperty("key_ops");
          expect(ref.fingerprint).toBe(await calculateJwkThumbprint(jwk as JWK));
          expect(spkiOf(jwk)).toEqual(
            (await publicKeyOf(provider, ref, features)).export({ type: "spki", format: "der" }),
          );
          // A copy: changing it changes nothing in the provider.
          (jwk as { kid: string }).kid = "tampered";
          expect((await provider.getPublicJwk(ref.kid, 1)).kid).toBe(`${ref.kid}.1`);

          if (!firstOfAlg.has(spec)) return;
          const rotated = await ctx.rotated(spec);
          const [first, second] = [
            await rotated.provider.getPublicJwk(rotated.v1.kid, 1),
            await rotated.provider.getPublicJwk(rotated.v1.kid),
          ];
          expect([first.kid, second.kid]).toEqual([`${rotated.v1.kid}.1`, `${rotated.v1.kid}.2`]);
          expect(rotated.v1.fingerprint).toBe(await calculateJwkThumbprint(first as JWK));
          expect(rotated.v2.fingerprint).toBe(await calculateJwkThumbprint(second as JWK));
          expect(spkiOf(first)).not.toEqual(spkiOf(second));
        });
      }

      for (const spec of symmetricKeys) {
        it(`${specName(spec)}: getPublicJwk throws NotSupportedError and jwks never lists it`, async () => {
          const { provider, ref } = await ctx.pooled(spec, exportPolicies[0]!);
          await rejectsWith(provider.getPublicJwk(ref.kid), NotSupportedError);
          const { keys: published } = await provider.jwks({ allVersions: true });
          expect(published.map((jwk) => jwk.kid.split(".")[0])).not.toContain(ref.kid);
        });
      }

      if (asymmetricKeys.length > 0) {
        it("jwks lists the primary of every asymmetric key, every live version with allVersions, filtered by prefix", async () => {
          const provider = await ctx.provider();
          const asym = asymmetricKeys[0]!;
          const a = await provider.createKey(asym);
          const b = await provider.createKey(asym);
          await provider.rotateKey(a.kid);
          for (const spec of symmetricKeys) await provider.createKey(spec);
          const kidsOf = (keys: readonly PublicJwk[]) => keys.map((jwk) => jwk.kid).sort();
          const own = async (options?: Parameters<typeof provider.jwks>[0]) =>
            kidsOf(ctx.ownJwks(await provider.jwks(options)));
          expect(await own()).toEqual([`${a.kid}.2`, `${b.kid}.1`].sort());
          expect(await own({ allVersions: true })).toEqual([`${a.kid}.1`, `${a.kid}.2`, `${b.kid}.1`].sort());
          expect(await own({ prefixKids: a.kid })).toEqual([`${a.kid}.2`]);
          expect(await own({ prefixKids: a.kid, allVersions: true })).toEqual([`${a.kid}.1`, `${a.kid}.2`]);
          for (const jwk of (await provider.jwks({ prefixKids: a.kid.slice(0, 4) })).keys)
            expect(jwk.kid.startsWith(a.kid.slice(0, 4))).toBe(true);
          await provider.destroyKey(a.kid, 2);
          expect(await own({ prefixKids: a.kid })).toEqual([`${a.kid}.1`]);
          await provider.destroyKey(b.kid);
          expect(await own()).toEqual([`${a.kid}.1`]);
          const set = await provider.jwks({ allVersions: true });
          for (const jwk of set.keys) {
            for (const member of PRIVATE_JWK_MEMBERS) expect(jwk).not.toHaveProperty(member);
          }
          // A fresh, mutable array each time (it goes straight to jose's createLocalJWKSet).
          set.keys.length = 0;
          expect(await own({ allVersions: true })).toEqual([`${a.kid}.1`]);
        });
      }
    }

    for (const spec of secretKeys) {
      const opaque = klassOf(spec) === KeyClass.opaque;
      const scopedOnly = opaque || fingerprints === "scoped";
      it(`${specName(spec)}: the fingerprint is ${scopedOnly ? "a stable provider-scoped identifier, never a hash of the secret" : "the RFC 7638 thumbprint of the oct JWK when the secret is exportable, a provider-scoped identifier otherwise"}`, async () => {
        const seen = new Set<string>();
        for (const policy of exportPolicies) {
          const { provider, ref } = await ctx.pooled(spec, policy);
          expect((await provider.getKey(ref.kid, 1)).fingerprint).toBe(ref.fingerprint);
          expect(seen.has(ref.fingerprint)).toBe(false);
          seen.add(ref.fingerprint);
          if (policy !== ExportPolicy.SECRET_WHEN_ALLOWED) continue;
          const thumbprint = await calculateJwkThumbprint({ kty: "oct", k: b64url(ref.material!) });
          if (scopedOnly) expect(ref.fingerprint).not.toBe(thumbprint);
          else expect(ref.fingerprint).toBe(thumbprint);
        }
      });
    }
  });
}
