import {
  KeyNotFoundError,
  KeyUnavailableError,
  KeyUsageError,
  NotSupportedError,
  ProviderPermissionError,
  ProviderUnavailableError,
  type KeySpec,
  type PublicJwk,
} from "@keyprovider/core";
import { signJwt, verifyJwt } from "@keyprovider/jwt";
import { describe, expect, it, vi } from "vitest";
import { LocalKeyProvider } from "@keyprovider/local";
import { pair, rejection, text, withDisabling } from "../test/support/pairs.js";

const ed25519: KeySpec = { alg: "ED25519", exportPolicy: "public_only" };
const p256: KeySpec = { alg: "ES256", exportPolicy: "public_only" };
const message = text("a message the primary signed");

describe("failover reads", () => {
  it("the reference's regression: 20 Ed25519 and 20 P-256 keys fail over to their own JWKs, kid included", async () => {
    const { primary, secondary, mirrored, failovers } = pair();
    const originals = new Map<string, PublicJwk>();
    for (const spec of [ed25519, p256]) {
      for (let i = 0; i < 20; i += 1) {
        const { kid } = await mirrored.createKey(spec);
        originals.set(kid, await mirrored.getPublicJwk(kid));
      }
    }
    // Every copy has the primary's kid and version: one secondary kid per key, never a shared one.
    expect(await secondary.target.listKeys()).toEqual([...originals.keys()].sort());

    // The primary is down (the fault-injecting wrapper), with and without a version.
    primary.fail("*");
    for (const [kid, original] of originals) {
      expect(await mirrored.getPublicJwk(kid)).toEqual(original);
      expect(await mirrored.getPublicJwk(kid, 1)).toEqual(original);
      expect(original.kid).toBe(`${kid}.1`);
    }
    expect(failovers.every((event) => event.reason === "outage")).toBe(true);
    expect(mirrored.status().degraded).toBe(false);

    // The primary is up but has lost the keys (destroyed there directly).
    primary.reset();
    for (const kid of originals.keys()) await primary.target.destroyKey(kid);
    for (const [kid, original] of originals) {
      expect(await mirrored.getPublicJwk(kid)).toEqual(original);
      expect(await mirrored.getPublicJwk(kid, 1)).toEqual(original);
    }
    expect(failovers.at(-1)?.reason).toBe("not_found");
    expect(mirrored.status().degraded).toBe(true);
  }, 60_000);

  it("the seed README scenario: create Ed25519, destroy it on the primary, read the same x through failover", async () => {
    const { primary, mirrored } = pair();
    const created = await mirrored.createKey({ alg: "ED25519", exportPolicy: "secret_when_allowed" });
    const jwk = await mirrored.getPublicJwk(created.kid, created.version);
    await primary.target.destroyKey(created.kid, created.version);
    const mirroredJwk = await mirrored.getPublicJwk(created.kid, created.version);
    expect(mirroredJwk.x).toBe(jwk.x);
    expect(mirroredJwk.kid).toBe(`${created.kid}.1`); // the same kid, unlike the reference
  });

  it("getKey, exportKey, listVersions and listKeys fail over with and without a version", async () => {
    const { primary, mirrored } = pair();
    const { kid } = await mirrored.createKey(p256);
    await mirrored.rotateKey(kid);
    await mirrored.rotateKey(kid, { activate: false });
    const before = {
      primary: await mirrored.getKey(kid),
      v1: await mirrored.getKey(kid, 1),
      staged: await mirrored.getKey(kid, 3),
      pem: await mirrored.exportKey(kid, { format: "pem", version: 1 }),
      jwk: await mirrored.exportKey(kid, { format: "jwk" }),
      versions: await mirrored.listVersions(kid),
      kids: await mirrored.listKeys(),
    };
    primary.fail("*");
    const after = await mirrored.getKey(kid);
    expect(after.version).toBe(2);
    expect(after.status).toBe("primary");
    expect(after.fingerprint).toBe(before.primary.fingerprint);
    expect(after.spec).toEqual(before.primary.spec);
    expect(JSON.stringify(await mirrored.getKey(kid, 1))).toBe(JSON.stringify(before.v1));
    expect((await mirrored.getKey(kid, 3)).status).toBe("staged");
    expect(await mirrored.exportKey(kid, { format: "pem", version: 1 })).toBe(before.pem);
    expect(await mirrored.exportKey(kid, { format: "jwk" })).toEqual(before.jwk);
    expect(await mirrored.listVersions(kid)).toEqual(before.versions);
    expect(await mirrored.listKeys()).toEqual(before.kids);
    expect(await mirrored.listKeys({ prefix: kid.slice(0, 4) })).toEqual([kid]);
    expect(await mirrored.jwks()).toEqual({
      keys: [await mirrored.getPublicJwk(kid, 2), await mirrored.getPublicJwk(kid, 3)],
    });
    expect(mirrored.status().failoverCount).toBeGreaterThan(8);
  });

  it("getKey with includeSecret fails over only where the copy holds the secret (full mode)", async () => {
    const spec: KeySpec = { alg: "ES256", exportPolicy: "secret_when_allowed" };
    const publicOnly = pair();
    const a = await publicOnly.mirrored.createKey(spec);
    publicOnly.primary.fail("*");
    const down = await rejection(publicOnly.mirrored.getKey(a.kid, undefined, { includeSecret: true }));
    expect(ProviderUnavailableError.isInstance(down)).toBe(true);
    expect((await publicOnly.mirrored.getKey(a.kid)).material).toBeUndefined();

    const full = pair({ mirrorMode: "full" });
    const b = await full.mirrored.createKey(spec);
    full.primary.fail("*");
    expect((await full.mirrored.getKey(b.kid, undefined, { includeSecret: true })).material).toEqual(
      b.material,
    );
  });

  it("randomBytes and hkdf fail over; hkdf gives the same bytes on both sides", async () => {
    const { primary, mirrored } = pair();
    const options = { salt: text("salt"), info: text("info"), length: 42 };
    const expected = await mirrored.hkdf(text("ikm"), options);
    primary.fail(["randomBytes", "hkdf"]);
    expect(await mirrored.hkdf(text("ikm"), options)).toEqual(expected);
    expect((await mirrored.randomBytes(16)).length).toBe(16);
  });

  it("a primary that hangs is failed over after primaryTimeoutMs", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const { primary, mirrored, failovers } = pair({ primaryTimeoutMs: 5_000 });
      const { kid } = await mirrored.createKey(ed25519);
      const jwk = await mirrored.getPublicJwk(kid);
      primary.hang("getPublicJwk");
      const pending = mirrored.getPublicJwk(kid);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(await pending).toEqual(jwk);
      expect(failovers[0]?.primaryError.code).toBe("ERR_PROVIDER_UNAVAILABLE");
      expect(primary.hanging()).toBe(0); // the mirror's signal released the hanging call
    } finally {
      vi.useRealTimers();
    }
  });

  it("a caller's abort is not an outage: it rejects with the caller's reason", async () => {
    const { primary, mirrored, secondary } = pair({ primaryTimeoutMs: 60_000 });
    const { kid } = await mirrored.createKey(ed25519);
    const before = secondary.calls();
    primary.hang("getKey");
    const controller = new AbortController();
    const pending = mirrored.getKey(kid, undefined, { signal: controller.signal });
    const reason = new Error("the caller gave up");
    controller.abort(reason);
    expect(await rejection(pending)).toBe(reason);
    expect(secondary.calls()).toBe(before);
  });

  it("with failOpenReads false, primary errors surface as they are", async () => {
    const { primary, secondary, mirrored } = pair({ failOpenReads: false });
    expect(mirrored.supports().features).not.toContain("failover");
    const { kid } = await mirrored.createKey(ed25519);
    const before = secondary.calls();
    const down = new ProviderUnavailableError("down", { retryable: true });
    primary.fail("*", down);
    for (const call of [
      mirrored.getKey(kid),
      mirrored.getPublicJwk(kid),
      mirrored.listVersions(kid),
      mirrored.listKeys(),
      mirrored.jwks(),
      mirrored.verify(kid, message, new Uint8Array(64)),
      mirrored.randomBytes(8),
    ]) {
      expect(await rejection(call)).toBe(down);
    }
    expect(secondary.calls()).toBe(before);
  });

  it("never swallows a caller's bug: wrong types, bad versions and refused uses surface even with the primary down", async () => {
    const { primary, secondary, mirrored } = pair();
    const { kid } = await mirrored.createKey(ed25519);
    const before = secondary.calls();
    primary.fail("*");
    expect(await rejection(mirrored.getKey(42 as unknown as string))).toBeInstanceOf(TypeError);
    expect(await rejection(mirrored.getKey(kid, 0))).toBeInstanceOf(RangeError);
    expect(await rejection(mirrored.getKey("../etc/passwd"))).toBeInstanceOf(KeyNotFoundError);
    expect(
      await rejection(mirrored.getKey(kid, undefined, { includeSecrets: true } as never)),
    ).toBeInstanceOf(TypeError);
    expect(await rejection(mirrored.sign(kid, "text" as unknown as Uint8Array))).toBeInstanceOf(TypeError);
    expect(await rejection(mirrored.randomBytes(65_537))).toBeInstanceOf(RangeError);
    expect(await mirrored.destroyKey("not a kid")).toBe(false);
    expect(secondary.calls()).toBe(before);

    // Answers of a reachable primary are not outages: they surface, the secondary is not asked.
    primary.reset();
    expect(await rejection(mirrored.encrypt(kid, message))).toBeInstanceOf(KeyUsageError);
    primary.fail("getKey", new ProviderPermissionError("no kms:DescribeKey"));
    expect(await rejection(mirrored.getKey(kid))).toBeInstanceOf(ProviderPermissionError);
    primary.reset().fail("getKey", new TypeError("a bug in the primary"));
    expect(await rejection(mirrored.getKey(kid))).toBeInstanceOf(TypeError);
    expect(secondary.calls()).toBe(before);
  });

  it("when the secondary cannot serve either, the primary's error surfaces", async () => {
    const { primary, mirrored } = pair();
    const { kid } = await mirrored.createKey({ alg: "HS256" }); // symmetric: public_only copies nothing
    const down = new ProviderUnavailableError("down");
    primary.fail("*", down);
    expect(await rejection(mirrored.getKey(kid))).toBe(down);
    expect(await rejection(mirrored.getKey("unknownkid"))).toBe(down);
    primary.reset();
    expect(await rejection(mirrored.getKey("unknownkid"))).toBeInstanceOf(KeyNotFoundError);
    expect(mirrored.status().degraded).toBe(false);
  });
});

