import { randomBytes } from "node:crypto";
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UpdateAliasCommand,
} from "@aws-sdk/client-kms";
import { KeyNotFoundError, KeyUnavailableError } from "@keyprovider/core";
import { afterAll, expect, it } from "vitest";
import { describeKms, manualClock, rawClient, text, useNamespace } from "./kms.js";

const unavailable = (reason: string) => (error: unknown) =>
  KeyUnavailableError.isInstance(error) && error.reason === reason;

describeKms(
  "DESIGN §7.5: a version is used only when KMS shows it is this kid's, usable, and enabled",
  () => {
    const namespace = useNamespace();
    const raw = rawClient();
    const strangers: string[] = [];
    afterAll(async () => {
      for (const keyId of strangers) {
        await raw
          .send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }))
          .catch(() => {});
      }
      raw.destroy();
    });

    /** Someone else's key of the same kind, untagged. */
    async function strangerKey(): Promise<string> {
      const { KeyMetadata } = await raw.send(
        new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY", Description: "not ours" }),
      );
      strangers.push(KeyMetadata!.KeyId!);
      return KeyMetadata!.KeyId!;
    }

    it("a version alias pointed at someone else's key is refused, skipped by jwks() and by rotation, and never deleted", async () => {
      const { provider } = namespace.provider();
      const { kid } = await provider.createKey({ alg: "ES256" });
      await provider.rotateKey(kid, { activate: false });
      const stranger = await strangerKey();
      await raw.send(
        new UpdateAliasCommand({
          AliasName: `alias/${namespace.aliasPrefix}/${kid}/v2`,
          TargetKeyId: stranger,
        }),
      );

      const fresh = namespace.provider().provider;
      await expect(fresh.getKey(kid, 2)).rejects.toSatisfy(unavailable("identity_mismatch"));
      await expect(fresh.sign(kid, text("x"), { version: 2 })).rejects.toSatisfy(
        unavailable("identity_mismatch"),
      );
      const published = await fresh.jwks({ prefixKids: kid, allVersions: true });
      expect(published.keys.map((k) => k.kid)).toEqual([`${kid}.1`]);
      expect((await fresh.getKey(kid)).version).toBe(1); // the primary is still fine
      // Rotation continues from version 1 and skips the taken number.
      expect((await fresh.rotateKey(kid)).version).toBe(3);
      // Destroying version 2 removes our alias but never schedules deletion of a key that is not ours.
      expect(await fresh.destroyKey(kid, 2)).toBe(true);
      const { KeyMetadata } = await raw.send(new DescribeKeyCommand({ KeyId: stranger }));
      expect(KeyMetadata?.KeyState).toBe("Enabled");
    });

    it("a primary alias pointed at someone else's key is refused; explicit versions still work", async () => {
      const { provider } = namespace.provider();
      const { kid } = await provider.createKey({ alg: "ES256" });
      await raw.send(
        new UpdateAliasCommand({
          AliasName: `alias/${namespace.aliasPrefix}/${kid}`,
          TargetKeyId: await strangerKey(),
        }),
      );
      const fresh = namespace.provider().provider;
      await expect(fresh.getKey(kid)).rejects.toSatisfy(unavailable("identity_mismatch"));
      await expect(fresh.sign(kid, text("x"))).rejects.toSatisfy(unavailable("identity_mismatch"));
      expect((await fresh.getKey(kid, 1)).status).toBe("active");
      expect((await fresh.jwks({ prefixKids: kid })).keys).toEqual([]);
    });

    it("a key whose tags name another version is refused", async () => {
      const { provider } = namespace.provider();
      const { kid, tags } = await provider.createKey({ alg: "ES256" });
      await raw.send(
        new TagResourceCommand({
          KeyId: tags["kms:key_id"]!,
          Tags: [{ TagKey: "keyprovider:version", TagValue: "7" }],
        }),
      );
      const fresh = namespace.provider().provider;
      await expect(fresh.getKey(kid)).rejects.toSatisfy(unavailable("identity_mismatch"));
      expect((await fresh.jwks({ prefixKids: kid })).keys).toEqual([]);
    });

    it("a key of another account than expectedAccountId is refused", async () => {
      const { provider } = namespace.provider();
      const { kid } = await provider.createKey({ alg: "ES256" });
      const elsewhere = namespace.provider({ expectedAccountId: "999999999999" }).provider;
      await expect(elsewhere.getKey(kid)).rejects.toSatisfy(unavailable("identity_mismatch"));
    });

    it("a disabled key is neither used nor published once stateTtlMs has passed", async () => {
      const clock = manualClock();
      const { provider, client } = namespace.provider({ clock: clock.now, stateTtlMs: 60_000 });
      const { kid, tags } = await provider.createKey({ alg: "ES256" });
      expect((await provider.jwks({ prefixKids: kid })).keys).toHaveLength(1);
      await raw.send(new DisableKeyCommand({ KeyId: tags["kms:key_id"]! }));
      // Within the TTL the cached state stands; KMS itself refuses the signature, and the key is re-checked.
      await expect(provider.sign(kid, text("x"))).rejects.toSatisfy(unavailable("disabled"));
      clock.advance(60_000);
      client.resetCalls();
      await expect(provider.getKey(kid)).rejects.toSatisfy(unavailable("disabled"));
      await expect(provider.sign(kid, text("x"))).rejects.toSatisfy(unavailable("disabled"));
      expect(client.calls()["Sign"]).toBeUndefined();
      expect((await provider.jwks({ prefixKids: kid })).keys).toEqual([]);
    });

    it("a key pending deletion is reported as such", async () => {
      const clock = manualClock();
      const { provider } = namespace.provider({ clock: clock.now });
      const { kid, tags } = await provider.createKey({ alg: "ES256" });
      await raw.send(new ScheduleKeyDeletionCommand({ KeyId: tags["kms:key_id"]!, PendingWindowInDays: 7 }));
      clock.advance(60_000);
      await expect(provider.getKey(kid)).rejects.toSatisfy(unavailable("pending_deletion"));
    });

    it("kids that are not valid never reach KMS; misses of valid kids are answered from one listing", async () => {
      const clock = manualClock();
      const { provider, client } = namespace.provider({ clock: clock.now });
      await provider.listKeys();
      client.resetCalls();
      for (const bad of ["../x", "a.b", "", "x".repeat(129), "kid with spaces"]) {
        await expect(provider.getKey(bad)).rejects.toSatisfy((e) => KeyNotFoundError.isInstance(e));
        expect(await provider.destroyKey(bad)).toBe(false);
      }
      expect(client.count()).toBe(0);
      for (let i = 0; i < 50; i += 1) {
        await expect(provider.sign(randomBytes(16).toString("hex"), text("x"))).rejects.toSatisfy((e) =>
          KeyNotFoundError.isInstance(e),
        );
      }
      expect(client.count()).toBe(0); // the listing is younger than notFoundTtlMs
      clock.advance(5_000);
      await expect(provider.getKey(randomBytes(16).toString("hex"))).rejects.toSatisfy((e) =>
        KeyNotFoundError.isInstance(e),
      );
      expect(client.calls()).toEqual({ ListAliases: 1 });
    });
  },
);
