import { Buffer } from "node:buffer";
import { KeyObject, createSecretKey, type webcrypto } from "node:crypto";
import {
  ExportPolicy,
  InvalidKeyMaterialError,
  InvalidKeySpecError,
  KeyClass,
  KeyExistsError,
  KeyProviderError,
  KeyStatus,
  NotSupportedError,
  type ImportKeyOptions,
  type KeyInput,
  type KeyProvider,
  type KeyRef,
  type KeySpec,
} from "@keyprovider/core";
import { calculateJwkThumbprint } from "jose";
import { describe, expect, it } from "vitest";
import type { ImportFixture } from "../capabilities.js";
import { EXPECTED, algOf, klassOf } from "./algorithms.js";
import type { SuiteContext } from "./context.js";
import { b64url, publicKeyOf, rejection, rejectsWith, utf8, withDefaultUses, withPolicy } from "./helpers.js";
import { cryptoKeyOf, generatedCryptoKey, localKey } from "./material.js";
import { parseEnvelope } from "./envelope.js";

/** The importKey options of a fixture. */
export function fixtureOptions(fixture: ImportFixture): ImportKeyOptions | undefined {
  const options = {
    ...(fixture.public === undefined ? {} : { public: fixture.public }),
    ...(fixture.format === undefined ? {} : { format: fixture.format }),
  };
  return Object.keys(options).length === 0 ? undefined : options;
}

/** The secrets in a fixture, for the leak checks (and, for symmetric keys, the raw secret first). */
export function fixtureSecrets(fixture: ImportFixture): Uint8Array[] {
  if (fixture.secrets !== undefined) return [...fixture.secrets];
  const { material } = fixture;
  if (material instanceof Uint8Array) return [material];
  if (typeof material === "string") return [utf8(material)];
  return [];
}

/** The thumbprint every provider gives an asymmetric key: RFC 7638 over its public JWK. */
async function thumbprintOf(publicKey: KeyObject): Promise<string> {
  return calculateJwkThumbprint(publicKey.export({ format: "jwk" }));
}

