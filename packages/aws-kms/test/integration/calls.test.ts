import { expect, it } from "vitest";
import { mapBounded } from "../../src/lib/concurrency.js";
import { describeKms, manualClock, text, useNamespace } from "./kms.js";

/** The measured counts, printed once at the end for the README and the report. */
const measured: Record<string, Record<string, number>> = {};

describeKms("KMS requests per call", () => {
  it.each([10, 100])(
    "jwks() over %i keys: cold fetches each key once, warm only pages ListAliases",
    async (n) => {
      const namespace = useNamespaceOnce();
      const clock = manualClock();
      const maker = namespace.provider().provider;
      await mapBounded(
        Array.from({ length: n }, (_, i) => i),
        16,
        () => maker.createKey({ alg: "ES256" }),
      );

      const { provider, client } = namespace.provider({ clock: clock.now });
      expect((await provider.jwks()).keys).toHaveLength(n);
      const cold = client.calls();
      measured[`jwks() over ${n} keys, cold`] = cold;
      expect(cold["GetPublicKey"]).toBe(n);
      expect(cold["DescribeKey"]).toBe(n);
      expect(cold["ListResourceTags"]).toBe(n);

      client.resetCalls();
      expect((await provider.jwks()).keys).toHaveLength(n);
      const warm = client.calls();
      measured[`jwks() over ${n} keys, warm`] = warm;
      // The same pages of ListAliases (they hold every alias of the account), nothing else.
      expect(warm).toEqual({ ListAliases: cold["ListAliases"] });
      expect(warm["ListAliases"]).toBeGreaterThanOrEqual(Math.ceil((2 * n) / 100));

      if (n > 10) return; // the re-check is the same per key; once is enough
      clock.advance(60_000);
      client.resetCalls();
      expect((await provider.jwks()).keys).toHaveLength(n);
      const recheck = client.calls();
      measured[`jwks() over ${n} keys, after stateTtlMs`] = recheck;
      expect(recheck["GetPublicKey"]).toBeUndefined();
      expect(recheck["DescribeKey"]).toBe(n);
    },
    120_000,
  );

  it("per operation", async () => {
    const namespace = useNamespaceOnce();
    const { provider, client } = namespace.provider();
    const count = async (name: string, fn: () => Promise<unknown>) => {
      client.resetCalls();
      await fn();
      measured[name] = client.calls();
    };
    let kid = "";
    await count("createKey (ES256)", async () => {
      ({ kid } = await provider.createKey({ alg: "ES256" }));
    });
    await count("rotateKey", () => provider.rotateKey(kid));
    await count("rotateKey({ activate: false })", () => provider.rotateKey(kid, { activate: false }));
    await count("activateVersion", () => provider.activateVersion(kid, 3));
    await count("getKey (warm)", () => provider.getKey(kid));
    await count("getPublicJwk (warm)", () => provider.getPublicJwk(kid, 1));
    const message = text("hello");
    let signature: Uint8Array = new Uint8Array(0);
    await count("sign", async () => {
      signature = await provider.sign(kid, message);
    });
    await count("verify (asymmetric)", () => provider.verify(kid, message, signature));
    await count("listVersions", () => provider.listVersions(kid));
    await count("destroyKey(kid, version)", () => provider.destroyKey(kid, 1));
    await count("destroyKey(kid) with 2 versions", () => provider.destroyKey(kid));
    const aes = await provider.createKey({ alg: "A256GCM" });
    let ciphertext: Uint8Array = new Uint8Array(0);
    await count("encrypt (AES, ≤ 4 096 bytes)", async () => {
      ciphertext = await provider.encrypt(aes.kid, message);
    });
    await count("decrypt (AES, ≤ 4 096 bytes)", () => provider.decrypt(aes.kid, ciphertext));
    await count("encrypt (AES, 1 MiB)", async () => {
      ciphertext = await provider.encrypt(aes.kid, new Uint8Array(1 << 20));
    });
    await count("decrypt (AES, 1 MiB)", () => provider.decrypt(aes.kid, ciphertext));
    const hmac = await provider.createKey({ alg: "HS256" });
    await count("sign (HMAC)", async () => {
      signature = await provider.sign(hmac.kid, message);
    });
    await count("verify (HMAC)", () => provider.verify(hmac.kid, message, signature));
    const cold = namespace.provider();
    await count("sign, cold provider", async () => {
      client.resetCalls();
      await cold.provider.sign(hmac.kid, message);
    });
    measured["sign, cold provider"] = cold.client.calls();

    expect(measured["sign"]).toEqual({ Sign: 1 });
    expect(measured["verify (asymmetric)"]).toEqual({});
    expect(measured["getKey (warm)"]).toEqual({});
    expect(measured["encrypt (AES, ≤ 4 096 bytes)"]).toEqual({ Encrypt: 1 });
    expect(measured["decrypt (AES, 1 MiB)"]).toEqual({ Decrypt: 1 });
    console.log(
      `KMS requests per call:\n${Object.entries(measured)
        .map(([name, calls]) => `  ${name}: ${JSON.stringify(calls)}`)
        .join("\n")}`,
    );
  });
});

/** A namespace per test, registered at the top of the file (each cleans up after the file). */
const namespaces = [useNamespace(), useNamespace(), useNamespace()];
function useNamespaceOnce(): ReturnType<typeof useNamespace> {
  return namespaces.shift()!;
}
