import { createPublicKey, verify as nodeVerify } from "node:crypto";
import { algorithmInfo } from "@keyprovider/base";
import { NotSupportedError, type KeySpec } from "@keyprovider/core";
import { expect, it } from "vitest";
import { describeKms, target, text, useNamespace } from "./kms.js";

const LONG = new Uint8Array(5000).fill(7); // beyond the 4 096 bytes KMS Sign takes RAW

/** Verify with node:crypto against the published JWK: an implementation that is not ours. */
async function verifiedByNode(
  jwk: object,
  spec: KeySpec,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const info = algorithmInfo(spec.alg)!;
  const key = createPublicKey({ key: jwk as never, format: "jwk" });
  const { scheme, hash, saltLength } = info.signature!;
  const options =
    scheme === "ecdsa"
      ? { key, dsaEncoding: "ieee-p1363" as const }
      : scheme === "rsa-pss"
        ? { key, padding: 6, saltLength: saltLength! }
        : key;
  return nodeVerify(hash ?? null, message, options, signature);
}

describeKms.concurrent("signatures made inside KMS", () => {
  const namespace = useNamespace();

  it.each([
    { alg: "RS384", sizeBits: 2048 },
    { alg: "RS512", sizeBits: 2048 },
    { alg: "PS384", sizeBits: 2048 },
    { alg: "PS512", sizeBits: 2048 },
    { alg: "ES256" },
    { alg: "ES512" },
  ] as const)(
    "$alg: one Sign per signature (RAW up to 4 096 bytes, DIGEST beyond), zero calls per verify",
    async (spec) => {
      const { provider, client } = namespace.provider();
      const { kid } = await provider.createKey(spec);
      const jwk = await provider.getPublicJwk(kid);
      client.resetCalls();
      for (const message of [text("short"), LONG]) {
        const signature = await provider.sign(kid, message);
        expect(await verifiedByNode(jwk, spec, message, signature)).toBe(true);
        expect(await provider.verify(kid, message, signature)).toBe(true);
      }
      expect(client.calls()).toEqual({ Sign: 2 });
      const sent = client.inputs.map(({ input }) => [
        input["MessageType"],
        (input["Message"] as Uint8Array).length,
      ]);
      const digestLength =
        algorithmInfo(spec.alg)!.signature!.hash === "sha512"
          ? 64
          : algorithmInfo(spec.alg)!.signature!.hash === "sha384"
            ? 48
            : 32;
      expect(sent).toEqual([
        ["RAW", 5],
        ["DIGEST", digestLength],
      ]);
    },
  );

  it("ECDSA signatures come back in the JOSE form, sized per curve", async () => {
    const { provider } = namespace.provider();
    for (const [alg, size] of [
      ["ES256", 64],
      ["ES384", 96],
      ["ES512", 132],
    ] as const) {
      const { kid } = await provider.createKey({ alg });
      expect((await provider.sign(kid, LONG)).byteLength).toBe(size);
    }
  });

  it.runIf(target?.ed25519 === true)(
    "Ed25519 signs up to 4 096 bytes and refuses longer messages (KMS's DIGEST form is Ed25519ph)",
    async () => {
      const { provider, client } = namespace.provider();
      const { kid } = await provider.createKey({ alg: "EdDSA" });
      const jwk = await provider.getPublicJwk(kid);
      const edge = new Uint8Array(4096).fill(1);
      const signature = await provider.sign(kid, edge);
      expect(await verifiedByNode(jwk, { alg: "EdDSA" }, edge, signature)).toBe(true);
      client.resetCalls();
      const error = await provider.sign(kid, LONG).catch((e: unknown) => e);
      expect(NotSupportedError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/Ed25519ph/);
      expect(client.count()).toBe(0);
    },
  );

  it("HMAC: one GenerateMac per tag, one VerifyMac per check; a wrong tag is false", async () => {
    const { provider, client } = namespace.provider();
    const { kid } = await provider.createKey({ alg: "HS256" });
    client.resetCalls();
    const tag = await provider.sign(kid, text("payload"));
    expect(tag.byteLength).toBe(32);
    expect(await provider.verify(kid, text("payload"), tag)).toBe(true);
    const wrong = tag.slice();
    wrong[0]! ^= 1;
    expect(await provider.verify(kid, text("payload"), wrong)).toBe(false);
    expect(await provider.verify(kid, text("payload"), tag.subarray(1))).toBe(false); // no call: wrong length
    expect(client.calls()).toEqual({ GenerateMac: 1, VerifyMac: 2 });
    const error = await provider.sign(kid, LONG).catch((e: unknown) => e);
    expect(NotSupportedError.isInstance(error)).toBe(true);
  });
});
