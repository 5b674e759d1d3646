import { KeyNotFoundError, KeyUnavailableError } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { usesOf } from "./algorithms.js";
import type { SuiteContext } from "./context.js";
import { utf8 } from "./helpers.js";

/** Concurrent rotations and creations, and a destroy racing a rotation or the key's operations. */
export function describeConcurrency(ctx: SuiteContext): void {
  const { keys, concurrency: n } = ctx.caps;
  const first = keys[0]!;

  describe("concurrency", () => {
    it(`${n} concurrent rotateKey calls on one kid give ${n} distinct consecutive versions`, async () => {
      const provider = await ctx.provider();
      const { kid, fingerprint } = await provider.createKey(first);
      const rotated = await Promise.all(Array.from({ length: n }, () => provider.rotateKey(kid)));
      expect(rotated.map((ref) => ref.version).sort((a, b) => a - b)).toEqual(
        Array.from({ length: n }, (_, i) => i + 2),
      );
      expect(new Set([fingerprint, ...rotated.map((ref) => ref.fingerprint)]).size).toBe(n + 1);
      expect(await provider.listVersions(kid)).toEqual(Array.from({ length: n + 1 }, (_, i) => i + 1));
      expect((await provider.getKey(kid)).version).toBe(n + 1);
      expect(ctx.own(await provider.listKeys())).toEqual([kid]);
    });

    it(`${n} concurrent createKey calls give ${n} distinct kids`, async () => {
      const provider = await ctx.provider();
      const created = await Promise.all(Array.from({ length: n }, () => provider.createKey(first)));
      const kids = created.map((ref) => ref.kid);
      expect(new Set(kids).size).toBe(n);
      expect(ctx.own(await provider.listKeys())).toEqual([...kids].sort());
    });

    it("destroyKey during a rotation leaves no kid behind", async () => {
      const provider = await ctx.provider();
      const { kid } = await provider.createKey(first);
      const [rotation, destruction] = await Promise.allSettled([
        provider.rotateKey(kid),
        provider.destroyKey(kid),
      ]);
      expect(destruction).toEqual({ status: "fulfilled", value: true });
      if (rotation.status === "rejected") expect(KeyNotFoundError.isInstance(rotation.reason)).toBe(true);
      expect(ctx.own(await provider.listKeys())).toEqual([]);
      expect(KeyNotFoundError.isInstance(await provider.listVersions(kid).catch((e: unknown) => e))).toBe(
        true,
      );
    });

    it("destroyKey while operations run on the key: none of them brings it back", async () => {
      const provider = await ctx.provider();
      const spec = keys.find((k) => usesOf(k).includes("sign") || usesOf(k).includes("encrypt")) ?? first;
      const uses = usesOf(spec);
      const { kid } = await provider.createKey(spec);
      const message = utf8("in flight");
      const operate = (): Promise<unknown> =>
        uses.includes("sign")
          ? provider.sign(kid, message)
          : uses.includes("encrypt")
            ? provider.encrypt(kid, message)
            : provider.getKey(kid);
      const before = Array.from({ length: n }, operate);
      const destruction = provider.destroyKey(kid);
      const after = Array.from({ length: n }, operate);
      const settled = await Promise.allSettled([...before, ...after]);
      expect(await destruction).toBe(true);
      // In flight: done, or refused as gone (a backend that deletes in steps, like KMS, may say unavailable).
      for (const outcome of settled) {
        if (outcome.status === "rejected") {
          expect(
            KeyNotFoundError.isInstance(outcome.reason) || KeyUnavailableError.isInstance(outcome.reason),
            String(outcome.reason),
          ).toBe(true);
        }
      }
      // Nothing that was in flight re-created the key, its versions, or its published JWK.
      expect(ctx.own(await provider.listKeys())).toEqual([]);
      expect(KeyNotFoundError.isInstance(await provider.getKey(kid).catch((e: unknown) => e))).toBe(true);
      expect(KeyNotFoundError.isInstance(await operate().catch((e: unknown) => e))).toBe(true);
      const published = await provider.jwks({ allVersions: true }).catch(() => ({ keys: [] }));
      expect(
        published.keys.filter((jwk) => jwk.kid === kid || jwk.kid?.startsWith(`${kid}.`) === true),
      ).toEqual([]);
    });
  });
}