describe("key operations", () => {
  it("verify and verifyJwt succeed through the secondary for every mirrored version while the primary is down", async () => {
    const { primary, mirrored } = pair();
    const { kid } = await mirrored.createKey({ alg: "ES256" });
    await mirrored.rotateKey(kid);
    await mirrored.rotateKey(kid);
    const signed = [];
    for (const version of [1, 2, 3]) {
      signed.push({
        version,
        signature: await mirrored.sign(kid, message, { version }),
        token: await signJwt(mirrored, kid, { sub: "user-1" }, { expiresIn: "5m", version }),
      });
    }
    primary.fail("*");
    for (const { version, signature, token } of signed) {
      expect(await mirrored.verify(kid, message, signature, { version })).toBe(true);
      expect(await mirrored.verify(kid, text("another message"), signature, { version })).toBe(false);
      const { payload, key } = await verifyJwt(mirrored, token, { keys: [kid] });
      expect(payload.sub).toBe("user-1");
      expect(key.version).toBe(version);
    }
    // Without a version, verify uses the primary pointer, mirrored as 3.
    expect(await mirrored.verify(kid, message, signed[2]!.signature)).toBe(true);
  });

  it.each(["public_only", "full"] as const)(
    "%s mode: verify and encrypt fail over, whatever the key's export policy",
    async (mirrorMode) => {
      for (const exportPolicy of ["none", "public_only", "secret_when_allowed"] as const) {
        const { primary, mirrored } = pair({ mirrorMode });
        const signing = await mirrored.createKey({ alg: "ES256", exportPolicy });
        const sealing = await mirrored.createKey({ alg: "X25519", exportPolicy });
        const signature = await mirrored.sign(signing.kid, message);
        primary.fail("*");
        expect(await mirrored.verify(signing.kid, message, signature)).toBe(true);
        const sealed = await mirrored.encrypt(sealing.kid, text("during the outage"));
        primary.reset();
        expect(await mirrored.decrypt(sealing.kid, sealed)).toEqual(text("during the outage"));
      }
    },
  );

  it("none mode holds no copies, so verify and encrypt with the primary down give the primary's error", async () => {
    const { primary, mirrored } = pair({ mirrorMode: "none" });
    const { kid } = await mirrored.createKey({ alg: "ES256" });
    const sealing = await mirrored.createKey({ alg: "X25519" });
    const signature = await mirrored.sign(kid, message);
    const down = new ProviderUnavailableError("down", { retryable: true });
    primary.fail("*", down);
    expect(await rejection(mirrored.verify(kid, message, signature))).toBe(down);
    expect(await rejection(mirrored.encrypt(sealing.kid, message))).toBe(down);
  });

  it("sign with the primary down: a typed retryable error in public_only mode, a signature in full mode", async () => {
    const publicOnly = pair();
    const a = await publicOnly.mirrored.createKey({ alg: "EdDSA", exportPolicy: "secret_when_allowed" });
    publicOnly.primary.fail("*");
    const error = await rejection(publicOnly.mirrored.sign(a.kid, message));
    expect(ProviderUnavailableError.isInstance(error) && error.retryable).toBe(true);
    expect(publicOnly.secondary.calls("sign")).toBe(0);

    const full = pair({ mirrorMode: "full" });
    const b = await full.mirrored.createKey({ alg: "EdDSA", exportPolicy: "secret_when_allowed" });
    full.primary.fail("*");
    const signature = await full.mirrored.sign(b.kid, message);
    full.primary.reset();
    expect(await full.primary.target.verify(b.kid, message, signature)).toBe(true);
  });

  it("sign in full mode fails over only for secret_when_allowed keys", async () => {
    const { primary, secondary, mirrored } = pair({ mirrorMode: "full" });
    const { kid } = await mirrored.createKey({ alg: "EdDSA", exportPolicy: "public_only" });
    const down = new ProviderUnavailableError("down");
    primary.fail("*", down);
    expect(await rejection(mirrored.sign(kid, message))).toBe(down);
    expect(await rejection(secondary.target.sign(kid, message))).toBeInstanceOf(NotSupportedError);
  });

  it("an envelope made on the secondary during an outage decrypts on the primary (same kid and version)", async () => {
    for (const alg of ["RSA_OAEP_SHA256", "X25519"] as const) {
      const { primary, mirrored } = pair();
      const spec: KeySpec = alg === "RSA_OAEP_SHA256" ? { alg, sizeBits: 2048 } : { alg };
      const { kid } = await mirrored.createKey(spec);
      await mirrored.rotateKey(kid);
      primary.fail("*");
      const aad = text("order 42");
      const sealed = await mirrored.encrypt(kid, text("attack at dawn"), { aad });
      const sealedV1 = await mirrored.encrypt(kid, text("older"), { version: 1 });
      expect(primary.calls("encrypt")).toBe(2);
      primary.reset();
      expect(await mirrored.decrypt(kid, sealed, { aad })).toEqual(text("attack at dawn"));
      expect(await primary.target.decrypt(kid, sealedV1)).toEqual(text("older"));
    }
  }, 60_000);

  it("decrypt and deriveSharedSecret fail over in full mode for secret_when_allowed keys", async () => {
    const { primary, mirrored } = pair({ mirrorMode: "full" });
    const aes = await mirrored.createKey({ alg: "AES256_GCM", exportPolicy: "secret_when_allowed" });
    const x = await mirrored.createKey({ alg: "X25519", exportPolicy: "secret_when_allowed" });
    const sealed = await mirrored.encrypt(aes.kid, text("secret"));
    const peer = await primary.target.createKey({ alg: "X25519", exportPolicy: "public_only" });
    const expected = await mirrored.deriveSharedSecret(x.kid, peer.public!);
    primary.fail(["decrypt", "deriveSharedSecret"]);
    expect(await mirrored.decrypt(aes.kid, sealed)).toEqual(text("secret"));
    expect(await mirrored.deriveSharedSecret(x.kid, peer.public!)).toEqual(expected);
  });
});

