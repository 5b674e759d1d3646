import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import {
  DecryptionError,
  ExportPolicy,
  KeyAlg,
  KeyNotFoundError,
  KeyProviderError,
  KeyUsageError,
  LIMITS,
  NotSupportedError,
  type KeyInput,
  type KeySpec,
} from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { findSecretLeaks } from "../secret-leaks.js";
import { EXPECTED, algOf } from "./algorithms.js";
import type { SuiteContext } from "./context.js";
import { fieldAt, parseEnvelope } from "./envelope.js";
import { rejection, rejectsWith, utf8, withDefaultUses, withPolicy } from "./helpers.js";

/** A plaintext long enough for the leak scanner to recognise in any rendering. */
const PLAINTEXT = utf8("the plaintext: attack at dawn, bring the 48 crates");
const AAD = utf8("user:42");

/** The secret or private key of a key, in a form `importKey` takes, where the suite can get it. */
async function importableMaterial(ctx: SuiteContext, spec: KeySpec): Promise<KeyInput | undefined> {
  const alg = algOf(spec);
  if (alg === KeyAlg.AES256_GCM) return randomBytes(32);
  const fixture = ctx.caps.imports.find(
    (f) => algOf(f.spec) === alg && f.material !== undefined && f.public === undefined,
  );
  if (fixture !== undefined) return fixture.material;
  if (
    !ctx.caps.exportPolicies.includes(ExportPolicy.SECRET_WHEN_ALLOWED) ||
    !(await ctx.features()).has("export")
  )
    return undefined;
  const { provider, ref } = await ctx.pooled(withDefaultUses(spec), ExportPolicy.SECRET_WHEN_ALLOWED);
  return provider.exportKey(ref.kid, { format: "pem", private: true });
}

