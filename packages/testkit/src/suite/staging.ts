import {
  KeyClass,
  KeyNotFoundError,
  KeyStatus,
  NotSupportedError,
  type KeyProvider,
  type KeySpec,
} from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { EXPECTED, algOf, klassOf, specName } from "./algorithms.js";
import type { SuiteContext } from "./context.js";
import { parseEnvelope } from "./envelope.js";
import { rejectsWith, utf8, withDefaultUses, withPolicy } from "./helpers.js";

/** Staged rotation (Tink's primary key): rotateKey({ activate: false }), activateVersion, destroying the primary. */
export function describeStaging(ctx: SuiteContext): void {
  const { keys } = ctx.caps;
  const usable = keys.filter((spec) => klassOf(spec) !== KeyClass.opaque);
  // A spec whose keys sign shows which version an operation used; otherwise the first one.
  const spec: KeySpec = withDefaultUses(
    usable.find((s) => EXPECTED[algOf(s)].signature !== undefined) ?? keys[0]!,
  );
  const expected = klassOf(spec) === KeyClass.opaque ? undefined : EXPECTED[algOf(spec)];

  /** Check which version answers reads and operations without a version, and each version's status. */
  async function expectPrimary(
    provider: KeyProvider,
    kid: string,
    primary: number,
    versions: readonly number[],
  ): Promise<void> {
    const features = await ctx.features();
    expect(await provider.listVersions(kid)).toEqual(versions);
    expect(await provider.getKey(kid)).toMatchObject({ version: primary, status: KeyStatus.PRIMARY });
    for (const version of versions) {
      const status =
        version === primary ? KeyStatus.PRIMARY : version > primary ? KeyStatus.STAGED : KeyStatus.ACTIVE;
      expect((await provider.getKey(kid, version)).status).toBe(status);
    }
    const data = utf8("which version signs?");
    if (features.has("sign") && expected?.signature !== undefined) {
      const signature = await provider.sign(kid, data);
      for (const version of versions)
        expect(await provider.verify(kid, data, signature, { version })).toBe(version === primary);
    }
    if (features.has("encrypt") && expected?.envelopeId !== undefined) {
      expect(parseEnvelope(await provider.encrypt(kid, data)).version).toBe(primary);
    }
    if (ctx.publishesJwks && expected?.jwk !== undefined) {
      const published = (options?: { allVersions: boolean }) =>
        provider.jwks({ prefixKids: kid, ...options }).then((set) => set.keys.map((jwk) => jwk.kid));
      expect(await published()).toEqual(versions.filter((v) => v >= primary).map((v) => `${kid}.${v}`));
      expect(await published({ allVersions: true })).toEqual(versions.map((v) => `${kid}.${v}`));
      expect((await provider.getPublicJwk(kid)).kid).toBe(`${kid}.${primary}`);
    }
    if (features.has("export") && expected?.jwk !== undefined) {
      expect((await provider.exportKey(kid, { format: "jwk" })).kid).toBe(`${kid}.${primary}`);
    }
  }

  async function makeKey(): Promise<{ provider: KeyProvider; kid: string }> {
    const provider = await ctx.provider();
    const { kid } = await provider.createKey(withPolicy(spec, ctx.operationsPolicy));
    return { provider, kid };
  }

  describe(`staged rotation (${specName(spec)})`, () => {
    it("without the stage feature, rotateKey(kid, { activate: false }) is NotSupportedError and makes nothing", async () => {
      if ((await ctx.features()).has("stage")) return; // the tests below state what it does
      const { provider, kid } = await makeKey();
      await rejectsWith(provider.rotateKey(kid, { activate: false }), NotSupportedError);
      expect(await provider.listVersions(kid)).toEqual([1]);
    });

    it("rotateKey(kid, { activate: false }) stages a version: published, but the primary still answers reads and operations", async () => {
      if (!(await ctx.features()).has("stage")) return;
      const { provider, kid } = await makeKey();
      const staged = await provider.rotateKey(kid, { activate: false });
      expect([staged.kid, staged.version, staged.status]).toEqual([kid, 2, KeyStatus.STAGED]);
      await expectPrimary(provider, kid, 1, [1, 2]);
      expect((await provider.rotateKey(kid, { activate: false })).status).toBe(KeyStatus.STAGED);
      await expectPrimary(provider, kid, 1, [1, 2, 3]);
      // A rotation without activate: false makes the new version primary, past the staged ones.
      expect(await provider.rotateKey(kid)).toMatchObject({ version: 4, status: KeyStatus.PRIMARY });
      await expectPrimary(provider, kid, 4, [1, 2, 3, 4]);
    });

    it("activateVersion moves the primary to any live version, forwards and back", async () => {
      if (!(await ctx.features()).has("stage")) return;
      const { provider, kid } = await makeKey();
      await provider.rotateKey(kid, { activate: false });
      await provider.rotateKey(kid, { activate: false });
      expect(await provider.activateVersion(kid, 2)).toMatchObject({
        kid,
        version: 2,
        status: KeyStatus.PRIMARY,
      });
      await expectPrimary(provider, kid, 2, [1, 2, 3]);
      expect(await provider.activateVersion(kid, 1)).toMatchObject({ version: 1, status: KeyStatus.PRIMARY });
      await expectPrimary(provider, kid, 1, [1, 2, 3]);
      await provider.activateVersion(kid, 3);
      await expectPrimary(provider, kid, 3, [1, 2, 3]);
      expect(await provider.activateVersion(kid, 3)).toMatchObject({ version: 3, status: KeyStatus.PRIMARY });
      const missing = await rejectsWith(provider.activateVersion(kid, 9), KeyNotFoundError);
      expect([missing.kid, missing.version]).toEqual([kid, 9]);
      await expectPrimary(provider, kid, 3, [1, 2, 3]);
    });

    it("destroying the primary moves it to the newest older live version, else to the oldest newer one", async () => {
      if (!(await ctx.features()).has("stage")) return;
      const { provider, kid } = await makeKey();
      for (let i = 0; i < 3; i += 1) await provider.rotateKey(kid, { activate: false });
      await provider.activateVersion(kid, 3);
      expect(await provider.destroyKey(kid, 3)).toBe(true);
      await expectPrimary(provider, kid, 2, [1, 2, 4]);
      await rejectsWith(provider.activateVersion(kid, 3), KeyNotFoundError);
      expect(await provider.destroyKey(kid, 1)).toBe(true);
      await expectPrimary(provider, kid, 2, [2, 4]);
      expect(await provider.destroyKey(kid, 2)).toBe(true);
      await expectPrimary(provider, kid, 4, [4]);
    });
  });
}
