import {
  ExportPolicy,
  InvalidKeySpecError,
  KeyAlg,
  KeyClass,
  KeyNotFoundError,
  KeyStatus,
  KeyType,
  type KeyRef,
  type KeySpec,
} from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { EXPECTED, algOf, klassOf, specName, usesOf } from "./algorithms.js";
import type { SuiteContext } from "./context.js";
import { rejection, rejectsWith } from "./helpers.js";

const THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

/** What a fingerprint of this kind of key must look like. */
export function expectFingerprintShape(ctx: SuiteContext, spec: KeySpec, ref: KeyRef): void {
  expect(typeof ref.fingerprint).toBe("string");
  const klass = klassOf(spec);
  const thumbprint =
    klass === KeyClass.asymmetric ||
    (klass === KeyClass.symmetric &&
      ctx.caps.fingerprints === "thumbprint" &&
      ref.exportPolicy === ExportPolicy.SECRET_WHEN_ALLOWED);
  if (thumbprint) expect(ref.fingerprint).toMatch(THUMBPRINT);
  else expect(ref.fingerprint).toMatch(/^[\x21-\x7e]{1,256}$/);
}

/** The lifecycle of keys of one spec: reads per export policy, then a rotation and destruction. */
function describeSpecLifecycle(ctx: SuiteContext, spec: KeySpec): void {
  const { exportPolicies, kidPattern } = ctx.caps;
  const alg = algOf(spec);
  const klass = klassOf(spec);
  const asymmetric = klass === KeyClass.asymmetric;

  describe(specName(spec), () => {
    for (const policy of exportPolicies) {
      describe(`exportPolicy ${policy}`, () => {
        const secretReturned = policy === ExportPolicy.SECRET_WHEN_ALLOWED;

        it("createKey returns version 1 of a fresh kid, described by the spec", async () => {
          const { ref } = await ctx.pooled(spec, policy);
          expect(ref.kid).toMatch(kidPattern);
          expect(ref.version).toBe(1);
          expect(ref.status).toBe(KeyStatus.PRIMARY);
          expect(ref.alg).toBe(alg);
          expect([...ref.uses].sort()).toEqual([...new Set(usesOf(spec))].sort());
          expect(ref.exportPolicy).toBe(policy);
          expect(ref.type).toBe(klass === KeyClass.opaque ? KeyType.OPAQUE : EXPECTED[alg].type);
          expect(ref.tags).toMatchObject({ suite: "testkit", label: "conformance" });
          expectFingerprintShape(ctx, spec, ref);
          expect(Object.isFrozen(ref)).toBe(true);
          // The spec reads back (so a mirror can copy a version), but is not part of the ref's JSON.
          expect(ref.spec).toMatchObject({ alg, klass, exportPolicy: policy, label: "conformance" });
          expect([...ref.spec.uses].sort()).toEqual([...ref.uses].sort());
          expect(Object.keys(ref)).not.toContain("spec");
          expect(JSON.parse(JSON.stringify(ref))).not.toHaveProperty("spec");
          // Kids are random and distinct, and so are the keys behind them.
          for (const other of exportPolicies.filter((p) => p !== policy)) {
            const { ref: sibling } = await ctx.pooled(spec, other);
            expect(sibling.kid).not.toBe(ref.kid);
            expect(sibling.fingerprint).not.toBe(ref.fingerprint);
          }
        });

        it(`createKey ${secretReturned ? "returns" : "never returns"} secret material`, async () => {
          const { ref } = await ctx.pooled(spec, policy);
          if (secretReturned) {
            expect(ref.material).toBeInstanceOf(Uint8Array);
            expect(ref.material!.length).toBeGreaterThan(0);
            // Readable, but not enumerable: a spread copy or a generic logger never carries it.
            expect(Object.keys(ref)).not.toContain("material");
            expect({ ...ref }).not.toHaveProperty("material");
          } else {
            expect(ref.material).toBeUndefined();
          }
          if (asymmetric) {
            expect(ref.public).toBeInstanceOf(Uint8Array);
            expect(ref.public!.length).toBeGreaterThan(0);
          } else {
            expect(ref.public).toBeUndefined();
          }
        });

        it(`getKey returns secret material ${secretReturned ? "only with includeSecret: true" : "never, whatever includeSecret says"}`, async () => {
          const { provider, ref: created } = await ctx.pooled(spec, policy);
          const versions = await provider.listVersions(created.kid);
          const primary = await provider.getKey(created.kid);
          expect([primary.version, primary.status]).toEqual([versions.at(-1), KeyStatus.PRIMARY]);
          const plain = await provider.getKey(created.kid, 1);
          const no = await provider.getKey(created.kid, 1, { includeSecret: false });
          const yes = await provider.getKey(created.kid, 1, { includeSecret: true });
          expect(primary.material).toBeUndefined();
          expect(plain.material).toBeUndefined();
          expect(no.material).toBeUndefined();
          if (secretReturned) expect(yes.material).toEqual(created.material);
          else expect(yes.material).toBeUndefined();
          for (const ref of [plain, no, yes]) {
            expect(ref.kid).toBe(created.kid);
            expect(ref.version).toBe(1);
            expect(ref.fingerprint).toBe(created.fingerprint);
            expect(ref.public).toEqual(created.public);
            expect(ref.tags).toEqual(created.tags);
          }
          // Returned bytes are copies: changing them changes nothing in the provider (or in another
          // ref; compare against snapshots, since a provider sharing buffers would change both).
          const publicBefore = created.public?.slice();
          const materialBefore = created.material?.slice();
          plain.public?.fill(0);
          yes.material?.fill(0);
          const again = await provider.getKey(created.kid, 1, { includeSecret: true });
          expect(again.public).toEqual(publicBefore);
          expect(created.public).toEqual(publicBefore);
          if (secretReturned) expect(again.material).toEqual(materialBefore);
        });
      });
    }

    it("rotateKey adds a version with a fresh key and the same spec, never another algorithm or a looser policy; destroyKey removes versions", async () => {
      const provider = await ctx.provider();
      const loosest = exportPolicies[0]!;
      const strictest = exportPolicies.at(-1)!;
      const created = await provider.createKey({
        ...spec,
        exportPolicy: loosest,
        label: "first",
        tags: { team: "x" },
      });
      const { kid } = created;

      // Another algorithm is refused before anything is made.
      const otherAlg = alg === KeyAlg.AES256_GCM ? KeyAlg.HMAC_SHA256 : KeyAlg.AES256_GCM;
      const algError = await rejectsWith(
        provider.rotateKey(kid, { specOverrides: { alg: otherAlg } as never }),
        InvalidKeySpecError,
      );
      expect(algError.field).toBe("alg");

      // One rotation per spec (keys can be slow to make): to the strictest policy where there is
      // a stricter one, which must keep everything else of the spec.
      const second = await provider.rotateKey(
        kid,
        strictest === loosest ? undefined : { specOverrides: { exportPolicy: strictest } },
      );
      expect([second.kid, second.version, second.status]).toEqual([kid, 2, KeyStatus.PRIMARY]);
      expect([second.alg, second.type, second.exportPolicy]).toEqual([created.alg, created.type, strictest]);
      expect(second.uses).toEqual(created.uses);
      // The spec's tags carry over; a backend may add per-version facts (a KMS key id) to ref.tags.
      expect(second.spec.tags).toEqual(created.spec.tags);
      expect(second.tags).toMatchObject(created.spec.tags);
      expect(second.tags).toMatchObject({ team: "x", label: "first" });
      expect(second.spec).toEqual({ ...created.spec, exportPolicy: strictest });
      expect(second.fingerprint).not.toBe(created.fingerprint);
      if (strictest === ExportPolicy.SECRET_WHEN_ALLOWED) {
        expect(second.material).toBeInstanceOf(Uint8Array);
        expect(second.material).not.toEqual(created.material);
        // Secrets keep their length; private-key encodings may differ by a byte (DER integers).
        if (!asymmetric) expect(second.material!.length).toBe(created.material!.length);
      } else {
        expect(second.material).toBeUndefined();
      }
      if (asymmetric) expect(second.public).not.toEqual(created.public);
      expect(await provider.listVersions(kid)).toEqual([1, 2]);
      expect(await provider.getKey(kid)).toMatchObject({ version: 2, status: KeyStatus.PRIMARY });
      expect(await provider.getKey(kid, 1)).toMatchObject({
        fingerprint: created.fingerprint,
        status: KeyStatus.ACTIVE,
        exportPolicy: loosest,
      });
      expect(ctx.own(await provider.listKeys())).toEqual([kid]);
      for (const looser of exportPolicies.slice(0, -1)) {
        const error = await rejectsWith(
          provider.rotateKey(kid, { specOverrides: { exportPolicy: looser } }),
          InvalidKeySpecError,
        );
        expect(error.field).toBe("exportPolicy");
      }

      // destroyKey: one version, then all; true only if something went.
      expect(await provider.destroyKey(kid, 99)).toBe(false);
      expect(await provider.destroyKey(kid, 1)).toBe(true);
      expect(await provider.destroyKey(kid, 1)).toBe(false);
      expect(await provider.listVersions(kid)).toEqual([2]);
      expect(KeyNotFoundError.isInstance(await provider.getKey(kid, 1).catch((e: unknown) => e))).toBe(true);
      expect(await provider.destroyKey(kid)).toBe(true);
      expect(await provider.destroyKey(kid)).toBe(false);
      await rejectsWith(provider.getKey(kid), KeyNotFoundError);
      await rejectsWith(provider.listVersions(kid), KeyNotFoundError);
      await rejectsWith(provider.rotateKey(kid), KeyNotFoundError);
      expect(ctx.own(await provider.listKeys())).toEqual([]);
    });
  });
}

