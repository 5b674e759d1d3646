import * as used from "@aws-sdk/client-kms";
import * as lowest from "@aws-sdk/client-kms-lowest";
import { expect, it, vi } from "vitest";
import { describeKms, text, useNamespace } from "./kms.js";

// The provider (and the test's own client) get @aws-sdk/client-kms 3.600.0, the lowest version the
// peer dependency range allows, in place of the installed one.
vi.mock("@aws-sdk/client-kms", async () => await import("@aws-sdk/client-kms-lowest"));

describeKms("with the lowest supported @aws-sdk/client-kms (3.600.0)", () => {
  const namespace = useNamespace();

  it("is the one in use", () => {
    expect(used.KMSClient).toBe(lowest.KMSClient);
  });

  it("creates, rotates, signs (RAW and DIGEST), publishes, encrypts and destroys", async () => {
    const { provider, client } = namespace.provider();
    const { kid } = await provider.createKey({ alg: "ES256" });
    expect((await provider.rotateKey(kid)).version).toBe(2);
    for (const message of [text("short"), new Uint8Array(5000)]) {
      const signature = await provider.sign(kid, message);
      expect(await provider.verify(kid, message, signature)).toBe(true);
    }
    expect((await provider.jwks({ prefixKids: kid })).keys.map((k) => k.kid)).toEqual([`${kid}.2`]);
    const hmac = await provider.createKey({ alg: "HS256" });
    expect(await provider.verify(hmac.kid, text("m"), await provider.sign(hmac.kid, text("m")))).toBe(true);
    const aes = await provider.createKey({ alg: "A256GCM" });
    for (const plaintext of [text("small"), new Uint8Array(10_000).fill(1)]) {
      const ciphertext = await provider.encrypt(aes.kid, plaintext, { aad: text("a") });
      expect(
        Buffer.from(await provider.decrypt(aes.kid, ciphertext, { aad: text("a") })).equals(plaintext),
      ).toBe(true);
    }
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(provider.sign(kid, text("x"), { signal: controller.signal })).rejects.toThrow("stop");
    for (const k of [kid, hmac.kid, aes.kid]) expect(await provider.destroyKey(k)).toBe(true);
    expect(client.count("Sign")).toBe(2);
  });
});