/** Byte equality without vitest's element-by-element diff, which is slow on large arrays. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** encrypt and decrypt for every algorithm that encrypts, in the envelope of DESIGN §7.6. */
export function describeEncryption(ctx: SuiteContext): void {
  const encrypting = ctx.operationSpecs().filter(({ alg }) => EXPECTED[alg].envelopeId !== undefined);
  // The second uses check runs once, on the quickest key to make (RSA keys are slow to generate).
  const firstEncrypting = (encrypting.find(({ alg }) => EXPECTED[alg].node?.type !== "rsa") ?? encrypting[0])
    ?.alg;

  for (const { alg, spec } of encrypting) {
    const expected = EXPECTED[alg];
    describe(`encrypt and decrypt: ${alg}`, () => {
      it("round trips in the documented envelope, which names the kid and version; equal plaintexts give different ciphertexts", async () => {
        const { provider, v1 } = await ctx.rotated(spec);
        const { kid } = v1;
        if (!(await ctx.features()).has("encrypt")) {
          await rejectsWith(provider.encrypt(kid, PLAINTEXT), NotSupportedError);
          await rejectsWith(provider.decrypt(kid, new Uint8Array(64)), NotSupportedError);
          return;
        }
        const ciphertext = await provider.encrypt(kid, PLAINTEXT);
        const envelope = parseEnvelope(ciphertext);
        expect(envelope).toMatchObject({
          magic: "kp",
          format: 1,
          algId: expected.envelopeId,
          kid,
          version: 2,
        });
        if (alg === KeyAlg.X25519) expect(envelope.wrappedKey).toHaveLength(32);
        if (alg === KeyAlg.RSA_OAEP_SHA256) expect(envelope.wrappedKey.length).toBeGreaterThanOrEqual(256);
        expect(await provider.decrypt(kid, ciphertext)).toEqual(PLAINTEXT);
        const again = await provider.encrypt(kid, PLAINTEXT);
        expect(Buffer.from(again).equals(Buffer.from(ciphertext))).toBe(false);
        expect(await provider.decrypt(kid, again)).toEqual(PLAINTEXT);
        // An older version still encrypts on request and decrypts while it lives.
        const older = await provider.encrypt(kid, PLAINTEXT, { version: 1 });
        expect(parseEnvelope(older).version).toBe(1);
        expect(await provider.decrypt(kid, older)).toEqual(PLAINTEXT);
        for (const plaintext of [
          new Uint8Array(0),
          new Uint8Array(256).map((_, i) => i),
          new Uint8Array(70_000).fill(7),
        ]) {
          const decrypted = await provider.decrypt(kid, await provider.encrypt(kid, plaintext));
          expect(sameBytes(decrypted, plaintext), `${plaintext.length} bytes`).toBe(true);
        }
        const withAad = await provider.encrypt(kid, PLAINTEXT, { aad: AAD });
        expect(await provider.decrypt(kid, withAad, { aad: AAD })).toEqual(PLAINTEXT);
      });

      it("any changed byte, another aad or another kid gives DecryptionError, with one message and no plaintext", async () => {
        if (!(await ctx.features()).has("encrypt")) return;
        const { provider, v1 } = await ctx.rotated(spec);
        const { ref: other } = await ctx.sibling(spec);
        const { kid } = v1;
        const live = await provider.listVersions(kid);
        const ciphertext = await provider.encrypt(kid, PLAINTEXT, { aad: AAD });
        const plain = await provider.encrypt(kid, PLAINTEXT);
        const { fields } = parseEnvelope(ciphertext);
        const errors: unknown[] = [];
        const refused = async (
          bytes: Uint8Array,
          options: { aad?: Uint8Array } | undefined,
          what: string,
          decryptKid = kid,
        ) => {
          const error = await rejection(provider.decrypt(decryptKid, bytes, options)).catch(
            () => `${what}: decrypted`,
          );
          expect(DecryptionError.isInstance(error), `${what}: ${String(error)}`).toBe(true);
          errors.push(error);
        };
        await refused(ciphertext, undefined, "without the aad");
        await refused(ciphertext, { aad: utf8("user:43") }, "with another aad");
        await refused(plain, { aad: AAD }, "with an aad it was not made with");
        await refused(ciphertext, { aad: AAD }, "under another kid", other.kid);
        await refused(new Uint8Array(0), undefined, "empty");
        await refused(randomBytes(200), undefined, "random bytes");
        await refused(new Uint8Array([...ciphertext, 0]), { aad: AAD }, "extended by a byte");
        // Every byte of the header; in the long fields (wrapped key, nonce, body and tag) their first
        // and last bytes and every 16th between (each try may cost a private-key operation).
        const offsets = [...Array(ciphertext.length).keys()].filter((offset) => {
          const field = fieldAt(fields, offset);
          if (field !== "wrappedKey" && field !== "nonce" && field !== "body") return true;
          const [start, end] = fields[field];
          return (
            offset === start ||
            offset === end - 1 ||
            (offset - start) % 16 === 0 ||
            offset >= ciphertext.length - 16
          );
        });
        for (const length of offsets) {
          await refused(ciphertext.subarray(0, length), { aad: AAD }, `truncated to ${length} bytes`);
        }
        for (const offset of offsets) {
          for (const bit of offset < fields.wrappedKey[0] ? [0x01, 0x80] : [0x01]) {
            const changed = ciphertext.slice();
            changed[offset]! ^= bit;
            const field = fieldAt(fields, offset);
            if (field === "version") {
              // A version the kid does not hold is KeyNotFoundError, as for a destroyed version; a
              // change to another live version (or to 0) is a DecryptionError like any other.
              const version = Buffer.from(changed).readUInt32BE(fields.version[0]);
              if (version !== 0 && !live.includes(version)) {
                const error = await rejection(provider.decrypt(kid, changed, { aad: AAD }));
                expect(
                  KeyNotFoundError.isInstance(error) || DecryptionError.isInstance(error),
                  `version changed to ${version}`,
                ).toBe(true);
                errors.push(error);
                continue;
              }
            }
            await refused(changed, { aad: AAD }, `bit ${bit} of byte ${offset} (${field}) changed`);
          }
        }
        // The version relabelled to the other live version: authenticated, so refused.
        const relabelled = ciphertext.slice();
        Buffer.from(relabelled.buffer, relabelled.byteOffset).writeUInt32BE(1, fields.version[0]);
        await refused(relabelled, { aad: AAD }, "relabelled to version 1");
        const messages = new Set(
          errors.filter((e) => DecryptionError.isInstance(e)).map((e) => (e as Error).message),
        );
        expect([...messages]).toHaveLength(1);
        expect(findSecretLeaks(errors, [PLAINTEXT])).toEqual([]);
        expect(await provider.decrypt(kid, ciphertext, { aad: AAD })).toEqual(PLAINTEXT);
      });

      it("a ciphertext does not decrypt under another kid, even one holding the same imported key", async () => {
        const features = await ctx.features();
        if (!features.has("encrypt") || !features.has("import")) return;
        const material = await importableMaterial(ctx, spec);
        if (material === undefined) return;
        const provider = await ctx.provider();
        const importSpec = withPolicy(withDefaultUses(spec), ctx.operationsPolicy);
        const a = await provider.importKey(importSpec, material);
        const b = await provider.importKey(importSpec, material);
        expect(a.kid).not.toBe(b.kid);
        const ciphertext = await provider.encrypt(a.kid, PLAINTEXT);
        expect(await provider.decrypt(a.kid, ciphertext)).toEqual(PLAINTEXT);
        await rejectsWith(provider.decrypt(b.kid, ciphertext), DecryptionError);
      });

      it("after a rotation old ciphertexts still decrypt; once their version is destroyed, KeyNotFoundError", async () => {
        if (!(await ctx.features()).has("encrypt")) return;
        const provider = await ctx.provider();
        const { kid } = await provider.createKey(withPolicy(withDefaultUses(spec), ctx.operationsPolicy));
        const first = await provider.encrypt(kid, PLAINTEXT);
        await provider.rotateKey(kid);
        expect(await provider.decrypt(kid, first)).toEqual(PLAINTEXT);
        const second = await provider.encrypt(kid, PLAINTEXT);
        expect(parseEnvelope(second).version).toBe(2);
        expect(await provider.destroyKey(kid, 1)).toBe(true);
        const gone = await rejectsWith(provider.decrypt(kid, first), KeyNotFoundError);
        expect([gone.kid, gone.version]).toEqual([kid, 1]);
        expect(await provider.decrypt(kid, second)).toEqual(PLAINTEXT);
      });

      it("uses are enforced with KeyUsageError", async () => {
        if (!(await ctx.features()).has("encrypt")) return;
        const { provider, ref } = await ctx.pooled(
          { ...withDefaultUses(spec), uses: ["encrypt"] },
          ctx.operationsPolicy,
        );
        const ciphertext = await provider.encrypt(ref.kid, PLAINTEXT);
        const refused = await rejectsWith(provider.decrypt(ref.kid, ciphertext), KeyUsageError);
        expect([refused.kid, refused.version, refused.use]).toEqual([ref.kid, 1, "decrypt"]);
        if (alg !== firstEncrypting) return;
        const decryptOnly = await ctx.pooled(
          { ...withDefaultUses(spec), uses: ["decrypt"] },
          ctx.operationsPolicy,
        );
        const cannot = await rejectsWith(
          decryptOnly.provider.encrypt(decryptOnly.ref.kid, PLAINTEXT),
          KeyUsageError,
        );
        expect(cannot.use).toBe("encrypt");
      });

      if (alg === KeyAlg.AES256_GCM) {
        it(`accepts plaintexts of up to ${LIMITS.maxPlaintextBytes} bytes (64 MiB) and refuses one byte more with RangeError`, async () => {
          if (!(await ctx.features()).has("encrypt")) return;
          const { provider, v1 } = await ctx.rotated(spec);
          const large = new Uint8Array(LIMITS.maxPlaintextBytes + 1);
          large[0] = 1;
          large[large.length - 2] = 2;
          await expect(provider.encrypt(v1.kid, large)).rejects.toBeInstanceOf(RangeError);
          const limit = large.subarray(0, LIMITS.maxPlaintextBytes);
          const decrypted = await provider.decrypt(v1.kid, await provider.encrypt(v1.kid, limit));
          expect(sameBytes(decrypted, limit)).toBe(true);
        });
      }
    });
  }
}