/** importKey: every fixture under every policy, kids and versions, public-only keys, every input form. */
export function describeImports(ctx: SuiteContext): void {
  const { imports, invalidImports, exportPolicies, kidPattern, keys } = ctx.caps;

  /** What the fingerprint of an imported version must be. */
  async function expectImportedFingerprint(
    provider: KeyProvider,
    spec: KeySpec,
    ref: KeyRef,
    secret: Uint8Array | undefined,
  ): Promise<void> {
    const klass = klassOf(spec);
    if (klass === KeyClass.asymmetric) {
      expect(ref.fingerprint).toBe(
        await thumbprintOf(await publicKeyOf(provider, ref, await ctx.features())),
      );
      return;
    }
    if (secret === undefined) return;
    const thumbprint = await calculateJwkThumbprint({ kty: "oct", k: b64url(secret) });
    const exportable =
      klass === KeyClass.symmetric &&
      ref.exportPolicy === ExportPolicy.SECRET_WHEN_ALLOWED &&
      ctx.caps.fingerprints === "thumbprint";
    if (exportable) expect(ref.fingerprint).toBe(thumbprint);
    else expect(ref.fingerprint).not.toBe(thumbprint);
  }

  describe("importKey", ctx.parallel, () => {
    if (imports.length === 0) {
      it("without the import feature, importKey is NotSupportedError", async () => {
        const provider = await ctx.provider();
        await rejectsWith(provider.importKey(keys[0]!, new Uint8Array(32).fill(7)), NotSupportedError);
        expect(ctx.own(await provider.listKeys())).toEqual([]);
      });
      return;
    }

    for (const fixture of imports) {
      for (const policy of exportPolicies) {
        it(`${fixture.name} (${policy}): a new random kid at version 1, material per the export policy`, async () => {
          const provider = await ctx.provider();
          const spec = withPolicy(fixture.spec, policy);
          const options = fixtureOptions(fixture);
          const secret = klassOf(spec) === KeyClass.symmetric ? fixtureSecrets(fixture)[0] : undefined;
          const ref = await provider.importKey(spec, fixture.material, options);
          const again = await provider.importKey(spec, fixture.material, options);
          expect(ref.kid).toMatch(kidPattern);
          expect(again.kid).not.toBe(ref.kid);
          expect([ref.version, ref.status, ref.alg, ref.exportPolicy]).toEqual([
            1,
            KeyStatus.PRIMARY,
            algOf(spec),
            policy,
          ]);
          await expectImportedFingerprint(provider, spec, ref, secret);
          if (klassOf(spec) === KeyClass.asymmetric) expect(again.fingerprint).toBe(ref.fingerprint);
          const secretReturned =
            policy === ExportPolicy.SECRET_WHEN_ALLOWED && fixture.material !== undefined;
          const withSecret = await provider.getKey(ref.kid, undefined, { includeSecret: true });
          if (secretReturned) {
            expect(ref.material).toBeInstanceOf(Uint8Array);
            expect(withSecret.material).toEqual(ref.material);
            if (secret !== undefined) expect(ref.material).toEqual(secret);
          } else {
            expect(ref.material).toBeUndefined();
            expect(withSecret.material).toBeUndefined();
          }
          expect((await provider.getKey(ref.kid)).material).toBeUndefined();
          // The kid is random, not derived from the key: another provider gives another kid.
          const elsewhere = await ctx.another();
          if (elsewhere !== undefined) {
            const there = await elsewhere.importKey(spec, fixture.material, options);
            expect(there.kid).not.toBe(ref.kid);
            if (klassOf(spec) === KeyClass.asymmetric) expect(there.fingerprint).toBe(ref.fingerprint);
          }
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
      it("with a kid it adds the next version; with a version, exactly that one, never a taken or destroyed one; activate decides the primary", async () => {
        const provider = await ctx.provider();
        const fixture = withSecret;
        const options = fixtureOptions(fixture) ?? {};
        const add = (extra: ImportKeyOptions, spec: KeySpec = fixture.spec) =>
          provider.importKey(spec, fixture.material, { ...options, ...extra });
        const created = await add({});
        const { kid } = created;
        const second = await add({ kid });
        expect([second.kid, second.version, second.status]).toEqual([kid, 2, KeyStatus.PRIMARY]);
        expect(await add({ kid, version: 7 })).toMatchObject({ version: 7, status: KeyStatus.PRIMARY });
        // Back-filled below the primary: it does not take over.
        expect(await add({ kid, version: 3 })).toMatchObject({ version: 3, status: KeyStatus.ACTIVE });
        expect(await provider.listVersions(kid)).toEqual([1, 2, 3, 7]);
        expect((await provider.getKey(kid)).version).toBe(7);
        const taken = await rejectsWith(add({ kid, version: 2 }), KeyExistsError);
        expect([taken.kid, taken.version]).toEqual([kid, 2]);
        // A destroyed number is not issued again, so a verifier that cached it never meets another key.
        expect(await provider.destroyKey(kid, 3)).toBe(true);
        await rejectsWith(add({ kid, version: 3 }), KeyExistsError);
        if ((await ctx.features()).has("stage")) {
          expect(await add({ kid, activate: false })).toMatchObject({ version: 8, status: KeyStatus.STAGED });
          expect((await provider.getKey(kid)).version).toBe(7);
        } else {
          await add({ kid });
        }
        expect((await provider.rotateKey(kid)).version).toBe(9);
        expect(await provider.listVersions(kid)).toEqual([1, 2, 7, 8, 9]);
        // A version of another algorithm is refused.
        const other = imports.find((f) => f.material !== undefined && algOf(f.spec) !== algOf(fixture.spec));
        if (other !== undefined) {
          const mixed = await rejectsWith(
            provider.importKey(other.spec, other.material, { ...fixtureOptions(other), kid }),
            InvalidKeySpecError,
          );
          expect(mixed.field).toBe("alg");
          expect(await provider.listVersions(kid)).toEqual([1, 2, 7, 8, 9]);
        }
        const own = ctx.uniqueKid("conformance_own-kid");
        expect(await add({ kid: own })).toMatchObject({ kid: own, version: 1, status: KeyStatus.PRIMARY });
        expect(ctx.own(await provider.listKeys()).sort()).toEqual([kid, own].sort());
      });
    }

    const publicOnly = imports.find((fixture) => fixture.material === undefined);
    if (publicOnly !== undefined) {
      it(`${publicOnly.name}: a key imported without its secret cannot be rotated, only given a new imported version`, async () => {
        const provider = await ctx.provider();
        const options = fixtureOptions(publicOnly)!;
        const ref = await provider.importKey(publicOnly.spec, undefined, options);
        await rejectsWith(provider.rotateKey(ref.kid), NotSupportedError);
        expect(
          (await provider.importKey(publicOnly.spec, undefined, { ...options, kid: ref.kid })).version,
        ).toBe(2);
      });
    }

    for (const { alg, spec } of ctx.operationSpecs().filter(({ alg }) => EXPECTED[alg].klass === "asym")) {
      const expected = EXPECTED[alg];
      it(`${alg}: a public-only import verifies and encrypts, but cannot sign, decrypt or derive (NotSupportedError)`, async () => {
        const features = await ctx.features();
        const { provider: source, v1 } = await ctx.rotated(spec);
        const publicKey = await publicKeyOf(source, v1, features);
        const provider = await ctx.provider();
        const ref = await provider.importKey(
          withPolicy(withDefaultUses(spec), ctx.operationsPolicy),
          undefined,
          {
            public: publicKey.export({ type: "spki", format: "pem" }) as string,
          },
        );
        expect(ref.material).toBeUndefined();
        expect(ref.fingerprint).toBe(v1.fingerprint);
        const data = utf8("signed elsewhere");
        if (expected.signature !== undefined && features.has("sign")) {
          const signature = await source.sign(v1.kid, data, { version: 1 });
          expect(await provider.verify(ref.kid, data, signature)).toBe(true);
          expect(await provider.verify(ref.kid, utf8("signed elsewherE"), signature)).toBe(false);
          await rejectsWith(provider.sign(ref.kid, data), NotSupportedError);
        }
        if (expected.envelopeId !== undefined && features.has("encrypt")) {
          const ciphertext = await provider.encrypt(ref.kid, data);
          expect(parseEnvelope(ciphertext)).toMatchObject({ kid: ref.kid, version: 1 });
          await rejectsWith(provider.decrypt(ref.kid, ciphertext), NotSupportedError);
        }
        if (expected.agrees === true && features.has("derive")) {
          await rejectsWith(provider.deriveSharedSecret(ref.kid, publicKey), NotSupportedError);
        }
      });
    }

    for (const { alg, spec } of ctx.operationSpecs()) {
      const expected = EXPECTED[alg];
      it(`${alg}: imports a KeyObject, a WebCrypto CryptoKey (refusing a non-extractable one), a JWK object, a PEM string and bytes with a format`, async () => {
        if (!(await ctx.features()).has("import")) return;
        const provider = await ctx.provider();
        const importSpec = withPolicy(withDefaultUses(spec), ctx.operationsPolicy);
        const key = localKey(alg);
        /** Name, material, options, and the public key the imported version must have. */
        type Form = readonly [
          string,
          KeyInput | undefined,
          ImportKeyOptions | undefined,
          KeyObject | undefined,
        ];
        const accepted: Form[] = [];
        const refused: Form[] = [];
        if (key.secret !== undefined) {
          const k = b64url(key.secret);
          accepted.push(
            ["a secret KeyObject", createSecretKey(key.secret), undefined, undefined],
            ["an extractable CryptoKey", await cryptoKeyOf(key, true), undefined, undefined],
            ["an oct JWK object", { kty: "oct", k }, undefined, undefined],
            ["oct JWK JSON text", JSON.stringify({ kty: "oct", k }), undefined, undefined],
            ["raw bytes with format raw", key.secret, { format: "raw" }, undefined],
            [
              "oct JWK JSON bytes with format jwk",
              utf8(JSON.stringify({ kty: "oct", k })),
              { format: "jwk" },
              undefined,
            ],
          );
          refused.push(["a non-extractable CryptoKey", await cryptoKeyOf(key, false), undefined, undefined]);
        } else {
          const privateKey = key.privateKey!;
          const publicKey = key.publicKey!;
          accepted.push(
            ["a private KeyObject", privateKey, undefined, publicKey],
            ["a public KeyObject as options.public", undefined, { public: publicKey }, publicKey],
            ["an extractable CryptoKey", await cryptoKeyOf(key, true), undefined, publicKey],
            ["a private JWK object", privateKey.export({ format: "jwk" }) as never, undefined, publicKey],
            [
              "a public JWK object as options.public",
              undefined,
              { public: publicKey.export({ format: "jwk" }) as never },
              publicKey,
            ],
            [
              "a PKCS#8 PEM string",
              privateKey.export({ type: "pkcs8", format: "pem" }),
              undefined,
              publicKey,
            ],
            [
              "an SPKI PEM string as options.public",
              undefined,
              { public: publicKey.export({ type: "spki", format: "pem" }) as string },
              publicKey,
            ],
            [
              "PKCS#8 DER bytes with format der",
              new Uint8Array(privateKey.export({ type: "pkcs8", format: "der" })),
              { format: "der" },
              publicKey,
            ],
            [
              "SPKI DER bytes with format der",
              undefined,
              { public: new Uint8Array(publicKey.export({ type: "spki", format: "der" })), format: "der" },
              publicKey,
            ],
          );
          if (expected.node?.type !== "rsa") {
            // WebCrypto makes the key itself (RSA keys are imported into WebCrypto instead: generating them is slow).
            const made = (await generatedCryptoKey(key, true)) as webcrypto.CryptoKeyPair;
            const madePublic = KeyObject.from(made.publicKey);
            accepted.push(
              ["a CryptoKey made by WebCrypto", made.privateKey, undefined, madePublic],
              [
                "a public CryptoKey made by WebCrypto as options.public",
                undefined,
                { public: made.publicKey },
                madePublic,
              ],
            );
            const fixed = (await generatedCryptoKey(key, false)) as webcrypto.CryptoKeyPair;
            refused.push([
              "a non-extractable CryptoKey made by WebCrypto",
              fixed.privateKey,
              undefined,
              undefined,
            ]);
          }
          if (expected.node?.type === "ed25519" || expected.node?.type === "x25519") {
            const { d, x } = privateKey.export({ format: "jwk" });
            accepted.push(
              [
                "a raw 32-byte private key with format raw",
                new Uint8Array(Buffer.from(d!, "base64url")),
                { format: "raw" },
                publicKey,
              ],
              [
                "a raw 32-byte public key with format raw",
                undefined,
                { public: new Uint8Array(Buffer.from(x!, "base64url")), format: "raw" },
                publicKey,
              ],
            );
          }
          refused.push(
            ["a non-extractable CryptoKey", await cryptoKeyOf(key, false), undefined, undefined],
            [
              "PEM bytes with format der",
              utf8(privateKey.export({ type: "pkcs8", format: "pem" }) as string),
              { format: "der" },
              undefined,
            ],
          );
        }
        for (const [name, material, options, publicKey] of accepted) {
          const ref = await provider.importKey(importSpec, material, options).catch((error: unknown) => {
            throw new Error(`${name} was refused: ${String(error)}`);
          });
          if (publicKey !== undefined) expect(ref.fingerprint, name).toBe(await thumbprintOf(publicKey));
          else await expectImportedFingerprint(provider, importSpec, ref, key.secret);
          if (ctx.operationsPolicy !== ExportPolicy.SECRET_WHEN_ALLOWED)
            expect(ref.material, name).toBeUndefined();
        }
        for (const [name, material, options] of refused) {
          const error = await rejection(provider.importKey(importSpec, material, options));
          expect(InvalidKeyMaterialError.isInstance(error), `${name}: ${String(error)}`).toBe(true);
        }
      });
    }

    it("refuses a call with neither material nor public key, material of no key type, and bad options with TypeError", async () => {
      const provider = await ctx.provider();
      const fixture = withSecret ?? imports[0]!;
      const options = fixtureOptions(fixture) ?? {};
      const calls: (() => Promise<unknown>)[] = [
        () => provider.importKey(fixture.spec),
        () => provider.importKey(fixture.spec, 42 as never),
        () => provider.importKey(fixture.spec, [1, 2, 3] as never),
        () => provider.importKey(fixture.spec, fixture.material, { ...options, format: "xml" as never }),
        () => provider.importKey(fixture.spec, fixture.material, { ...options, activate: "yes" as never }),
        () => provider.importKey(fixture.spec, fixture.material, { ...options, version: "2" as never }),
        () => provider.importKey(fixture.spec, fixture.material, { ...options, kidd: "x" } as never),
      ];
      for (const call of calls) expect(await rejection(call())).toBeInstanceOf(TypeError);
      expect(
        await rejection(provider.importKey(fixture.spec, fixture.material, { ...options, version: 0 })),
      ).toBeInstanceOf(RangeError);
      expect(ctx.own(await provider.listKeys())).toEqual([]);
    });

    for (const fixture of invalidImports) {
      it(`refuses ${fixture.name} with a KeyProviderError and keeps nothing`, async () => {
        const provider = await ctx.provider();
        const error = await rejection(
          provider.importKey(fixture.spec, fixture.material, fixtureOptions(fixture)),
        );
        expect(KeyProviderError.isInstance(error)).toBe(true);
        expect(ctx.own(await provider.listKeys())).toEqual([]);
      });
    }
  });
}
