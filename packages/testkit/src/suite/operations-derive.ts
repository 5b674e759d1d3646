import { Buffer } from "node:buffer";
import { diffieHellman, generateKeyPairSync } from "node:crypto";
import { KeyProviderError, KeyUsageError, NotSupportedError, type KeyInput } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { EXPECTED } from "./algorithms.js";
import type { SuiteContext } from "./context.js";
import { hex, publicKeyOf, rejection, rejectsWith, withDefaultUses } from "./helpers.js";

/** X25519 public keys of small order (RFC 7748 §6.1): every agreement with them is all zeros. */
const LOW_ORDER_POINTS = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
];

/** deriveSharedSecret for every algorithm that agrees (X25519). */
export function describeKeyAgreement(ctx: SuiteContext): void {
  for (const { alg, spec } of ctx.operationSpecs().filter(({ alg }) => EXPECTED[alg].agrees === true)) {
    describe(`deriveSharedSecret: ${alg}`, () => {
      it("agreement is symmetric between two keys and matches node:crypto, whatever form the peer key is in", async () => {
        const features = await ctx.features();
        const { provider, v1, v2 } = await ctx.rotated(spec);
        const { ref: b } = await ctx.sibling(spec);
        const local = generateKeyPairSync("x25519");
        if (!features.has("derive")) {
          await rejectsWith(provider.deriveSharedSecret(v1.kid, local.publicKey), NotSupportedError);
          return;
        }
        const publicA = await publicKeyOf(provider, v2, features);
        const publicB = await publicKeyOf(provider, b, features);
        const ab = await provider.deriveSharedSecret(v1.kid, publicB);
        const ba = await provider.deriveSharedSecret(b.kid, publicA);
        expect(ab).toHaveLength(32);
        expect(ab).toEqual(ba);
        expect(ab.some((byte) => byte !== 0)).toBe(true);

        const expected = new Uint8Array(diffieHellman({ privateKey: local.privateKey, publicKey: publicA }));
        const jwk = local.publicKey.export({ format: "jwk" });
        const forms: [string, KeyInput][] = [
          ["KeyObject", local.publicKey],
          ["raw 32 bytes", new Uint8Array(Buffer.from(jwk.x!, "base64url"))],
          ["SPKI PEM string", local.publicKey.export({ type: "spki", format: "pem" })],
          ["SPKI DER bytes", new Uint8Array(local.publicKey.export({ type: "spki", format: "der" }))],
          ["JWK object", { kty: "OKP", crv: "X25519", x: jwk.x! }],
        ];
        for (const [name, peer] of forms) {
          expect(await provider.deriveSharedSecret(v1.kid, peer), name).toEqual(expected);
        }
        const publicV1 = await publicKeyOf(provider, v1, features);
        const withV1 = await provider.deriveSharedSecret(v1.kid, local.publicKey, { version: 1 });
        expect(withV1).toEqual(
          new Uint8Array(diffieHellman({ privateKey: local.privateKey, publicKey: publicV1 })),
        );
        expect(withV1).not.toEqual(expected);
      });

      it("a low-order peer key is refused with a typed error, and a key of another kind too", async () => {
        if (!(await ctx.features()).has("derive")) return;
        const { provider, v1 } = await ctx.rotated(spec);
        for (const point of LOW_ORDER_POINTS) {
          const error = await rejection(provider.deriveSharedSecret(v1.kid, hex(point)));
          expect(KeyProviderError.isInstance(error), `low-order point ${point.slice(0, 8)}…`).toBe(true);
        }
        const ed25519 = generateKeyPairSync("ed25519").publicKey;
        expect(
          KeyProviderError.isInstance(await rejection(provider.deriveSharedSecret(v1.kid, ed25519))),
        ).toBe(true);
        expect(
          KeyProviderError.isInstance(
            await rejection(provider.deriveSharedSecret(v1.kid, new Uint8Array(31))),
          ),
        ).toBe(true);
        expect(await rejection(provider.deriveSharedSecret(v1.kid, 42 as never))).toBeInstanceOf(TypeError);
      });

      it("uses: agreement needs decaps (KeyUsageError without it)", async () => {
        if (!(await ctx.features()).has("derive")) return;
        const { provider, ref } = await ctx.pooled(
          { ...withDefaultUses(spec), uses: ["encrypt", "decrypt"] },
          ctx.operationsPolicy,
        );
        const refused = await rejectsWith(
          provider.deriveSharedSecret(ref.kid, generateKeyPairSync("x25519").publicKey),
          KeyUsageError,
        );
        expect([refused.kid, refused.version, refused.use]).toEqual([ref.kid, 1, "decaps"]);
      });
    });
  }
}
