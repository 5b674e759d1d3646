import { Buffer } from "node:buffer";
import {
  ExportPolicy,
  InvalidKeySpecError,
  KeyAlg,
  KeyClass,
  KeyExistsError,
  KeyNotFoundError,
  KeyProviderError,
  KeyType,
  KeyUse,
  NotSupportedError,
  ProviderFeature,
  UnsupportedAlgorithmError,
  type KeyProvider,
  type KeySpec,
  type PublicJwk,
} from "@keyprovider/core";
import { calculateJwkThumbprint } from "jose";
import { describe, expect, it } from "vitest";
import { findSecretLeaks } from "./secret-leaks.js";
import { LONG_INFO_VECTOR, RFC5869_VECTORS } from "./vectors.js";

/**
 * Bytes `importKey` must accept, and the secrets they contain.
 *
 * @example
 * ```ts
 * const fixture: ImportFixture = { name: "raw AES key", spec: aesSpec, material: new Uint8Array(32).fill(7) };
 * ```
 */
export interface ImportFixture {
  /** Shown in test names. */
  readonly name: string;
  readonly spec: KeySpec;
  readonly material?: Uint8Array;
  readonly public?: Uint8Array;
  /** The secret bytes the leak check searches for. Default: `material`. */
  readonly secrets?: readonly Uint8Array[];
}

/**
 * What the provider under test can do, so the suite knows what to expect.
 *
 * @example
 * ```ts
 * const capabilities: ConformanceCapabilities = {
 *   keys: [{ klass: "sym", alg: "AES256_GCM", uses: ["encrypt", "decrypt"], exportPolicy: "none" }],
 *   publishesJwks: false,
 * };
 * ```
 */
export interface ConformanceCapabilities {
  /**
   * One spec per kind of key `createKey` accepts; the suite runs each under every export policy.
   * The first is also used for the concurrency and argument tests, so make it a fast one.
   */
  readonly keys: readonly KeySpec[];
  /** Whether asymmetric keys are published through `getPublicJwk` and `jwks`. */
  readonly publishesJwks: boolean;
  /** Material `importKey` must accept. Omit if the provider does not import. */
  readonly imports?: readonly ImportFixture[];
  /** Material `importKey` must refuse; its secrets must not appear in the error. */
  readonly invalidImports?: readonly ImportFixture[];
  /** Specs `createKey` must refuse with `UnsupportedAlgorithmError`. */
  readonly unsupported?: readonly KeySpec[];
  /** Kids the provider makes. Default: 32 lowercase hex characters. */
  readonly kidPattern?: RegExp;
}

const POLICIES = Object.values(ExportPolicy);
const SLOW = 120_000;

/** What the contract says a published JWK looks like, per algorithm (independent of any implementation). */
const EXPECTED_JWK: Partial<Record<KeyAlg, Partial<PublicJwk>>> = {
  [KeyAlg.ED25519]: { kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" },
  [KeyAlg.X25519]: { kty: "OKP", crv: "X25519", alg: "ECDH-ES", use: "enc" },
  [KeyAlg.ECDSA_P256_SHA256]: { kty: "EC", crv: "P-256", alg: "ES256", use: "sig" },
  [KeyAlg.RSA_PSS_SHA256]: { kty: "RSA", alg: "PS256", use: "sig" },
  [KeyAlg.RSA_OAEP_SHA256]: { kty: "RSA", alg: "RSA-OAEP-256", use: "enc" },
};
const EXPECTED_TYPE: Record<KeyAlg, KeyType> = {
  [KeyAlg.AES256_GCM]: KeyType.SYMMETRIC,
  [KeyAlg.HMAC_SHA256]: KeyType.SYMMETRIC,
  [KeyAlg.ED25519]: KeyType.ED25519,
  [KeyAlg.X25519]: KeyType.X25519,
  [KeyAlg.RSA_OAEP_SHA256]: KeyType.RSA,
  [KeyAlg.RSA_PSS_SHA256]: KeyType.RSA,
  [KeyAlg.ECDSA_P256_SHA256]: KeyType.EC,
};
/** The uses that make sense for each algorithm. */
const SIGNING: readonly KeyUse[] = [KeyUse.SIGN, KeyUse.VERIFY];
const ENCRYPTING: readonly KeyUse[] = [KeyUse.ENCRYPT, KeyUse.DECRYPT, KeyUse.WRAP, KeyUse.UNWRAP];
const EXPECTED_USES: Record<KeyAlg, readonly KeyUse[]> = {
  [KeyAlg.AES256_GCM]: ENCRYPTING,
  [KeyAlg.HMAC_SHA256]: SIGNING,
  [KeyAlg.ED25519]: SIGNING,
  [KeyAlg.ECDSA_P256_SHA256]: SIGNING,
  [KeyAlg.RSA_PSS_SHA256]: SIGNING,
  [KeyAlg.RSA_OAEP_SHA256]: ENCRYPTING,
  [KeyAlg.X25519]: [...ENCRYPTING, KeyUse.ENCAPS, KeyUse.DECAPS],
};
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const FEATURES = Object.values(ProviderFeature) as string[];

const hex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const b64url = (b: Uint8Array) => Buffer.from(b).toString("base64url");
const withPolicy = (spec: KeySpec, exportPolicy: ExportPolicy): KeySpec => ({ ...spec, exportPolicy });
const isAsymmetric = (spec: KeySpec) => spec.klass === KeyClass.asymmetric;
const specName = (spec: KeySpec) =>
  `${spec.klass} ${spec.alg}${spec.sizeBits === undefined ? "" : `/${spec.sizeBits}`}${spec.encoding === undefined ? "" : ` ${spec.encoding}`}${spec.publicFormat === "Raw" || spec.privateFormat === "Raw" ? " raw" : ""}`;

const isNotFound = (error: unknown) => KeyNotFoundError.isInstance(error);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to be rejected, but it resolved");
}

