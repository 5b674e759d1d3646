import { createHash } from "node:crypto";
import { decodeEnvelope } from "@keyprovider/base";
import { DecryptionError } from "@keyprovider/core";
import { expect, it } from "vitest";
import { describeKms, text, useNamespace } from "./kms.js";

const isDecryptionError = (error: unknown) => DecryptionError.isInstance(error);

describeKms.concurrent("encryption inside KMS", () => {
  const namespace = useNamespace();

  it("AES up to 4 096 bytes: one Encrypt, one Decrypt naming the key, the aad only as a SHA-256 in the context", async () => {
    const { provider, client } = namespace.provider();
    const { kid, uri } = await provider.createKey({ alg: "A256GCM" });
    const aad = text("order-42");
    const plaintext = new Uint8Array(4096).fill(3);
    client.resetCalls();
    const ciphertext = await provider.encrypt(kid, plaintext, { aad });
    expect(await provider.decrypt(kid, ciphertext, { aad })).toEqual(plaintext);
    expect(client.calls()).toEqual({ Encrypt: 1, Decrypt: 1 });
    const [encrypt, decrypt] = client.inputs.map(({ input }) => input);
    const context = {
      "keyprovider:kid": kid,
      "keyprovider:version": "1",
      "keyprovider:mode": "direct",
      "keyprovider:aad-sha256": createHash("sha256").update(aad).digest("base64url"),
    };
    expect(encrypt!["EncryptionContext"]).toEqual(context);
    expect(decrypt!["EncryptionContext"]).toEqual(context);
    expect(decrypt!["KeyId"]).toBe(uri);
    expect(JSON.stringify(client.inputs)).not.toContain("order-42");
    expect(decodeEnvelope(ciphertext)).toMatchObject({ kid, version: 1, alg: "AES256_GCM" });
  });

  it("AES beyond 4 096 bytes (and empty): a data key from GenerateDataKey, AES-256-GCM here", async () => {
    const { provider, client } = namespace.provider();
    const { kid } = await provider.createKey({ alg: "A256GCM" });
    for (const size of [0, 4097, 3 * 1024 * 1024]) {
      const plaintext = new Uint8Array(size).fill(9);
      client.resetCalls();
      const ciphertext = await provider.encrypt(kid, plaintext, { aad: text("a") });
      expect(ciphertext.byteLength).toBeGreaterThan(size);
      // Buffer.equals: vitest's deep equality is far too slow for megabytes.
      expect(Buffer.from(await provider.decrypt(kid, ciphertext, { aad: text("a") })).equals(plaintext)).toBe(
        true,
      );
      expect(client.calls()).toEqual({ GenerateDataKey: 1, Decrypt: 1 });
      expect(client.inputs[0]!.input["EncryptionContext"]).toMatchObject({ "keyprovider:mode": "data-key" });
    }
  });

  it("a wrong aad, a changed byte or another kid is the one DecryptionError", async () => {
    const { provider } = namespace.provider();
    const { kid } = await provider.createKey({ alg: "A256GCM" });
    const other = await provider.createKey({ alg: "A256GCM" });
    for (const plaintext of [text("small"), new Uint8Array(5000)]) {
      const ciphertext = await provider.encrypt(kid, plaintext, { aad: text("right") });
      await expect(provider.decrypt(kid, ciphertext, { aad: text("wrong") })).rejects.toSatisfy(
        isDecryptionError,
      );
      await expect(provider.decrypt(kid, ciphertext)).rejects.toSatisfy(isDecryptionError);
      const flipped = ciphertext.slice();
      flipped[flipped.length - 1]! ^= 1;
      await expect(provider.decrypt(kid, flipped, { aad: text("right") })).rejects.toSatisfy(
        isDecryptionError,
      );
      await expect(provider.decrypt(other.kid, ciphertext, { aad: text("right") })).rejects.toSatisfy(
        isDecryptionError,
      );
    }
  });

  it("a ciphertext names its version and opens after rotation", async () => {
    const { provider } = namespace.provider();
    const { kid } = await provider.createKey({ alg: "A256GCM" });
    const before = await provider.encrypt(kid, text("v1 secret"));
    await provider.rotateKey(kid);
    const after = await provider.encrypt(kid, text("v2 secret"));
    expect(decodeEnvelope(after).version).toBe(2);
    expect(await provider.decrypt(kid, before)).toEqual(text("v1 secret"));
    expect(await provider.decrypt(kid, after)).toEqual(text("v2 secret"));
  });

  it("RSA-OAEP-256: encrypts locally (no call), decrypts the content key through KMS Decrypt", async () => {
    const { provider, client } = namespace.provider();
    const { kid, uri } = await provider.createKey({ alg: "RSA-OAEP-256", sizeBits: 2048 });
    await provider.getPublicJwk(kid);
    client.resetCalls();
    const plaintext = new Uint8Array(100_000).fill(5);
    const ciphertext = await provider.encrypt(kid, plaintext, { aad: text("x") });
    expect(client.count()).toBe(0);
    expect(Buffer.from(await provider.decrypt(kid, ciphertext, { aad: text("x") })).equals(plaintext)).toBe(
      true,
    );
    expect(client.calls()).toEqual({ Decrypt: 1 });
    expect(client.inputs[0]!.input).toMatchObject({ KeyId: uri, EncryptionAlgorithm: "RSAES_OAEP_SHA_256" });
    await expect(provider.decrypt(kid, ciphertext, { aad: text("y") })).rejects.toSatisfy(isDecryptionError);
  });

  it('randomBytes: local by default; with randomSource "kms", GenerateRandom in chunks of at most 1 024 bytes', async () => {
    const local = namespace.provider();
    expect((await local.provider.randomBytes(2500)).byteLength).toBe(2500);
    expect(local.client.count()).toBe(0);
    const kms = namespace.provider({ randomSource: "kms" });
    const random = await kms.provider.randomBytes(2500);
    expect(random.byteLength).toBe(2500);
    expect(new Set(random).size).toBeGreaterThan(200);
    expect(kms.client.inputs.map(({ input }) => input["NumberOfBytes"])).toEqual([1024, 1024, 452]);
    expect((await kms.provider.randomBytes(0)).byteLength).toBe(0);
    expect(kms.client.count()).toBe(3);
  });
});