/** createKey, getKey, rotateKey, destroyKey, listVersions and listKeys, per spec and export policy. */
export function describeLifecycle(ctx: SuiteContext): void {
  const { keys } = ctx.caps;
  const first = keys[0]!;

  describe("every spec", ctx.parallel, () => {
    for (const spec of keys) describeSpecLifecycle(ctx, spec);
  });

  describe("rotation overrides", () => {
    it("rotateKey applies label and tag overrides to the new version only, and keeps them for the next", async () => {
      const provider = await ctx.provider();
      const { kid, tags } = await provider.createKey({ ...first, label: "first", tags: { team: "x" } });
      const relabelled = await provider.rotateKey(kid, {
        specOverrides: { label: "second", tags: { team: "y" } },
      });
      expect(relabelled.version).toBe(2);
      expect(relabelled.tags).toMatchObject({ team: "y", label: "second" });
      expect(relabelled.spec).toMatchObject({ label: "second", tags: { team: "y", label: "second" } });
      expect((await provider.getKey(kid, 1)).tags).toEqual(tags);
      const next = await provider.rotateKey(kid);
      expect(next.spec.tags).toEqual(relabelled.spec.tags);
      expect(next.tags).toMatchObject(relabelled.spec.tags);
      const misspelt = await rejection(provider.rotateKey(kid, { specOverrides: { lable: "x" } } as never));
      expect(InvalidKeySpecError.isInstance(misspelt) || misspelt instanceof TypeError).toBe(true);
      expect(await provider.listVersions(kid)).toEqual([1, 2, 3]);
    });
  });

  describe("unknown kids and versions", () => {
    it("every read, rotateKey and activateVersion raise KeyNotFoundError carrying kid and version", async () => {
      const provider = await ctx.provider();
      const features = await ctx.features();
      const { kid } = await provider.createKey(first);
      const missing = "0".repeat(32);
      const unknownKid = await rejectsWith(provider.getKey(missing), KeyNotFoundError);
      expect([unknownKid.kid, unknownKid.code]).toEqual([missing, "ERR_KEY_NOT_FOUND"]);
      const unknownVersion = await rejectsWith(provider.getKey(kid, 7), KeyNotFoundError);
      expect([unknownVersion.kid, unknownVersion.version]).toEqual([kid, 7]);
      const calls: (() => Promise<unknown>)[] = [
        () => provider.listVersions("missing"),
        () => provider.rotateKey("missing"),
        () => provider.getKey("missing", 1, { includeSecret: true }),
        () => provider.activateVersion("missing", 1),
        () => provider.activateVersion(kid, 7),
      ];
      if (features.has("export")) {
        calls.push(
          () => provider.exportKey("missing", { format: "jwk" }),
          () => provider.exportKey(kid, { format: "jwk", version: 7 }),
        );
      }
      if (ctx.publishesJwks)
        calls.push(
          () => provider.getPublicJwk("missing"),
          () => provider.getPublicJwk(kid, 7),
        );
      for (const call of calls) await rejectsWith(call(), KeyNotFoundError);
    });

    it("destroyKey of an unknown kid or version returns false", async () => {
      const provider = await ctx.provider();
      const { kid } = await provider.createKey(first);
      expect(await provider.destroyKey("missing")).toBe(false);
      expect(await provider.destroyKey("missing", 1)).toBe(false);
      expect(await provider.destroyKey(kid, 2)).toBe(false);
      expect(await provider.listVersions(kid)).toEqual([1]);
    });

    it("a destroyed version's number is not reused by the next rotation; the last version takes the kid with it", async () => {
      const provider = await ctx.provider();
      const { kid } = await provider.createKey(first);
      await provider.rotateKey(kid);
      expect(await provider.destroyKey(kid, 2)).toBe(true);
      expect((await provider.rotateKey(kid)).version).toBe(3);
      expect(await provider.listVersions(kid)).toEqual([1, 3]);
      expect(await provider.destroyKey(kid, 1)).toBe(true);
      expect(await provider.destroyKey(kid, 3)).toBe(true);
      expect(ctx.own(await provider.listKeys())).toEqual([]);
      await rejectsWith(provider.listVersions(kid), KeyNotFoundError);
      expect(await provider.destroyKey(kid)).toBe(false);
    });
  });

  describe("listKeys", () => {
    it("lists kids sorted, filtered by a prefix of the kid", async () => {
      const provider = await ctx.provider();
      const kids = await Promise.all([1, 2, 3, 4].map(async () => (await provider.createKey(first)).kid));
      const sorted = [...kids].sort();
      const listed = await provider.listKeys();
      expect(listed).toEqual([...listed].sort());
      expect(ctx.own(listed)).toEqual(sorted);
      const prefix = sorted[2]!.slice(0, 6);
      expect(ctx.own(await provider.listKeys({ prefix }))).toEqual(
        sorted.filter((kid) => kid.startsWith(prefix)),
      );
      for (const kid of await provider.listKeys({ prefix })) expect(kid.startsWith(prefix)).toBe(true);
      expect(await provider.listKeys({ prefix: "zz-no-such-prefix" })).toEqual([]);
      // A prefix matches the start of a kid only.
      const inner = sorted[0]!.slice(1, 7);
      expect(ctx.own(await provider.listKeys({ prefix: inner }))).toEqual(
        sorted.filter((kid) => kid.startsWith(inner)),
      );
    });
  });
}
