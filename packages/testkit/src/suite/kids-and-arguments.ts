import { InvalidKidError, KeyNotFoundError, KeyProviderError, type KeyProvider } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { EXPECTED } from "./algorithms.js";
import type { SuiteContext } from "./context.js";
import { rejection, rejectsWith, utf8 } from "./helpers.js";

/** Strings that are not kids of keyprovider's own providers (DESIGN §7.1). */
export const INVALID_KIDS: readonly string[] = [
  "../x",
  "a.b",
  "",
  "k".repeat(129),
  "a/b",
  "a b",
  "kid\u0000",
  "ｋｉｄ",
  "%2e%2e",
  "abc.1",
];

/** Every lookup a provider has, for a kid (only those whose feature it lists). */
function lookups(
  provider: KeyProvider,
  kid: string,
  features: ReadonlySet<string>,
  publishes: boolean,
): [string, () => Promise<unknown>][] {
  const data = utf8("data");
  const calls: [string, () => Promise<unknown>][] = [
    ["getKey", () => provider.getKey(kid)],
    ["getKey with a version", () => provider.getKey(kid, 1, { includeSecret: true })],
    ["listVersions", () => provider.listVersions(kid)],
    ["rotateKey", () => provider.rotateKey(kid)],
    ["activateVersion", () => provider.activateVersion(kid, 1)],
  ];
  if (features.has("export")) calls.push(["exportKey", () => provider.exportKey(kid, { format: "jwk" })]);
  if (publishes) calls.push(["getPublicJwk", () => provider.getPublicJwk(kid)]);
  if (features.has("sign"))
    calls.push(
      ["sign", () => provider.sign(kid, data)],
      ["verify", () => provider.verify(kid, data, new Uint8Array(64))],
    );
  if (features.has("encrypt"))
    calls.push(
      ["encrypt", () => provider.encrypt(kid, data)],
      ["decrypt", () => provider.decrypt(kid, new Uint8Array(64))],
    );
  if (features.has("derive"))
    calls.push(["deriveSharedSecret", () => provider.deriveSharedSecret(kid, new Uint8Array(32).fill(9))]);
  return calls;
}

