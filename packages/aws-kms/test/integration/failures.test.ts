import { DescribeKeyCommand, ListAliasesCommand, ListResourceTagsCommand } from "@aws-sdk/client-kms";
import { KeyNotFoundError, ProviderPermissionError, ProviderUnavailableError } from "@keyprovider/core";
import { expect, it } from "vitest";
import { describeKms, rawClient, useNamespace, type RecordingClient } from "./kms.js";

/** The id of every key the client's CreateKey calls make from now on. */
function capture(client: RecordingClient): string[] {
  const made: string[] = [];
  client.onResult("CreateKey", (output) => {
    made.push((output as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId);
  });
  return made;
}

/** KMS's own view of a key: its state and the aliases that point at it. */
async function inKms(keyId: string): Promise<{ state: string | undefined; aliases: string[] }> {
  const raw = rawClient();
  try {
    const { KeyMetadata } = await raw.send(new DescribeKeyCommand({ KeyId: keyId }));
    const { Aliases } = await raw.send(new ListAliasesCommand({ KeyId: keyId }));
    return { state: KeyMetadata?.KeyState, aliases: (Aliases ?? []).map((a) => a.AliasName!) };
  } finally {
    raw.destroy();
  }
}

describeKms("no key is left behind", () => {
  const namespace = useNamespace();

  it.each(["CreateAlias", "GetPublicKey"])(
    "a failure of %s after CreateKey schedules the new key's deletion and throws the mapped error",
    async (operation) => {
      const { provider, client } = namespace.provider();
      const made = capture(client);
      client.failNext(operation, { name: "AccessDeniedException", message: "not allowed" });
      const error = await provider.createKey({ alg: "ES256" }).catch((e: unknown) => e);
      expect(ProviderPermissionError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain("injected-request-id");
      expect(made).toHaveLength(1);
      expect(await inKms(made[0]!)).toEqual({ state: "PendingDeletion", aliases: [] });
      expect(client.inputs.find((c) => c.operation === "ScheduleKeyDeletion")?.input).toMatchObject({
        KeyId: made[0],
        PendingWindowInDays: 7,
      });
      expect(await provider.listKeys()).toEqual([]);
    },
  );

  it("a rotation that fails after moving the primary puts the primary back", async () => {
    const { provider, client } = namespace.provider();
    const { kid } = await provider.createKey({ alg: "ES256" });
    const made = capture(client);
    client.failNext("GetPublicKey", { name: "KMSInternalException", fault: "server" });
    const error = await provider.rotateKey(kid).catch((e: unknown) => e);
    expect(ProviderUnavailableError.isInstance(error) && error.retryable).toBe(true);
    expect(await inKms(made[0]!)).toEqual({ state: "PendingDeletion", aliases: [] });
    const fresh = namespace.provider().provider;
    expect(await fresh.listVersions(kid)).toEqual([1]);
    expect((await fresh.getKey(kid)).version).toBe(1);
    // The next rotation takes the number the failed one had given back.
    expect((await provider.rotateKey(kid)).version).toBe(2);
    await provider.destroyKey(kid);
  });

  it("an abort once CreateKey has answered rejects with the signal's reason and still cleans up", async () => {
    const { provider, client } = namespace.provider();
    const controller = new AbortController();
    const made = capture(client);
    client.afterNext("CreateKey", () => controller.abort(new Error("stop now")));
    const error = await provider
      .createKey({ alg: "ES256" }, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe("stop now");
    expect(await inKms(made[0]!)).toEqual({ state: "PendingDeletion", aliases: [] });
  });

  it("an abort after the version alias was made removes that alias too", async () => {
    const { provider, client } = namespace.provider();
    const controller = new AbortController();
    const made = capture(client);
    client.afterNext("CreateAlias", () => controller.abort(new Error("too late")));
    const error = await provider
      .createKey({ alg: "ES256" }, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe("too late");
    expect(await inKms(made[0]!)).toEqual({ state: "PendingDeletion", aliases: [] });
    expect(await namespace.provider().provider.listKeys()).toEqual([]);
  });

  it("a version number taken meanwhile: the key is re-tagged with the next number and claimed again", async () => {
    const { provider, client } = namespace.provider();
    const { kid } = await provider.createKey({ alg: "ES256" });
    client.failNext("CreateAlias", { name: "AlreadyExistsException", message: "taken" });
    const rotated = await provider.rotateKey(kid);
    // The number that was refused is never tried again: the next claim is above it and above the highest alias.
    expect(rotated.version).toBe(3);
    const raw = rawClient();
    const { Tags } = await raw.send(new ListResourceTagsCommand({ KeyId: rotated.tags["kms:key_id"]! }));
    expect(Tags?.find((t) => t.TagKey === "keyprovider:version")?.TagValue).toBe("3");
    expect(await provider.listVersions(kid)).toEqual([1, 3]);
    raw.destroy();
    expect(client.calls()["TagResource"]).toBe(1);
  });

  it("a rotation that cannot claim a number in 8 attempts gives up and leaves no key", async () => {
    const { provider, client } = namespace.provider();
    const { kid } = await provider.createKey({ alg: "ES256" });
    const made = capture(client);
    for (let i = 0; i < 8; i += 1) client.failNext("CreateAlias", { name: "AlreadyExistsException" });
    const error = await provider.rotateKey(kid).catch((e: unknown) => e);
    expect(ProviderUnavailableError.isInstance(error) && error.retryable).toBe(true);
    expect((error as Error).message).toMatch(/8 attempts/);
    expect(await inKms(made[0]!)).toMatchObject({ state: "PendingDeletion", aliases: [] });
    expect(await provider.listVersions(kid)).toEqual([1]);
  });

  it("concurrent rotations from two provider instances give distinct consecutive versions", async () => {
    const a = namespace.provider();
    const b = namespace.provider();
    const { kid } = await a.provider.createKey({ alg: "ES256" });
    const refs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).provider.rotateKey(kid)),
    );
    const versions = refs.map((ref) => ref.version).sort((x, y) => x - y);
    expect(versions).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await namespace.provider().provider.listVersions(kid)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Every key's version tag matches its alias.
    const fresh = namespace.provider().provider;
    for (const version of versions) expect((await fresh.getKey(kid, version)).version).toBe(version);
    expect(versions).toContain((await fresh.getKey(kid)).version);
  });

  it("concurrent rotations in one instance run one after another", async () => {
    const { provider, client } = namespace.provider();
    const { kid } = await provider.createKey({ alg: "ES256" });
    const refs = await Promise.all(Array.from({ length: 6 }, () => provider.rotateKey(kid)));
    expect(refs.map((ref) => ref.version).sort((x, y) => x - y)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(client.calls()["TagResource"]).toBeUndefined(); // no number was ever contested
    expect((await provider.getKey(kid)).version).toBe(7);
  });

  it("a destroyed kid is gone for every reader", async () => {
    const { provider } = namespace.provider();
    const { kid } = await provider.createKey({ alg: "ES256" });
    await provider.rotateKey(kid);
    const other = namespace.provider().provider;
    expect(await other.listVersions(kid)).toEqual([1, 2]);
    expect(await provider.destroyKey(kid)).toBe(true);
    expect(await other.destroyKey(kid)).toBe(false);
    await expect(other.listVersions(kid)).rejects.toSatisfy((e) => KeyNotFoundError.isInstance(e));
  });
});