/**
 * The `KeyProvider` contract (DESIGN §3), stated once as a vitest suite. Every provider package
 * runs it; third-party providers can too. `factory` is called for a fresh provider in every test.
 *
 * @example
 * ```ts
 * import { describeKeyProvider } from "@keyprovider/testkit";
 * import { InMemoryKeyProvider } from "@keyprovider/inmemory";
 *
 * describeKeyProvider("InMemoryKeyProvider", () => new InMemoryKeyProvider(), {
 *   keys: [{ klass: "sym", alg: "AES256_GCM", uses: ["encrypt", "decrypt"], exportPolicy: "none" }],
 *   publishesJwks: false,
 * });
 * ```
 */
export function describeKeyProvider(
  name: string,
  factory: () => KeyProvider | Promise<KeyProvider>,
  capabilities: ConformanceCapabilities,
): void {
  const { keys, publishesJwks, imports = [], invalidImports = [], unsupported = [] } = capabilities;
  const kidPattern = capabilities.kidPattern ?? /^[0-9a-f]{32}$/;
  const first = keys[0];
  if (first === undefined)
    throw new TypeError("describeKeyProvider: capabilities.keys must list at least one spec");
  const asymmetricKeys = keys.filter(isAsymmetric);
  const symmetricKeys = keys.filter((spec) => !isAsymmetric(spec));

  describe(`${name} conforms to the KeyProvider contract`, () => {
    describe("supports()", () => {
      it("reports plain strings from the shared vocabulary", async () => {
        const provider = await factory();
        const supported = provider.supports();
        expect(Object.values(KeyClass)).toEqual(expect.arrayContaining([...supported.class]));
        expect(Object.values(KeyAlg)).toEqual(expect.arrayContaining([...supported.algs]));
        expect(FEATURES).toEqual(expect.arrayContaining([...supported.features]));
        for (const value of [...supported.class, ...supported.algs, ...supported.features])
          expect(typeof value).toBe("string");
        for (const spec of keys) {
          expect(supported.class).toContain(spec.klass);
          if (spec.klass !== KeyClass.opaque) expect(supported.algs).toContain(spec.alg);
        }
        expect(supported.features.includes(ProviderFeature.JWKS)).toBe(publishesJwks);
        expect(supported.features.includes(ProviderFeature.IMPORT)).toBe(imports.length > 0);
      });
    });

    for (const base of keys) {
      describe(specName(base), () => {
        for (const policy of POLICIES) {
          describe(`exportPolicy ${policy}`, () => {
            const spec = withPolicy(base, policy);
            const secretReturned = policy === ExportPolicy.SECRET_WHEN_ALLOWED;

            it(
              "createKey returns version 1 of a fresh kid, described by the spec",
              async () => {
                const provider = await factory();
                const tagged: KeySpec = { ...spec, label: "conformance", tags: { suite: "testkit" } };
                const ref = await provider.createKey(tagged);
                expect(ref.kid).toMatch(kidPattern);
                expect(ref.version).toBe(1);
                expect(ref.alg).toBe(spec.alg);
                expect([...ref.uses].sort()).toEqual([...new Set(spec.uses)].sort());
                expect(ref.exportPolicy).toBe(policy);
                expect(ref.type).toBe(
                  spec.klass === KeyClass.opaque ? KeyType.OPAQUE : EXPECTED_TYPE[spec.alg],
                );
                expect(ref.tags).toMatchObject({ suite: "testkit", label: "conformance" });
                expect(ref.fingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
                expect(Object.isFrozen(ref)).toBe(true);
                const other = await provider.createKey(spec);
                expect(other.kid).not.toBe(ref.kid);
                expect(other.fingerprint).not.toBe(ref.fingerprint);
              },
              SLOW,
            );

            it(
              `createKey ${secretReturned ? "returns" : "never returns"} secret material`,
              async () => {
                const provider = await factory();
                const ref = await provider.createKey(spec);
                if (secretReturned) {
                  expect(ref.material).toBeInstanceOf(Uint8Array);
                  expect(ref.material!.length).toBeGreaterThan(0);
                  // Readable, but not enumerable: a spread copy or a generic logger never carries it.
                  expect(Object.keys(ref)).not.toContain("material");
                  expect({ ...ref }).not.toHaveProperty("material");
                } else {
                  expect(ref.material).toBeUndefined();
                }
                if (isAsymmetric(spec)) {
                  expect(ref.public).toBeInstanceOf(Uint8Array);
                  expect(ref.public!.length).toBeGreaterThan(0);
                } else if (spec.klass === KeyClass.symmetric) {
                  expect(ref.public).toBeUndefined();
                }
              },
              SLOW,
            );

            it(
              `getKey returns secret material ${secretReturned ? "only with includeSecret: true" : "never, whatever includeSecret says"}`,
              async () => {
                const provider = await factory();
                const created = await provider.createKey(spec);
                const plain = await provider.getKey(created.kid);
                const no = await provider.getKey(created.kid, undefined, { includeSecret: false });
                const yes = await provider.getKey(created.kid, 1, { includeSecret: true });
                expect(plain.material).toBeUndefined();
                expect(no.material).toBeUndefined();
                if (secretReturned) expect(yes.material).toEqual(created.material);
                else expect(yes.material).toBeUndefined();
                for (const ref of [plain, no, yes]) {
                  expect(ref.kid).toBe(created.kid);
                  expect(ref.version).toBe(1);
                  expect(ref.fingerprint).toBe(created.fingerprint);
                  expect(ref.public).toEqual(created.public);
                }
                // Returned bytes are copies: changing them changes nothing in the provider (or in
                // another ref; compare against snapshots, since a provider that shares buffers would
                // change `created` too).
                const publicBefore = created.public?.slice();
                const materialBefore = created.material?.slice();
                plain.public?.fill(0);
                yes.material?.fill(0);
                const again = await provider.getKey(created.kid, 1, { includeSecret: true });
                expect(again.public).toEqual(publicBefore);
                expect(created.public).toEqual(publicBefore);
                if (secretReturned) expect(again.material).toEqual(materialBefore);
              },
              SLOW,
            );

            it(
              "rotateKey adds the next version with new material and the same spec",
              async () => {
                const provider = await factory();
                const created = await provider.createKey({ ...spec, label: "rotating", tags: { team: "x" } });
                const rotated = await provider.rotateKey(created.kid);
                expect(rotated.kid).toBe(created.kid);
                expect(rotated.version).toBe(2);
                expect(rotated.alg).toBe(created.alg);
                expect(rotated.type).toBe(created.type);
                expect(rotated.uses).toEqual(created.uses);
                expect(rotated.exportPolicy).toBe(policy);
                expect(rotated.tags).toEqual(created.tags);
                expect(rotated.fingerprint).not.toBe(created.fingerprint);
                if (secretReturned) {
                  expect(rotated.material).toBeInstanceOf(Uint8Array);
                  expect(rotated.material).not.toEqual(created.material);
                  // Secrets keep their length; private-key encodings may differ by a byte (DER integers).
                  if (!isAsymmetric(spec)) expect(rotated.material!.length).toBe(created.material!.length);
                } else {
                  expect(rotated.material).toBeUndefined();
                }
                if (isAsymmetric(spec)) expect(rotated.public).not.toEqual(created.public);
                expect(await provider.listVersions(created.kid)).toEqual([1, 2]);
                expect((await provider.getKey(created.kid)).version).toBe(2);
                expect((await provider.getKey(created.kid, 1)).fingerprint).toBe(created.fingerprint);
                expect(await provider.listKeys()).toEqual([created.kid]);
              },
              SLOW,
            );

            it(
              "rotateKey applies overrides, but never another algorithm or a looser export policy",
              async () => {
                const provider = await factory();
                const created = await provider.createKey({ ...spec, label: "first", tags: { team: "x" } });
                const relabelled = await provider.rotateKey(created.kid, {
                  specOverrides: { label: "second", tags: { team: "y" } },
                });
                expect([relabelled.version, relabelled.tags]).toEqual([2, { team: "y", label: "second" }]);
                expect((await provider.getKey(created.kid, 1)).tags).toEqual({ team: "x", label: "first" });
                const otherAlg = spec.alg === KeyAlg.AES256_GCM ? KeyAlg.HMAC_SHA256 : KeyAlg.AES256_GCM;
                const algError = await rejection(
                  provider.rotateKey(created.kid, { specOverrides: { alg: otherAlg } as never }),
                );
                expect(InvalidKeySpecError.isInstance(algError)).toBe(true);
                expect((algError as InvalidKeySpecError).field).toBe("alg");
                if (policy !== ExportPolicy.SECRET_WHEN_ALLOWED) {
                  const looser = await rejection(
                    provider.rotateKey(created.kid, {
                      specOverrides: { exportPolicy: ExportPolicy.SECRET_WHEN_ALLOWED },
                    }),
                  );
                  expect(InvalidKeySpecError.isInstance(looser)).toBe(true);
                  expect((looser as InvalidKeySpecError).field).toBe("exportPolicy");
                }
                if (policy !== ExportPolicy.NONE) {
                  const stricter = await provider.rotateKey(created.kid, {
                    specOverrides: { exportPolicy: ExportPolicy.NONE },
                  });
                  expect([stricter.exportPolicy, stricter.material]).toEqual([ExportPolicy.NONE, undefined]);
                }
                expect(await provider.listVersions(created.kid)).toEqual(
                  policy === ExportPolicy.NONE ? [1, 2] : [1, 2, 3],
                );
              },
              SLOW,
            );

            it(
              "destroyKey removes one version or all, and reports whether anything went",
              async () => {
                const provider = await factory();
                const { kid } = await provider.createKey(spec);
                await provider.rotateKey(kid);
                expect(await provider.destroyKey(kid, 99)).toBe(false);
                expect(await provider.destroyKey(kid, 1)).toBe(true);
                expect(await provider.destroyKey(kid, 1)).toBe(false);
                expect(await provider.listVersions(kid)).toEqual([2]);
                await expect(provider.getKey(kid, 1)).rejects.toSatisfy(isNotFound);
                expect(await provider.destroyKey(kid)).toBe(true);
                expect(await provider.destroyKey(kid)).toBe(false);
                await expect(provider.getKey(kid)).rejects.toSatisfy(isNotFound);
                await expect(provider.listVersions(kid)).rejects.toSatisfy(isNotFound);
                await expect(provider.rotateKey(kid)).rejects.toSatisfy(isNotFound);
                expect(await provider.listKeys()).toEqual([]);
                // Destroying the only version by number takes the kid with it.
                const single = await provider.createKey(spec);
                expect(await provider.destroyKey(single.kid, 1)).toBe(true);
                expect(await provider.listKeys()).toEqual([]);
                await expect(provider.listVersions(single.kid)).rejects.toSatisfy(isNotFound);
                expect(await provider.destroyKey(single.kid)).toBe(false);
              },
              SLOW,
            );
          });
        }

        it(
          "the fingerprint is the RFC 7638 thumbprint of the key",
          async () => {
            const provider = await factory();
            const ref = await provider.createKey(withPolicy(base, ExportPolicy.SECRET_WHEN_ALLOWED));
            if (isAsymmetric(base) && publishesJwks) {
              const jwk = await provider.getPublicJwk(ref.kid);
              expect(ref.fingerprint).toBe(await calculateJwkThumbprint(jwk as never));
            } else if (base.klass === KeyClass.symmetric && (base.privateFormat ?? "Raw") === "Raw") {
              expect(ref.fingerprint).toBe(
                await calculateJwkThumbprint({ kty: "oct", k: b64url(ref.material!) }),
              );
            } else {
              expect(ref.fingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
            }
          },
          SLOW,
        );
      });
    }

    describe("unknown kids and versions", () => {
      it("every read and rotateKey raise KeyNotFoundError carrying kid and version", async () => {
        const provider = await factory();
        const { kid } = await provider.createKey(first);
        const unknownKid = await rejection(provider.getKey("0".repeat(32)));
        expect(KeyNotFoundError.isInstance(unknownKid)).toBe(true);
        expect((unknownKid as KeyNotFoundError).kid).toBe("0".repeat(32));
        expect((unknownKid as KeyNotFoundError).code).toBe("ERR_KEY_NOT_FOUND");
        const unknownVersion = await rejection(provider.getKey(kid, 7));
        expect(KeyNotFoundError.isInstance(unknownVersion)).toBe(true);
        expect((unknownVersion as KeyNotFoundError).kid).toBe(kid);
        expect((unknownVersion as KeyNotFoundError).version).toBe(7);
        for (const call of [
          provider.listVersions("missing"),
          provider.rotateKey("missing"),
          provider.getKey("missing", 1, { includeSecret: true }),
        ]) {
          expect(KeyNotFoundError.isInstance(await rejection(call))).toBe(true);
        }
        if (publishesJwks) {
          expect(KeyNotFoundError.isInstance(await rejection(provider.getPublicJwk("missing")))).toBe(true);
          expect(KeyNotFoundError.isInstance(await rejection(provider.getPublicJwk(kid, 7)))).toBe(true);
        }
      });

      it("destroyKey of an unknown kid or version returns false", async () => {
        const provider = await factory();
        const { kid } = await provider.createKey(first);
        expect(await provider.destroyKey("missing")).toBe(false);
        expect(await provider.destroyKey("missing", 1)).toBe(false);
        expect(await provider.destroyKey(kid, 2)).toBe(false);
        expect(await provider.listVersions(kid)).toEqual([1]);
      });

      it(
        "a destroyed version's number is not reused by the next rotation",
        async () => {
          const provider = await factory();
          const { kid } = await provider.createKey(first);
          await provider.rotateKey(kid);
          await provider.destroyKey(kid, 2);
          expect((await provider.rotateKey(kid)).version).toBe(3);
          expect(await provider.listVersions(kid)).toEqual([1, 3]);
        },
        SLOW,
      );
    });

    describe("listKeys", () => {
      it(
        "lists kids sorted, filtered by prefix",
        async () => {
          const provider = await factory();
          const kids = await Promise.all([1, 2, 3, 4].map(async () => (await provider.createKey(first)).kid));
          const sorted = [...kids].sort();
          expect(await provider.listKeys()).toEqual(sorted);
          const prefix = sorted[2]!.slice(0, 6);
          expect(await provider.listKeys({ prefix })).toEqual(sorted.filter((kid) => kid.startsWith(prefix)));
          expect(await provider.listKeys({ prefix: "zz-no-such-prefix" })).toEqual([]);
          // A prefix matches the start of a kid only.
          const inner = sorted[0]!.slice(1, 7);
          expect(await provider.listKeys({ prefix: inner })).toEqual(
            sorted.filter((kid) => kid.startsWith(inner)),
          );
        },
        SLOW,
      );
    });

    describe("concurrent rotation", () => {
      it(
        "50 concurrent rotateKey calls on one kid give 50 distinct consecutive versions",
        async () => {
          const provider = await factory();
          const { kid } = await provider.createKey(first);
          const rotated = await Promise.all(Array.from({ length: 50 }, () => provider.rotateKey(kid)));
          const versions = rotated.map((ref) => ref.version).sort((a, b) => a - b);
          expect(versions).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
          expect(new Set(rotated.map((ref) => ref.fingerprint)).size).toBe(50);
          expect(await provider.listVersions(kid)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
          expect(await provider.listKeys()).toEqual([kid]);
        },
        SLOW,
      );

      it(
        "destroyKey during a rotation leaves no kid behind",
        async () => {
          const provider = await factory();
          const { kid } = await provider.createKey(first);
          const rotating = provider.rotateKey(kid);
          const destroyed = provider.destroyKey(kid);
          const [rotation, destruction] = await Promise.allSettled([rotating, destroyed]);
          expect(destruction).toEqual({ status: "fulfilled", value: true });
          if (rotation.status === "rejected") expect(isNotFound(rotation.reason)).toBe(true);
          expect(await provider.listKeys()).toEqual([]);
          await expect(provider.listVersions(kid)).rejects.toSatisfy(isNotFound);
        },
        SLOW,
      );
    });

    describe("specs", () => {
      it("createKey refuses a nonsensical spec with InvalidKeySpecError", async () => {
        const provider = await factory();
        const bad = await rejection(provider.createKey({ ...first, uses: ["no-such-use" as KeyUse] }));
        expect(InvalidKeySpecError.isInstance(bad)).toBe(true);
        expect((bad as InvalidKeySpecError).field).toBe("uses");
        const refused = Object.values(KeyUse).find((use) => !EXPECTED_USES[first.alg].includes(use));
        if (first.klass !== KeyClass.opaque && refused !== undefined) {
          const misuse = await rejection(provider.createKey({ ...first, uses: [refused] }));
          expect(InvalidKeySpecError.isInstance(misuse)).toBe(true);
          expect((misuse as InvalidKeySpecError).field).toBe("uses");
        }
      });

      it.each(unsupported.map((spec) => [specName(spec), spec] as const))(
        "createKey refuses %s with UnsupportedAlgorithmError",
        async (_label, spec) => {
          const provider = await factory();
          const error = await rejection(provider.createKey(spec));
          expect(UnsupportedAlgorithmError.isInstance(error)).toBe(true);
        },
      );
    });

    describe("JWK and JWKS", () => {
      if (!publishesJwks) {
        it("getPublicJwk and jwks throw NotSupportedError", async () => {
          const provider = await factory();
          const { kid } = await provider.createKey(first);
          expect(NotSupportedError.isInstance(await rejection(provider.getPublicJwk(kid)))).toBe(true);
          expect(NotSupportedError.isInstance(await rejection(provider.jwks()))).toBe(true);
        });
        return;
      }

      for (const spec of asymmetricKeys) {
        it(
          `${specName(spec)}: the public JWK has kid "<kid>.<version>", alg and use, and no private members`,
          async () => {
            const provider = await factory();
            const ref = await provider.createKey(withPolicy(spec, ExportPolicy.SECRET_WHEN_ALLOWED));
            const jwk = await provider.getPublicJwk(ref.kid);
            expect(jwk).toMatchObject({ ...EXPECTED_JWK[spec.alg], kid: `${ref.kid}.1` });
            for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member);
            expect(jwk).not.toHaveProperty("key_ops");
            await provider.rotateKey(ref.kid);
            expect((await provider.getPublicJwk(ref.kid)).kid).toBe(`${ref.kid}.2`);
            expect(await provider.getPublicJwk(ref.kid, 1)).toEqual(jwk);
            const mutated = await provider.getPublicJwk(ref.kid, 1);
            (mutated as { kid: string }).kid = "tampered";
            expect((await provider.getPublicJwk(ref.kid, 1)).kid).toBe(`${ref.kid}.1`);
          },
          SLOW,
        );
      }

      for (const spec of symmetricKeys) {
        it(`${specName(spec)}: getPublicJwk throws NotSupportedError and jwks never lists it`, async () => {
          const provider = await factory();
          const ref = await provider.createKey(spec);
          expect(NotSupportedError.isInstance(await rejection(provider.getPublicJwk(ref.kid)))).toBe(true);
          const { keys: published } = await provider.jwks({ allVersions: true });
          expect(published.map((jwk) => jwk.kid.split(".")[0])).not.toContain(ref.kid);
        });
      }

      if (asymmetricKeys.length > 0) {
        it(
          "jwks lists the latest version of every asymmetric key, every live version with allVersions, filtered by prefix",
          async () => {
            const provider = await factory();
            const asym = asymmetricKeys[0]!;
            const a = await provider.createKey(asym);
            const b = await provider.createKey(asym);
            await provider.rotateKey(a.kid);
            for (const spec of symmetricKeys) await provider.createKey(spec);
            const kidsOf = (set: { keys: readonly PublicJwk[] }) => set.keys.map((jwk) => jwk.kid).sort();
            expect(kidsOf(await provider.jwks())).toEqual([`${a.kid}.2`, `${b.kid}.1`].sort());
            expect(kidsOf(await provider.jwks({ allVersions: true }))).toEqual(
              [`${a.kid}.1`, `${a.kid}.2`, `${b.kid}.1`].sort(),
            );
            expect(kidsOf(await provider.jwks({ prefixKids: a.kid }))).toEqual([`${a.kid}.2`]);
            expect(kidsOf(await provider.jwks({ prefixKids: a.kid, allVersions: true }))).toEqual([
              `${a.kid}.1`,
              `${a.kid}.2`,
            ]);
            await provider.destroyKey(a.kid, 2);
            expect(kidsOf(await provider.jwks({ prefixKids: a.kid }))).toEqual([`${a.kid}.1`]);
            await provider.destroyKey(b.kid);
            expect(kidsOf(await provider.jwks())).toEqual([`${a.kid}.1`]);
            for (const jwk of (await provider.jwks({ allVersions: true })).keys) {
              for (const member of PRIVATE_MEMBERS) expect(jwk).not.toHaveProperty(member);
            }
          },
          SLOW,
        );
      }
    });

    describe("randomBytes", () => {
      it("returns n CSPRNG bytes for n in 0..65536", async () => {
        const provider = await factory();
        for (const n of [0, 1, 32, 65_536]) {
          const bytes = await provider.randomBytes(n);
          expect(bytes).toBeInstanceOf(Uint8Array);
          expect(bytes).toHaveLength(n);
        }
        expect(toHex(await provider.randomBytes(32))).not.toBe(toHex(await provider.randomBytes(32)));
      });

      it("refuses n outside 0..65536 or fractional with RangeError, and non-numbers with TypeError", async () => {
        const provider = await factory();
        for (const n of [-1, 65_537, 1.5])
          expect(await rejection(provider.randomBytes(n))).toBeInstanceOf(RangeError);
        expect(await rejection(provider.randomBytes("16" as never))).toBeInstanceOf(TypeError);
      });
    });

    describe("hkdf", () => {
      it.each(RFC5869_VECTORS.map((v) => [v.name, v] as const))(
        "reproduces RFC 5869 %s",
        async (_name, v) => {
          const provider = await factory();
          const okm = await provider.hkdf(hex(v.ikm), {
            salt: hex(v.salt),
            info: hex(v.info),
            length: v.length,
          });
          expect(toHex(okm)).toBe(v.okm);
        },
      );

      it("accepts lengths 0 and 8160 and refuses 8161, negative and fractional lengths", async () => {
        const provider = await factory();
        const ikm = new Uint8Array(16);
        expect(await provider.hkdf(ikm, { length: 0 })).toHaveLength(0);
        expect(await provider.hkdf(ikm, { length: 8160 })).toHaveLength(8160);
        for (const length of [8161, -1, 2.5])
          expect(await rejection(provider.hkdf(ikm, { length }))).toBeInstanceOf(RangeError);
        expect(await rejection(provider.hkdf("ikm" as never, { length: 32 }))).toBeInstanceOf(TypeError);
      });

      it("handles an info longer than 1024 bytes, and still refuses 8161 bytes with it", async () => {
        const provider = await factory();
        const { ikm, salt, infoLength, length, okm } = LONG_INFO_VECTOR;
        const info = new Uint8Array(infoLength).map((_, i) => i & 0xff);
        expect(toHex(await provider.hkdf(hex(ikm), { salt: hex(salt), info, length }))).toBe(okm);
        expect(await rejection(provider.hkdf(hex(ikm), { info, length: 8161 }))).toBeInstanceOf(RangeError);
      });
    });

    describe("argument types", () => {
      it("wrong types are TypeError and out-of-range versions RangeError, from every method", async () => {
        const provider = await factory();
        const { kid } = await provider.createKey(first);
        const typeErrors = [
          provider.createKey(null as never),
          provider.getKey(42 as never),
          provider.getKey(kid, "1" as never),
          provider.getKey(kid, undefined, { includeSecret: "yes" as never }),
          provider.listVersions(undefined as never),
          provider.rotateKey(kid, { specOverride: {} } as never),
          provider.destroyKey({} as never),
          provider.listKeys({ prefix: 1 as never }),
          provider.listKeys({ prefx: "a" } as never),
          provider.importKey(first, new Uint8Array(32), { kidd: "x" } as never),
          ...(publishesJwks ? [provider.jwks({ allversions: true } as never)] : []),
        ];
        for (const call of typeErrors) expect(await rejection(call)).toBeInstanceOf(TypeError);
        for (const call of [
          provider.getKey(kid, 0),
          provider.getKey(kid, -1),
          provider.destroyKey(kid, 1.5),
        ]) {
          expect(await rejection(call)).toBeInstanceOf(RangeError);
        }
        expect(await provider.listVersions(kid)).toEqual([1]);
      });
    });

    if (imports.length > 0) {
      describe("importKey", () => {
        for (const fixture of imports) {
          for (const policy of POLICIES) {
            it(`${fixture.name} (${policy}): a new random kid at version 1, material per the export policy`, async () => {
              const provider = await factory();
              const spec = withPolicy(fixture.spec, policy);
              const options = fixture.public === undefined ? undefined : { public: fixture.public };
              const ref = await provider.importKey(spec, fixture.material, options);
              const again = await provider.importKey(spec, fixture.material, options);
              expect(ref.kid).toMatch(kidPattern);
              expect(again.kid).not.toBe(ref.kid);
              expect(ref.version).toBe(1);
              expect(again.fingerprint).toBe(ref.fingerprint);
              const secretReturned =
                policy === ExportPolicy.SECRET_WHEN_ALLOWED && fixture.material !== undefined;
              const withSecret = await provider.getKey(ref.kid, undefined, { includeSecret: true });
              if (secretReturned) {
                expect(ref.material).toBeInstanceOf(Uint8Array);
                expect(withSecret.material).toEqual(ref.material);
              } else {
                expect(ref.material).toBeUndefined();
                expect(withSecret.material).toBeUndefined();
              }
              expect((await provider.getKey(ref.kid)).material).toBeUndefined();
              // The kid is random, not derived from the key: another provider gives another kid.
              const elsewhere = await (await factory()).importKey(spec, fixture.material, options);
              expect(elsewhere.kid).not.toBe(ref.kid);
              if (spec.klass !== KeyClass.opaque) expect(elsewhere.fingerprint).toBe(ref.fingerprint);
              // Returned public bytes are a copy.
              if (ref.public !== undefined) {
                const original = ref.public.slice();
                ref.public.fill(0);
                expect((await provider.getKey(ref.kid)).public).toEqual(original);
              }
            });
          }
        }

        const withSecret = imports.find((fixture) => fixture.material !== undefined);
        if (withSecret !== undefined) {
          it("with a kid it adds the next version; with a version, exactly that one, never a taken or destroyed one", async () => {
            const provider = await factory();
            const fixture = withSecret;
            const options = fixture.public === undefined ? {} : { public: fixture.public };
            const add = (
              extra: { kid?: string; version?: number },
              spec: KeySpec = fixture.spec,
              material = fixture.material,
            ) => provider.importKey(spec, material, { ...options, ...extra });
            const created = await add({});
            const second = await add({ kid: created.kid });
            expect([second.kid, second.version]).toEqual([created.kid, 2]);
            expect((await add({ kid: created.kid, version: 7 })).version).toBe(7);
            expect((await add({ kid: created.kid, version: 3 })).version).toBe(3);
            expect(await provider.listVersions(created.kid)).toEqual([1, 2, 3, 7]);
            const taken = await rejection(add({ kid: created.kid, version: 2 }));
            expect(KeyExistsError.isInstance(taken)).toBe(true);
            // A destroyed number is not issued again, so a verifier that cached it never meets another key.
            await provider.destroyKey(created.kid, 3);
            const destroyed = await rejection(add({ kid: created.kid, version: 3 }));
            expect(KeyExistsError.isInstance(destroyed)).toBe(true);
            expect((await provider.rotateKey(created.kid)).version).toBe(8);
            expect(await provider.listVersions(created.kid)).toEqual([1, 2, 7, 8]);
            // A version of another algorithm is refused.
            const other = imports.find((f) => f.material !== undefined && f.spec.alg !== fixture.spec.alg);
            if (other !== undefined) {
              const mixed = await rejection(
                provider.importKey(other.spec, other.material, { kid: created.kid }),
              );
              expect(InvalidKeySpecError.isInstance(mixed)).toBe(true);
              expect((mixed as InvalidKeySpecError).field).toBe("alg");
              expect(await provider.listVersions(created.kid)).toEqual([1, 2, 7, 8]);
            }
            const chosen = await add({ kid: "my-own-kid" });
            expect([chosen.kid, chosen.version]).toEqual(["my-own-kid", 1]);
          });
        }

        const publicOnly = imports.find((fixture) => fixture.material === undefined);
        if (publicOnly !== undefined) {
          it(`${publicOnly.name}: a key imported without its secret cannot be rotated, only given a new imported version`, async () => {
            const provider = await factory();
            const ref = await provider.importKey(publicOnly.spec, undefined, { public: publicOnly.public! });
            expect(NotSupportedError.isInstance(await rejection(provider.rotateKey(ref.kid)))).toBe(true);
            const next = await provider.importKey(publicOnly.spec, undefined, {
              public: publicOnly.public!,
              kid: ref.kid,
            });
            expect(next.version).toBe(2);
          });
        }

        it("refuses a call with neither material nor public key, and non-byte material, with TypeError", async () => {
          const provider = await factory();
          const fixture = withSecret ?? imports[0]!;
          expect(await rejection(provider.importKey(fixture.spec))).toBeInstanceOf(TypeError);
          expect(
            await rejection(provider.importKey(fixture.spec, "-----BEGIN PRIVATE KEY-----" as never)),
          ).toBeInstanceOf(TypeError);
          expect(
            await rejection(provider.importKey(fixture.spec, fixture.material, { kid: "has.dot" })),
          ).toBeInstanceOf(TypeError);
        });

        for (const fixture of invalidImports) {
          it(`refuses ${fixture.name} with a KeyProviderError`, async () => {
            const provider = await factory();
            const options = fixture.public === undefined ? undefined : { public: fixture.public };
            const error = await rejection(provider.importKey(fixture.spec, fixture.material, options));
            expect(KeyProviderError.isInstance(error)).toBe(true);
            expect(await provider.listKeys()).toEqual([]);
          });
        }
      });
    }

    describe("secret leaks", () => {
      it(
        "no ref, error or the provider itself renders secret material, under any policy",
        async () => {
          const provider = await factory();
          const secrets: Uint8Array[] = [];
          const shown: unknown[] = [];
          const collect = async (promise: Promise<unknown>) => {
            try {
              shown.push(await promise);
            } catch (err) {
              shown.push(err);
            }
          };
          for (const spec of keys) {
            const created = await provider.createKey(withPolicy(spec, ExportPolicy.SECRET_WHEN_ALLOWED));
            const rotated = await provider.rotateKey(created.kid);
            secrets.push(created.material!, rotated.material!);
            shown.push(created, rotated);
            await collect(provider.getKey(created.kid, 1, { includeSecret: true }));
            await collect(provider.getKey(created.kid));
            await collect(provider.getKey(created.kid, 9));
            await collect(provider.getPublicJwk(created.kid));
            await collect(
              provider.importKey(withPolicy(spec, ExportPolicy.SECRET_WHEN_ALLOWED), created.material, {
                kid: created.kid,
                version: 1,
              }),
            );
          }
          for (const fixture of imports) {
            secrets.push(...(fixture.secrets ?? (fixture.material === undefined ? [] : [fixture.material])));
            for (const policy of [ExportPolicy.NONE, ExportPolicy.PUBLIC_ONLY]) {
              const ref = await provider.importKey(
                withPolicy(fixture.spec, policy),
                fixture.material,
                fixture.public === undefined ? undefined : { public: fixture.public },
              );
              const withSecret = await provider.getKey(ref.kid, undefined, { includeSecret: true });
              expect(ref.material).toBeUndefined();
              expect(withSecret.material).toBeUndefined();
              shown.push(ref, withSecret);
              await collect(provider.rotateKey(ref.kid));
            }
          }
          for (const fixture of invalidImports) {
            secrets.push(...(fixture.secrets ?? (fixture.material === undefined ? [] : [fixture.material])));
            await collect(
              provider.importKey(
                fixture.spec,
                fixture.material,
                fixture.public === undefined ? undefined : { public: fixture.public },
              ),
            );
          }
          await collect(provider.jwks({ allVersions: true }));
          shown.push(provider);
          expect(secrets.length).toBeGreaterThan(0);
          expect(findSecretLeaks(shown, secrets)).toEqual([]);
        },
        SLOW,
      );
    });
  });
}
