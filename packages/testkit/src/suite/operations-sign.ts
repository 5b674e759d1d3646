import { constants, createHmac, verify as nodeVerify, type KeyObject } from "node:crypto";
import { ExportPolicy, KeyUsageError, NotSupportedError } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { EXPECTED, type ExpectedSignature } from "./algorithms.js";
import type { SuiteContext } from "./context.js";
import { publicKeyOf, rejectsWith, utf8, withDefaultUses } from "./helpers.js";

/** Verify a JOSE-form signature with node:crypto alone, with the parameters the contract names. */
export function verifyIndependently(
  signature: ExpectedSignature,
  key: KeyObject,
  data: Uint8Array,
  sig: Uint8Array,
): boolean {
  switch (signature.scheme) {
    case "eddsa":
      return nodeVerify(null, data, key, sig);
    case "ecdsa":
      return nodeVerify(signature.hash, data, { key, dsaEncoding: "ieee-p1363" }, sig);
    case "rsa-pss":
      return nodeVerify(
        signature.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: signature.saltLength! },
        sig,
      );
    case "rsa-pkcs1":
      return nodeVerify(signature.hash, data, { key, padding: constants.RSA_PKCS1_PADDING }, sig);
    default:
      throw new Error(`${signature.scheme} signatures are checked with the secret`);
  }
}

/** Messages of every shape: text, empty, every byte value, and one longer than a hash block. */
const MESSAGES = [
  utf8("a message to sign"),
  new Uint8Array(0),
  new Uint8Array(256).map((_, i) => i),
  new Uint8Array(10_000).fill(0xa5),
];

/** sign and verify for every algorithm that signs. */
export function describeSigning(ctx: SuiteContext): void {
  const signing = ctx.operationSpecs().filter(({ alg }) => EXPECTED[alg].signature !== undefined);
  // The second uses check runs once, on the quickest key to make (RSA keys are slow to generate).
  const firstSigning = (signing.find(({ alg }) => EXPECTED[alg].node?.type !== "rsa") ?? signing[0])?.alg;

  for (const { alg, spec } of signing) {
    const signature = EXPECTED[alg].signature!;
    describe(`sign and verify: ${alg}`, () => {
      it("signatures are in JOSE form, verify through the provider and, independently, with node:crypto against the published key", async () => {
        const { provider, v1, v2 } = await ctx.rotated(spec);
        const features = await ctx.features();
        const { kid } = v1;
        if (!features.has("sign")) {
          await rejectsWith(provider.sign(kid, MESSAGES[0]!), NotSupportedError);
          await rejectsWith(provider.verify(kid, MESSAGES[0]!, new Uint8Array(64)), NotSupportedError);
          return;
        }
        const secret =
          signature.scheme === "hmac" && ctx.caps.exportPolicies.includes(ExportPolicy.SECRET_WHEN_ALLOWED)
            ? await ctx.pooled(withDefaultUses(spec), ExportPolicy.SECRET_WHEN_ALLOWED)
            : undefined;
        const keys =
          signature.scheme === "hmac"
            ? undefined
            : [await publicKeyOf(provider, v1, features), await publicKeyOf(provider, v2, features)];
        const length = signature.length ?? keys![1]!.asymmetricKeyDetails!.modulusLength! / 8;
        const range = ctx.caps.messageBytes[alg] ?? {};
        const accepted = (data: Uint8Array) =>
          data.length >= (range.min ?? 0) && data.length <= (range.max ?? Number.POSITIVE_INFINITY);
        for (const data of MESSAGES.filter((message) => !accepted(message))) {
          // A backend limit (KMS: 1 to 4 096 bytes for HMAC and Ed25519) is said plainly, never a wrong signature.
          await rejectsWith(provider.sign(kid, data), NotSupportedError);
        }
        for (const data of MESSAGES.filter(accepted)) {
          const sig = await provider.sign(kid, data); // the primary, version 2
          const sigV1 = await provider.sign(kid, data, { version: 1 });
          expect(sig).toBeInstanceOf(Uint8Array);
          expect([sig.length, sigV1.length]).toEqual([length, length]);
          expect(await provider.verify(kid, data, sig)).toBe(true);
          expect(await provider.verify(kid, data, sig, { version: 2 })).toBe(true);
          expect(await provider.verify(kid, data, sigV1, { version: 1 })).toBe(true);
          // Wrong version.
          expect(await provider.verify(kid, data, sig, { version: 1 })).toBe(false);
          expect(await provider.verify(kid, data, sigV1)).toBe(false);
          if (keys !== undefined) {
            expect(verifyIndependently(signature, keys[1]!, data, sig)).toBe(true);
            expect(verifyIndependently(signature, keys[0]!, data, sigV1)).toBe(true);
            expect(verifyIndependently(signature, keys[0]!, data, sig)).toBe(false);
          }
        }
        if (secret !== undefined) {
          // An exportable HMAC secret: the tag is HMAC-SHA256 over the message, recomputed here.
          const data = MESSAGES[0]!;
          const tag = await secret.provider.sign(secret.ref.kid, data);
          expect(tag).toEqual(
            new Uint8Array(createHmac("sha256", secret.ref.material!).update(data).digest()),
          );
        }
      });

      it("verify is false for another kid, changed data, or a changed, truncated, extended or empty signature", async () => {
        if (!(await ctx.features()).has("sign")) return;
        const { provider, v1 } = await ctx.rotated(spec);
        const { ref: other } = await ctx.sibling(spec);
        const { kid } = v1;
        const data = MESSAGES[0]!;
        const sig = await provider.sign(kid, data);
        expect(await provider.verify(other.kid, data, sig)).toBe(false);
        expect(await provider.verify(kid, utf8("a message to sigN"), sig)).toBe(false);
        expect(await provider.verify(kid, data.subarray(1), sig)).toBe(false);
        const variants = [
          sig.subarray(0, sig.length - 1),
          new Uint8Array([...sig, 0]),
          new Uint8Array(0),
          new Uint8Array(sig.length),
          new Uint8Array(sig.length).fill(0xff),
          ...[0, sig.length >> 1, sig.length - 1].map((i) => {
            const changed = sig.slice();
            changed[i]! ^= 0x01;
            return changed;
          }),
        ];
        for (const variant of variants) expect(await provider.verify(kid, data, variant)).toBe(false);
        expect(await provider.verify(kid, data, sig)).toBe(true);
      });

      it("uses are enforced with KeyUsageError, before any cryptography", async () => {
        if (!(await ctx.features()).has("sign")) return;
        const { provider, ref } = await ctx.pooled(
          { ...withDefaultUses(spec), uses: ["verify"] },
          ctx.operationsPolicy,
        );
        const refused = await rejectsWith(provider.sign(ref.kid, MESSAGES[0]!), KeyUsageError);
        expect([refused.kid, refused.version, refused.use]).toEqual([ref.kid, 1, "sign"]);
        expect(await provider.verify(ref.kid, MESSAGES[0]!, new Uint8Array(signature.length ?? 256))).toBe(
          false,
        );
        if (alg !== firstSigning) return;
        const signOnly = await ctx.pooled({ ...withDefaultUses(spec), uses: ["sign"] }, ctx.operationsPolicy);
        const sig = await signOnly.provider.sign(signOnly.ref.kid, MESSAGES[0]!);
        const cannotVerify = await rejectsWith(
          signOnly.provider.verify(signOnly.ref.kid, MESSAGES[0]!, sig),
          KeyUsageError,
        );
        expect(cannotVerify.use).toBe("verify");
      });
    });
  }
}