describe("DESIGN §7.4", () => {
  it("KeyUnavailableError from the primary is a revocation: it never fails over, and is remembered during an outage", async () => {
    const { primary, secondary, mirrored } = pair();
    const { kid } = await mirrored.createKey(ed25519);
    const other = await mirrored.createKey(ed25519);
    const signature = await mirrored.sign(kid, message);
    const before = secondary.calls();
    const disabled = new KeyUnavailableError(kid, 1, "disabled");
    primary.fail(["getPublicJwk", "getKey", "verify"], disabled);
    expect(await rejection(mirrored.getPublicJwk(kid))).toBe(disabled);
    expect(await rejection(mirrored.getKey(kid, 1))).toBe(disabled);
    expect(await rejection(mirrored.verify(kid, message, signature))).toBe(disabled);
    expect(secondary.calls()).toBe(before);

    // The primary goes down: the secondary still holds the copy, but never serves or republishes it.
    primary.reset().fail("*");
    const refused = await rejection(mirrored.getPublicJwk(kid));
    expect(KeyUnavailableError.isInstance(refused)).toBe(true);
    expect(await rejection(mirrored.verify(kid, message, signature))).toSatisfy((e) =>
      KeyUnavailableError.isInstance(e),
    );
    expect((await mirrored.jwks()).keys.map((jwk) => jwk.kid)).toEqual([`${other.kid}.1`]);

    // Re-enabled: version 1 served by the primary again, so forgotten.
    primary.reset();
    expect(await mirrored.verify(kid, message, signature, { version: 1 })).toBe(true);
    primary.fail("*");
    expect(await mirrored.verify(kid, message, signature)).toBe(true);
  });

  it("jwks() never republishes from the secondary a key the primary reports unavailable", async () => {
    const kms = withDisabling(new LocalKeyProvider());
    const { mirrored, secondary } = pair({}, { primary: kms });
    const kept = await mirrored.createKey(ed25519);
    const disabled = await mirrored.createKey(ed25519);
    kms.disable(disabled.kid); // left out of the primary's set, and unavailable to reads
    expect((await secondary.jwks()).keys).toHaveLength(2);
    expect((await mirrored.jwks()).keys.map((jwk) => jwk.kid)).toEqual([`${kept.kid}.1`]);
    expect(await rejection(mirrored.getPublicJwk(disabled.kid))).toSatisfy((e) =>
      KeyUnavailableError.isInstance(e),
    );
  });

  it("KeyNotFoundError from the primary fails over for reads and public operations only, and marks the provider degraded", async () => {
    const { primary, mirrored, failovers } = pair({ mirrorMode: "full" });
    const { kid } = await mirrored.createKey({ alg: "EdDSA", exportPolicy: "secret_when_allowed" });
    const signature = await mirrored.sign(kid, message);
    await primary.target.destroyKey(kid);
    expect(await mirrored.verify(kid, message, signature)).toBe(true);
    expect(mirrored.status().degraded).toBe(true);
    expect(failovers.map((event) => [event.operation, event.reason])).toEqual([["verify", "not_found"]]);
    // Signing with a key its system of record no longer holds: never, even though the copy could.
    expect(await rejection(mirrored.sign(kid, message))).toBeInstanceOf(KeyNotFoundError);
    // The JWK Set merges both sides: the copy is published once, as the primary's kid.
    expect((await mirrored.jwks()).keys.map((jwk) => jwk.kid)).toEqual([`${kid}.1`]);
  });

  it("destroyKey through the mirror removes the version on both sides", async () => {
    const { primary, secondary, mirrored } = pair();
    const { kid } = await mirrored.createKey(ed25519);
    await mirrored.rotateKey(kid);
    expect(await mirrored.destroyKey(kid, 1)).toBe(true);
    expect(await secondary.target.listVersions(kid)).toEqual([2]);
    primary.fail("*");
    expect(await rejection(mirrored.getPublicJwk(kid, 1))).toBeInstanceOf(ProviderUnavailableError);
    primary.reset();
    expect(await mirrored.destroyKey(kid)).toBe(true);
    expect(await secondary.target.listKeys()).toEqual([]);
    // Destroyed on the primary directly, then through the mirror: the copy goes too.
    const again = await mirrored.createKey(ed25519);
    await primary.target.destroyKey(again.kid);
    expect(await mirrored.destroyKey(again.kid)).toBe(true);
    expect(await secondary.target.listKeys()).toEqual([]);
  });
});

describe("JWKS", () => {
  it("merges both sides, each kid once, primary first", async () => {
    const { primary, mirrored } = pair();
    const a = await mirrored.createKey(ed25519);
    const b = await mirrored.createKey(p256);
    await mirrored.rotateKey(b.kid, { activate: false });
    const set = await mirrored.jwks();
    expect(set).toEqual(await primary.target.jwks());
    const all = await mirrored.jwks({ allVersions: true });
    expect(new Set(all.keys.map((jwk) => jwk.kid)).size).toBe(all.keys.length);
    // Lost on the primary: still published, once, after the primary's keys.
    await primary.target.destroyKey(a.kid);
    const merged = await mirrored.jwks();
    expect(merged.keys.map((jwk) => jwk.kid)).toEqual([`${b.kid}.1`, `${b.kid}.2`, `${a.kid}.1`]);
    expect((await mirrored.jwks({ prefixKids: b.kid })).keys).toHaveLength(2);
  });
});