/** Operations a key's algorithm cannot do (uses), and opaque keys (no operations at all). */
export function describeRefusedOperations(ctx: SuiteContext): void {
  const { keys } = ctx.caps;
  it("an operation the key's algorithm does not do is KeyUsageError; opaque keys have none (NotSupportedError)", async () => {
    const features = await ctx.features();
    const peer = new Uint8Array(32).fill(9);
    for (const spec of keys) {
      const { provider, ref } = await ctx.pooled(spec, ctx.operationsPolicy);
      const opaque = spec.klass === "opaque";
      const attempts: [string, () => Promise<unknown>, boolean][] = [
        [
          "sign",
          () => provider.sign(ref.kid, PLAINTEXT),
          features.has("sign") && (opaque || !ref.uses.includes("sign")),
        ],
        [
          "encrypt",
          () => provider.encrypt(ref.kid, PLAINTEXT),
          features.has("encrypt") && (opaque || !ref.uses.includes("encrypt")),
        ],
        [
          "decaps",
          () => provider.deriveSharedSecret(ref.kid, peer),
          features.has("derive") && (opaque || !ref.uses.includes("decaps")),
        ],
      ];
      for (const [use, attempt, applies] of attempts) {
        if (!applies) continue;
        const error = await rejection(attempt());
        if (opaque) {
          expect(NotSupportedError.isInstance(error), `${use} with an opaque key`).toBe(true);
        } else {
          expect(KeyUsageError.isInstance(error), `${use} with ${algOf(spec)} [${ref.uses.join(",")}]`).toBe(
            true,
          );
          expect((error as KeyUsageError).use).toBe(use);
        }
        expect(KeyProviderError.isInstance(error)).toBe(true);
      }
    }
  });
}