/** Kids (DESIGN §7.1) and argument types, from every method. */
export function describeKidsAndArguments(ctx: SuiteContext): void {
  const { keys, imports } = ctx.caps;
  const first = keys[0]!;

  describe("kids (DESIGN §7.1)", () => {
    it("a string that cannot be a kid is KeyNotFoundError from every read and operation, and false from destroyKey", async () => {
      const provider = await ctx.provider();
      const features = await ctx.features();
      for (const kid of INVALID_KIDS) {
        for (const [method, call] of lookups(provider, kid, features, ctx.publishesJwks)) {
          const error = await rejection(call());
          expect(
            KeyNotFoundError.isInstance(error),
            `${method}(${JSON.stringify(kid.slice(0, 12))}): ${String(error)}`,
          ).toBe(true);
          expect((error as KeyNotFoundError).kid).toBe(kid);
        }
        expect(await provider.destroyKey(kid)).toBe(false);
        expect(await provider.destroyKey(kid, 1)).toBe(false);
      }
      expect(ctx.own(await provider.listKeys())).toEqual([]);
    });

    it("a kid that is not a string is TypeError from every method", async () => {
      const provider = await ctx.provider();
      const features = await ctx.features();
      for (const kid of [42, undefined, null, {}, ["k"]] as never[]) {
        const calls = [
          ...lookups(provider, kid, features, ctx.publishesJwks),
          ["destroyKey", () => provider.destroyKey(kid)] as [string, () => Promise<unknown>],
        ];
        for (const [method, call] of calls) expect(await rejection(call()), method).toBeInstanceOf(TypeError);
      }
    });

    if (imports.length > 0) {
      it("importKey with a kid that is not a kid is InvalidKidError, and keeps nothing", async () => {
        const provider = await ctx.provider();
        const fixture = imports.find((f) => f.material !== undefined) ?? imports[0]!;
        const options = fixture.public === undefined ? {} : { public: fixture.public };
        for (const kid of INVALID_KIDS) {
          const error = await rejectsWith(
            provider.importKey(fixture.spec, fixture.material, { ...options, kid }),
            InvalidKidError,
          );
          expect(error.code).toBe("ERR_INVALID_KID");
        }
        expect(ctx.own(await provider.listKeys())).toEqual([]);
        const kid = ctx.uniqueKid("A_valid-KID");
        expect((await provider.importKey(fixture.spec, fixture.material, { ...options, kid })).kid).toBe(kid);
        expect((await provider.getKey(kid)).kid).toBe(kid);
      });
    }
  });

  describe("argument types", () => {
    it("wrong types are TypeError, out-of-range numbers RangeError, misspelt options TypeError, from every method", async () => {
      const provider = await ctx.provider();
      const features = await ctx.features();
      const { kid } = await provider.createKey(first);
      const data = utf8("data");
      const rangeErrors: [string, () => Promise<unknown>][] = [
        ["getKey 0", () => provider.getKey(kid, 0)],
        ["getKey -1", () => provider.getKey(kid, -1)],
        ["getKey 2^31", () => provider.getKey(kid, 2 ** 31)],
        ["destroyKey 1.5", () => provider.destroyKey(kid, 1.5)],
        ["activateVersion 0", () => provider.activateVersion(kid, 0)],
      ];
      const typeErrors: [string, () => Promise<unknown>][] = [
        ["createKey(null)", () => provider.createKey(null as never)],
        ["createKey options", () => provider.createKey(first, { signal: "no" } as never)],
        ["getKey version", () => provider.getKey(kid, "1" as never)],
        ["getKey includeSecret", () => provider.getKey(kid, undefined, { includeSecret: "yes" as never })],
        ["getKey options", () => provider.getKey(kid, undefined, 7 as never)],
        ["rotateKey misspelt", () => provider.rotateKey(kid, { specOverride: {} } as never)],
        ["rotateKey activate", () => provider.rotateKey(kid, { activate: "no" as never })],
        ["activateVersion version", () => provider.activateVersion(kid, "1" as never)],
        ["destroyKey version", () => provider.destroyKey(kid, "1" as never)],
        ["listKeys prefix", () => provider.listKeys({ prefix: 1 as never })],
        ["listKeys misspelt", () => provider.listKeys({ prefx: "a" } as never)],
        ["listVersions options", () => provider.listVersions(kid, { all: true } as never)],
      ];
      if (features.has("export")) {
        typeErrors.push(
          ["exportKey without options", () => provider.exportKey(kid, undefined as never)],
          ["exportKey format", () => provider.exportKey(kid, { format: "xml" } as never)],
          ["exportKey private", () => provider.exportKey(kid, { format: "jwk", private: "yes" as never })],
        );
      }
      if (ctx.publishesJwks)
        typeErrors.push(
          ["jwks misspelt", () => provider.jwks({ allversions: true } as never)],
          ["jwks prefixKids", () => provider.jwks({ prefixKids: 1 as never })],
        );
      const signing = ctx.operationSpecs().find(({ alg }) => EXPECTED[alg].signature !== undefined);
      if (features.has("sign") && signing !== undefined) {
        const { provider: holder, v1 } = await ctx.rotated(signing.spec);
        typeErrors.push(
          ["sign data", () => holder.sign(v1.kid, "data" as never)],
          ["verify signature", () => holder.verify(v1.kid, data, "signature" as never)],
          ["sign version", () => holder.sign(v1.kid, data, { version: "1" as never })],
          ["sign misspelt", () => holder.sign(v1.kid, data, { versoin: 1 } as never)],
        );
        rangeErrors.push(["sign version 0", () => holder.sign(v1.kid, data, { version: 0 })]);
      }
      const encrypting = ctx.operationSpecs().find(({ alg }) => EXPECTED[alg].envelopeId !== undefined);
      if (features.has("encrypt") && encrypting !== undefined) {
        const { provider: holder, v1 } = await ctx.rotated(encrypting.spec);
        typeErrors.push(
          ["encrypt plaintext", () => holder.encrypt(v1.kid, "text" as never)],
          ["encrypt aad", () => holder.encrypt(v1.kid, data, { aad: "aad" as never })],
          ["decrypt ciphertext", () => holder.decrypt(v1.kid, "text" as never)],
          ["decrypt misspelt", () => holder.decrypt(v1.kid, data, { add: data } as never)],
        );
      }
      for (const [name, call] of typeErrors) {
        const error = await rejection(call());
        expect(error, `${name}: ${String(error)}`).toBeInstanceOf(TypeError);
        expect(KeyProviderError.isInstance(error), name).toBe(false);
      }
      for (const [name, call] of rangeErrors)
        expect(await rejection(call()), name).toBeInstanceOf(RangeError);
      expect(await provider.listVersions(kid)).toEqual([1]);
    });
  });
}
