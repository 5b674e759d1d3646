import { describe, expect, it } from "vitest";
import { EXPECTED } from "./algorithms.js";
import type { SuiteContext } from "./context.js";
import { publicKeyOf, rejection, utf8 } from "./helpers.js";
import { fixtureOptions } from "./imports.js";

/** `{ signal }` on every method (issue 15 §4). */
export function describeCancellation(ctx: SuiteContext): void {
  const { keys, imports } = ctx.caps;
  const first = keys[0]!;

  describe("cancellation", () => {
    for (const [label, makeReason] of [
      ["a reason of the caller's", () => new Error("cancelled by the caller")],
      ["the default AbortError", undefined],
    ] as const) {
      it(`an already-aborted signal (${label}) rejects every method with signal.reason, and changes nothing`, async () => {
        const provider = await ctx.provider();
        const features = await ctx.features();
        const { kid } = await provider.createKey(first);
        const signal = makeReason === undefined ? AbortSignal.abort() : AbortSignal.abort(makeReason());
        const data = utf8("data");
        const calls: [string, () => Promise<unknown>][] = [
          ["createKey", () => provider.createKey(first, { signal })],
          ["rotateKey", () => provider.rotateKey(kid, { signal })],
          ["activateVersion", () => provider.activateVersion(kid, 1, { signal })],
          ["destroyKey", () => provider.destroyKey(kid, undefined, { signal })],
          ["destroyKey with a version", () => provider.destroyKey(kid, 1, { signal })],
          ["getKey", () => provider.getKey(kid, undefined, { signal })],
          ["listVersions", () => provider.listVersions(kid, { signal })],
          ["listKeys", () => provider.listKeys({ signal })],
        ];
        if (features.has("random")) calls.push(["randomBytes", () => provider.randomBytes(16, { signal })]);
        if (features.has("hkdf")) calls.push(["hkdf", () => provider.hkdf(data, { length: 32, signal })]);
        const fixture = imports.find((f) => f.material !== undefined) ?? imports[0];
        if (fixture !== undefined) {
          calls.push([
            "importKey",
            () => provider.importKey(fixture.spec, fixture.material, { ...fixtureOptions(fixture), signal }),
          ]);
        }
        if (features.has("export"))
          calls.push(["exportKey", () => provider.exportKey(kid, { format: "jwk", signal })]);
        if (ctx.publishesJwks) {
          calls.push(
            ["getPublicJwk", () => provider.getPublicJwk(kid, undefined, { signal })],
            ["jwks", () => provider.jwks({ signal })],
          );
        }
        const signing = ctx.operationSpecs().find(({ alg }) => EXPECTED[alg].signature !== undefined);
        if (features.has("sign") && signing !== undefined) {
          const { provider: holder, v1 } = await ctx.rotated(signing.spec);
          const signature = await holder.sign(v1.kid, data);
          calls.push(
            ["sign", () => holder.sign(v1.kid, data, { signal })],
            ["verify", () => holder.verify(v1.kid, data, signature, { signal })],
          );
        }
        const encrypting = ctx.operationSpecs().find(({ alg }) => EXPECTED[alg].envelopeId !== undefined);
        if (features.has("encrypt") && encrypting !== undefined) {
          const { provider: holder, v1 } = await ctx.rotated(encrypting.spec);
          const ciphertext = await holder.encrypt(v1.kid, data);
          calls.push(
            ["encrypt", () => holder.encrypt(v1.kid, data, { signal })],
            ["decrypt", () => holder.decrypt(v1.kid, ciphertext, { signal })],
          );
        }
        const agreeing = ctx.operationSpecs().find(({ alg }) => EXPECTED[alg].agrees === true);
        if (features.has("derive") && agreeing !== undefined) {
          const { provider: holder, v1 } = await ctx.rotated(agreeing.spec);
          const { ref: peer } = await ctx.sibling(agreeing.spec);
          const peerKey = await publicKeyOf(holder, peer, features);
          calls.push(["deriveSharedSecret", () => holder.deriveSharedSecret(v1.kid, peerKey, { signal })]);
        }
        for (const [method, call] of calls) {
          const error = await rejection(call());
          expect(error, `${method}: ${String(error)}`).toBe(signal.reason);
        }
        expect(await provider.listVersions(kid)).toEqual([1]);
        expect(ctx.own(await provider.listKeys())).toEqual([kid]);
      });
    }

    it("a signal aborted while createKey or rotateKey runs lets it finish, or rejects with signal.reason and leaves nothing half-made", async () => {
      const provider = await ctx.provider();
      const reason = new Error("cancelled while running");
      const creating = new AbortController();
      const created = provider.createKey(first, { signal: creating.signal });
      creating.abort(reason);
      const outcome = await created.then(
        (ref) => ref,
        (error: unknown) => error,
      );
      if (outcome === reason) {
        expect(ctx.own(await provider.listKeys())).toEqual([]);
      } else {
        expect(ctx.own(await provider.listKeys())).toEqual([(outcome as { kid: string }).kid]);
      }
      const { kid } = await provider.createKey(first);
      const rotating = new AbortController();
      const rotated = provider.rotateKey(kid, { signal: rotating.signal });
      rotating.abort(reason);
      const rotation = await rotated.then(
        () => "rotated",
        (error: unknown) => error,
      );
      if (rotation === reason) expect(await provider.listVersions(kid)).toEqual([1]);
      else expect([rotation, await provider.listVersions(kid)]).toEqual(["rotated", [1, 2]]);
      // The key is still usable; an abandoned version number may stay unused, never reissued.
      const before = (await provider.listVersions(kid)).at(-1)!;
      const next = await provider.rotateKey(kid);
      expect(next.version).toBeGreaterThan(before);
      expect((await provider.listVersions(kid)).at(-1)).toBe(next.version);
    });
  });
}
