import { generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { LocalKeyProvider } from "./index.js";

/** Security review (review-sec): version-number and kid invariants under destroy and concurrency. */
describe("review-sec: kid and version invariants", () => {
  it("a version number destroyed with its whole kid is never issued again to other key material", async () => {
    // KeyProviderBase.destroyVersions: "Destroyed numbers are never reissued"; ImportVersionRequest:
    // "refuse with KeyExistsError if live or destroyed".
    const provider = new LocalKeyProvider();
    const first = await provider.importKey(
      { alg: "ES256" },
      generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey,
      {
        kid: "signing",
      },
    );
    expect(first.version).toBe(1);
    expect(await provider.destroyKey("signing")).toBe(true);

    const outcome = await provider
      .importKey({ alg: "ES256" }, generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey, {
        kid: "signing",
        version: 1,
      })
      .catch((error: unknown) => error);
    // "signing.1" named the destroyed key in every JWKS and token; it must not name another key now.
    expect(outcome).toMatchObject({ code: "ERR_KEY_EXISTS" });
  });

  it("two concurrent imports under one new caller-chosen kid never leave it holding two algorithms", async () => {
    // importKey refuses a new version whose alg differs from the kid's ("a new version must be the
    // same"), but checks before it stores: two imports that race both pass the check.
    const provider = new LocalKeyProvider();
    await Promise.allSettled([
      provider.importKey({ alg: "ES256" }, generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey, {
        kid: "shared",
      }),
      provider.importKey({ alg: "HMAC_SHA256" }, new Uint8Array(randomBytes(32)), { kid: "shared" }),
    ]);
    const algs = new Set<string>();
    for (const version of await provider.listVersions("shared")) {
      algs.add((await provider.getKey("shared", version)).alg);
    }
    expect([...algs]).toHaveLength(1);
  });
});
