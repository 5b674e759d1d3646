import { NotSupportedError } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { LONG_INFO_VECTOR, RFC5869_VECTORS } from "../vectors.js";
import type { SuiteContext } from "./context.js";
import { hex, rejection, rejectsWith, toHex } from "./helpers.js";

/** randomBytes and hkdf. */
export function describePrimitives(ctx: SuiteContext): void {
  describe("randomBytes", () => {
    it("returns n CSPRNG bytes for n in 0..65536 (NotSupportedError without the random feature)", async () => {
      const provider = await ctx.provider();
      if (!(await ctx.features()).has("random")) {
        await rejectsWith(provider.randomBytes(16), NotSupportedError);
        return;
      }
      for (const n of [0, 1, 32, 65_536]) {
        const bytes = await provider.randomBytes(n);
        expect(bytes).toBeInstanceOf(Uint8Array);
        expect(bytes).toHaveLength(n);
      }
      expect(toHex(await provider.randomBytes(32))).not.toBe(toHex(await provider.randomBytes(32)));
    });

    it("refuses n outside 0..65536 or fractional with RangeError, and non-numbers with TypeError", async () => {
      if (!(await ctx.features()).has("random")) return;
      const provider = await ctx.provider();
      for (const n of [-1, 65_537, 1.5])
        expect(await rejection(provider.randomBytes(n))).toBeInstanceOf(RangeError);
      expect(await rejection(provider.randomBytes("16" as never))).toBeInstanceOf(TypeError);
      expect(await rejection(provider.randomBytes(16, { size: 1 } as never))).toBeInstanceOf(TypeError);
    });
  });

  describe("hkdf", () => {
    for (const vector of RFC5869_VECTORS) {
      it(`reproduces RFC 5869 ${vector.name} (NotSupportedError without the hkdf feature)`, async () => {
        const provider = await ctx.provider();
        const supported = (await ctx.features()).has("hkdf");
        const call = provider.hkdf(hex(vector.ikm), {
          salt: hex(vector.salt),
          info: hex(vector.info),
          length: vector.length,
        });
        if (!supported) {
          await rejectsWith(call, NotSupportedError);
          return;
        }
        expect(toHex(await call)).toBe(vector.okm);
      });
    }

    it("accepts lengths 0 and 8160 and refuses 8161, negative and fractional lengths", async () => {
      if (!(await ctx.features()).has("hkdf")) return;
      const provider = await ctx.provider();
      const ikm = new Uint8Array(16);
      expect(await provider.hkdf(ikm, { length: 0 })).toHaveLength(0);
      expect(await provider.hkdf(ikm, { length: 8160 })).toHaveLength(8160);
      for (const length of [8161, -1, 2.5])
        expect(await rejection(provider.hkdf(ikm, { length }))).toBeInstanceOf(RangeError);
      expect(await rejection(provider.hkdf("ikm" as never, { length: 32 }))).toBeInstanceOf(TypeError);
      expect(await rejection(provider.hkdf(ikm, undefined as never))).toBeInstanceOf(TypeError);
      expect(await rejection(provider.hkdf(ikm, { length: 32, salt: "salt" as never }))).toBeInstanceOf(
        TypeError,
      );
    });

    it("handles an info longer than 1024 bytes, and still refuses 8161 bytes with it", async () => {
      if (!(await ctx.features()).has("hkdf")) return;
      const provider = await ctx.provider();
      const { ikm, salt, infoLength, length, okm } = LONG_INFO_VECTOR;
      const info = new Uint8Array(infoLength).map((_, i) => i & 0xff);
      expect(toHex(await provider.hkdf(hex(ikm), { salt: hex(salt), info, length }))).toBe(okm);
      expect(await rejection(provider.hkdf(hex(ikm), { info, length: 8161 }))).toBeInstanceOf(RangeError);
    });
  });
}
