import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey } from "node:crypto";
import {
  ExportNotAllowedError,
  ExportPolicy,
  KeyClass,
  KeyProviderError,
  NotSupportedError,
  type Jwk,
  type KeyProvider,
  PRIVATE_JWK_MEMBERS,
} from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { EXPECTED, algOf, klassOf, specName } from "./algorithms.js";
import type { SuiteContext } from "./context.js";
import { b64url, exportIn, rejectsWith } from "./helpers.js";

const spki = (key: Parameters<typeof createPublicKey>[0]) =>
  new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));

/** `private: true` in every format is ExportNotAllowedError, naming the kid and its policy. */
async function expectSecretRefused(provider: KeyProvider, kid: string, policy: ExportPolicy): Promise<void> {
  for (const format of ["pem", "der", "jwk"] as const) {
    const error = await rejectsWith(
      exportIn(provider, kid, { format, private: true }),
      ExportNotAllowedError,
    );
    expect([error.kid, error.exportPolicy]).toEqual([kid, policy]);
  }
}

/** exportKey: public keys in every form, secrets only where the export policy allows. */
export function describeExportPolicy(ctx: SuiteContext): void {
  const { keys, exportPolicies } = ctx.caps;

  describe("exportKey", ctx.parallel, () => {
    it("without the export feature, every exportKey is NotSupportedError", async () => {
      if ((await ctx.features()).has("export")) return; // the tests below state what it does
      const { provider, ref } = await ctx.pooled(keys[0]!, exportPolicies[0]!);
      for (const format of ["pem", "der", "jwk"] as const) {
        await rejectsWith(exportIn(provider, ref.kid, { format }), NotSupportedError);
        await rejectsWith(exportIn(provider, ref.kid, { format, private: true }), NotSupportedError);
      }
    });

    for (const spec of keys) {
      const klass = klassOf(spec);
      const alg = algOf(spec);
      for (const policy of exportPolicies) {
        const secretAllowed = policy === ExportPolicy.SECRET_WHEN_ALLOWED;
        const title =
          klass === KeyClass.opaque
            ? "opaque keys do not export: NotSupportedError"
            : klass === KeyClass.asymmetric
              ? `the public key as PEM, DER and JWK; the private key ${secretAllowed ? "with private: true" : "never: ExportNotAllowedError"}`
              : `no public key (NotSupportedError); the secret ${secretAllowed ? "as an oct JWK with private: true" : "never: ExportNotAllowedError"}`;

        it(`${specName(spec)} under ${policy}: ${title}`, async () => {
          if (!(await ctx.features()).has("export")) return;
          const { provider, ref } = await ctx.pooled(spec, policy);
          const { kid } = ref;
          if (klass === KeyClass.opaque) {
            for (const format of ["pem", "der", "jwk"] as const) {
              await rejectsWith(exportIn(provider, kid, { format }), NotSupportedError);
              await rejectsWith(exportIn(provider, kid, { format, private: true }), NotSupportedError);
            }
            return;
          }
          if (klass === KeyClass.symmetric) {
            for (const format of ["pem", "der", "jwk"] as const)
              await rejectsWith(exportIn(provider, kid, { format }), NotSupportedError);
            if (!secretAllowed) {
              await expectSecretRefused(provider, kid, policy);
              return;
            }
            const jwk = await provider.exportKey(kid, { format: "jwk", version: 1, private: true });
            expect(jwk).toMatchObject({ kty: "oct", k: b64url(ref.material!), kid: `${kid}.1` });
            if (jwk.alg !== undefined) expect(jwk.alg).toBe(EXPECTED[alg].jose);
            for (const format of ["pem", "der"] as const) {
              const error = await exportIn(provider, kid, { format, private: true }).then(
                () => undefined,
                (e: unknown) => e,
              );
              // A raw secret has no PEM or DER form; refusing it is a typed error, not a bare Error.
              if (error !== undefined) expect(KeyProviderError.isInstance(error)).toBe(true);
            }
            return;
          }

          const pem = await provider.exportKey(kid, { format: "pem", version: 1 });
          const der = await provider.exportKey(kid, { format: "der", version: 1 });
          const jwk = await provider.exportKey(kid, { format: "jwk", version: 1 });
          expect(typeof pem).toBe("string");
          expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
          expect(der).toBeInstanceOf(Uint8Array);
          expect(spki(pem)).toEqual(der);
          expect(spki({ key: Buffer.from(der), format: "der", type: "spki" })).toEqual(der);
          expect(spki({ key: { ...jwk } as never, format: "jwk" })).toEqual(der);
          expect(jwk).toMatchObject({ ...EXPECTED[alg].jwk, kid: `${kid}.1` });
          for (const member of PRIVATE_JWK_MEMBERS) expect(jwk).not.toHaveProperty(member);
          if (ctx.publishesJwks) expect(jwk).toEqual(await provider.getPublicJwk(kid, 1));
          // KeyRef.public is the same key, in the encoding the spec asked for.
          const published = ref.public!;
          const text = Buffer.from(published).toString("latin1");
          if (text.startsWith("-----BEGIN")) expect(text).toBe(pem);
          else if (published.length === 32 && der.length > 32)
            expect(published).toEqual(der.subarray(der.length - 32));
          else expect(published).toEqual(der);
          // Without a version: the primary.
          const primary = (await provider.listVersions(kid)).at(-1)!;
          expect((await provider.exportKey(kid, { format: "jwk" })).kid).toBe(`${kid}.${primary}`);

          if (!secretAllowed) {
            await expectSecretRefused(provider, kid, policy);
            return;
          }
          const privatePem = await provider.exportKey(kid, { format: "pem", version: 1, private: true });
          const privateDer = await provider.exportKey(kid, { format: "der", version: 1, private: true });
          const privateJwk: Jwk = await provider.exportKey(kid, { format: "jwk", version: 1, private: true });
          expect(privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
          expect(typeof privateJwk.d).toBe("string");
          expect(privateJwk).toMatchObject({ kid: `${kid}.1`, alg: EXPECTED[alg].jwk!.alg });
          const fromPem = createPrivateKey(privatePem);
          const fromDer = createPrivateKey({ key: Buffer.from(privateDer), format: "der", type: "pkcs8" });
          const fromJwk = createPrivateKey({ key: { ...privateJwk } as never, format: "jwk" });
          for (const key of [fromPem, fromDer, fromJwk]) expect(spki(key)).toEqual(der);
        });
      }
    }
  });
}
