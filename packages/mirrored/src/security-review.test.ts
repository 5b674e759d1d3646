import {
  KeyNotFoundError,
  KeyUnavailableError,
  ProviderUnavailableError,
  type KeySpec,
} from "@keyprovider/core";
import { signJwt, verifyJwt } from "@keyprovider/jwt";
import { LocalKeyProvider } from "@keyprovider/local";
import { createFaultInjector } from "@keyprovider/testkit";
import { describe, expect, it } from "vitest";
import { pair, rejection, text, withDisabling } from "../test/support/pairs.js";
import { MirroredKeyProvider } from "./index.js";

/**
 * Security review (review-sec). `destroyKey` through the mirror returns `true` once the primary has
 * removed the version; when removing the secondary's copy fails (non-strict mode, the default) the
 * mirror only emits `mirrorFailed`. The copy then answers every read and public operation by
 * failover, because the primary now says KeyNotFoundError: the destroyed key keeps verifying and is
 * republished in `jwks()`. The code's own comment in `destroyKey` says "a key destroyed through the
 * mirror must not live on in failover", and DESIGN §7.4 says destroyKey through the mirror removes
 * the version on both sides.
 */
const spec: KeySpec = { alg: "ES256", exportPolicy: "public_only" };
const message = text("signed before the key was destroyed");

describe("review-sec: a key destroyed through the mirror never lives on in failover", () => {
  it("verify refuses a destroyed key even when removing its copy failed", async () => {
    const { secondary, mirrored, mirrorFailures } = pair();
    const { kid } = await mirrored.createKey(spec);
    const signature = await mirrored.sign(kid, message);
    // The compromised key is destroyed; the secondary has a transient failure on that one call.
    secondary.fail("destroyKey", new ProviderUnavailableError("blip", { retryable: true }), { times: 1 });
    expect(await mirrored.destroyKey(kid)).toBe(true);
    expect(mirrorFailures.map((event) => event.operation)).toEqual(["destroyKey"]);

    // false, or KeyNotFoundError; never true.
    const verified = await mirrored.verify(kid, message, signature).catch((error: unknown) => error);
    expect(verified).not.toBe(true);
  });

  it("a JWT signed by a key destroyed through the mirror is refused by verifyJwt", async () => {
    const { secondary, mirrored } = pair();
    const { kid } = await mirrored.createKey(spec);
    const token = await signJwt(mirrored, kid, { sub: "attacker" }, { expiresIn: "1h" });
    secondary.fail("destroyKey", new ProviderUnavailableError("blip", { retryable: true }), { times: 1 });
    expect(await mirrored.destroyKey(kid)).toBe(true);

    expect(await rejection(verifyJwt(mirrored, token, { keys: [kid] }))).toMatchObject({
      code: "ERR_INVALID_TOKEN",
    });
  });

  it("jwks() does not republish a key destroyed through the mirror", async () => {
    const { secondary, mirrored } = pair();
    const { kid } = await mirrored.createKey(spec);
    secondary.fail("destroyKey", new ProviderUnavailableError("blip", { retryable: true }), { times: 1 });
    expect(await mirrored.destroyKey(kid, 1)).toBe(true);

    expect((await mirrored.jwks({ allVersions: true })).keys.map((jwk) => jwk.kid)).not.toContain(`${kid}.1`);
    expect(await rejection(mirrored.getPublicJwk(kid, 1))).toSatisfy((e) => KeyNotFoundError.isInstance(e));
  });
});

/**
 * DESIGN §7.9 and jwks-http: when the provider fails, a JWKS endpoint answers 503, never an empty set
 * a verifier would cache (for max-age, 300 s by default) and then refuse every token with. Behind a
 * mirror, a primary outage turns into whatever the secondary holds — here nothing — returned as a
 * successful, empty JWK Set.
 */
describe("review-sec: a primary outage never becomes an empty JWK Set", () => {
  it("jwks() fails, rather than answering { keys: [] }, when the primary is down and the secondary holds no copy", async () => {
    const { primary, secondary, mirrored } = pair();
    // A key whose copy failed (or that predates the mirror and no resync has run yet).
    secondary.fail("importKey", new ProviderUnavailableError("blip", { retryable: true }), { times: 1 });
    const { kid } = await mirrored.createKey(spec);
    expect((await mirrored.jwks()).keys.map((jwk) => jwk.kid)).toEqual([`${kid}.1`]);

    primary.fail("*");
    const outcome = await mirrored.jwks().catch((error: unknown) => error);
    expect(outcome).not.toEqual({ keys: [] });
  });
});

/**
 * DESIGN §7.4: KeyUnavailableError (disabled, pending deletion) from the primary is a revocation that
 * never fails over, and jwks() never republishes such a key from the secondary. The mirror remembers
 * revocations in memory only, and resync() leaves the revoked version's copy on the secondary (its
 * getKey fails, so the kid is counted as failed and skipped). After a restart, the next primary
 * outage fails over to that copy: the revoked key verifies and is published again.
 */
describe("review-sec: a key the primary revoked is not served by the next process during an outage", () => {
  it("verify and jwks() refuse a disabled key after a restart, when the primary is down", async () => {
    const system = withDisabling(new LocalKeyProvider());
    const primary = createFaultInjector(system);
    const secondary = new LocalKeyProvider();
    const before = new MirroredKeyProvider(primary, secondary);
    const { kid } = await before.createKey(spec);
    const signature = await before.sign(kid, message);

    // The key is compromised: the operator disables it in the system of record (a KMS key state).
    system.disable(kid);
    expect(await rejection(before.verify(kid, message, signature))).toSatisfy((e) =>
      KeyUnavailableError.isInstance(e),
    );
    await before.resync(); // the operator even runs a resync

    // The process restarts; later the primary's region has an outage.
    const after = new MirroredKeyProvider(primary, secondary);
    primary.fail("*");
    const verified = await after.verify(kid, message, signature).catch((error: unknown) => error);
    expect(verified).not.toBe(true);
    const published = await after.jwks().catch(() => ({ keys: [] }));
    expect(published.keys.map((jwk) => jwk.kid)).not.toContain(`${kid}.1`);
  });
});
