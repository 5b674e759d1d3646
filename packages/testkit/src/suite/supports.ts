import {
  ExportPolicy,
  InvalidKeySpecError,
  KeyAlg,
  KeyClass,
  KeyUse,
  ProviderFeature,
  UnsupportedAlgorithmError,
  type KeySpec,
} from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { EXPECTED, algOf, klassOf, specName } from "./algorithms.js";
import type { SuiteContext } from "./context.js";
import { rejectsWith, withPolicy } from "./helpers.js";

const FEATURES = Object.values(ProviderFeature) as string[];

/** `supports()` and the specs `createKey` accepts or refuses. */
export function describeSupportsAndSpecs(ctx: SuiteContext): void {
  const { keys, imports, unsupported, exportPolicies } = ctx.caps;
  const first = keys[0]!;

  describe("supports()", () => {
    it("reports plain strings from the shared vocabulary, consistent with the capabilities", async () => {
      const provider = await ctx.provider();
      const supported = provider.supports();
      expect(Object.values(KeyClass)).toEqual(expect.arrayContaining([...supported.class]));
      expect(Object.values(KeyAlg)).toEqual(expect.arrayContaining([...supported.algs]));
      expect(FEATURES).toEqual(expect.arrayContaining([...supported.features]));
      for (const value of [...supported.class, ...supported.algs, ...supported.features])
        expect(typeof value).toBe("string");
      for (const spec of keys) {
        expect(supported.class).toContain(klassOf(spec));
        if (klassOf(spec) !== KeyClass.opaque) expect(supported.algs).toContain(algOf(spec));
      }
      expect(supported.features.includes(ProviderFeature.JWKS)).toBe(ctx.publishesJwks);
      expect(supported.features.includes(ProviderFeature.IMPORT)).toBe(imports.length > 0);
    });

    it("every algorithm it declares is exercised by a spec in capabilities.keys", async () => {
      const declared = (await ctx.supports()).algs;
      const covered = new Set(keys.filter((spec) => klassOf(spec) !== KeyClass.opaque).map(algOf));
      expect(declared.filter((alg) => !covered.has(alg))).toEqual([]);
    });
  });

  describe("specs", () => {
    it("createKey refuses a use that does not exist or does not fit the algorithm with InvalidKeySpecError", async () => {
      const provider = await ctx.provider();
      const bad = await rejectsWith(
        provider.createKey({ ...first, uses: ["no-such-use" as KeyUse] }),
        InvalidKeySpecError,
      );
      expect(bad.field).toBe("uses");
      if (klassOf(first) !== KeyClass.opaque) {
        const refused = Object.values(KeyUse).find((use) => !EXPECTED[algOf(first)].uses.includes(use));
        if (refused !== undefined) {
          const misuse = await rejectsWith(
            provider.createKey({ ...first, uses: [refused] }),
            InvalidKeySpecError,
          );
          expect(misuse.field).toBe("uses");
        }
        const otherKlass = klassOf(first) === KeyClass.symmetric ? KeyClass.asymmetric : KeyClass.symmetric;
        const contradiction = await rejectsWith(
          provider.createKey({ ...first, klass: otherKlass } as KeySpec),
          InvalidKeySpecError,
        );
        expect(contradiction.field).toBe("klass");
      }
      const unknownField = await rejectsWith(
        provider.createKey({ ...first, colour: "blue" } as unknown as KeySpec),
        InvalidKeySpecError,
      );
      expect(unknownField.field).toBe("colour");
      expect(ctx.own(await provider.listKeys())).toEqual([]);
    });

    const refusedPolicies = Object.values(ExportPolicy).filter((policy) => !exportPolicies.includes(policy));
    for (const policy of refusedPolicies) {
      it(`createKey refuses exportPolicy ${policy}, which this provider never honours, with InvalidKeySpecError`, async () => {
        const provider = await ctx.provider();
        for (const spec of keys) {
          const error = await rejectsWith(provider.createKey(withPolicy(spec, policy)), InvalidKeySpecError);
          expect(error.field).toBe("exportPolicy");
        }
        expect(ctx.own(await provider.listKeys())).toEqual([]);
      });
    }

    if (klassOf(first) !== KeyClass.opaque) {
      it("a spec may name the algorithm by its JOSE name and leave out klass, uses and exportPolicy", async () => {
        const provider = await ctx.provider();
        const alg = algOf(first);
        const { klass: _klass, uses: _uses, exportPolicy: _policy, ...rest } = first;
        const minimal = { ...rest, alg: EXPECTED[alg].jose } as KeySpec;
        if (!exportPolicies.includes(ExportPolicy.NONE)) {
          // The default policy is "none": a provider that refuses it refuses the minimal spec.
          expect((await rejectsWith(provider.createKey(minimal), InvalidKeySpecError)).field).toBe(
            "exportPolicy",
          );
          return;
        }
        const ref = await provider.createKey(minimal);
        expect(ref.alg).toBe(alg);
        expect(ref.exportPolicy).toBe(ExportPolicy.NONE);
        expect([...ref.uses].sort()).toEqual([...EXPECTED[alg].defaultUses].sort());
        expect(ref.material).toBeUndefined();
        expect(ref.spec).toMatchObject({ alg, klass: EXPECTED[alg].klass, exportPolicy: ExportPolicy.NONE });
        expect([...ref.spec.uses].sort()).toEqual([...EXPECTED[alg].defaultUses].sort());
      });
    }

    for (const spec of unsupported) {
      it(`createKey refuses ${specName(spec)} with UnsupportedAlgorithmError`, async () => {
        const provider = await ctx.provider();
        await rejectsWith(provider.createKey(spec), UnsupportedAlgorithmError);
        expect(ctx.own(await provider.listKeys())).toEqual([]);
      });
    }
  });
}
