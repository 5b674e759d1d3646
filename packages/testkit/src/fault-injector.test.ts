import { KeyNotFoundError, ProviderUnavailableError, type KeySpec } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { VolatileKeyProvider } from "../test/volatile-key-provider.js";
import { KEY_PROVIDER_METHODS, createFaultInjector, describeKeyProvider, findSecretLeaks } from "./index.js";

const spec: KeySpec = { alg: "ED25519" };
const data = new TextEncoder().encode("data");

// Without faults the wrapper is the provider: the whole contract holds through it.
describeKeyProvider("a FaultInjector without faults", () => createFaultInjector(new VolatileKeyProvider()), {
  keys: [
    { alg: "ED25519" },
    { alg: "X25519" },
    { alg: "ES256" },
    { alg: "AES256_GCM" },
    { alg: "HMAC_SHA256" },
    { klass: "opaque", alg: "HMAC_SHA256" },
  ],
  imports: [{ name: "raw AES key", spec: { alg: "AES256_GCM" }, material: new Uint8Array(32).fill(7) }],
});

describe("createFaultInjector", () => {
  it("delegates every call and counts it", async () => {
    const target = new VolatileKeyProvider();
    const injector = createFaultInjector(target);
    expect([injector.name, injector.target, injector.supports()]).toEqual([
      target.name,
      target,
      target.supports(),
    ]);
    const { kid } = await injector.createKey(spec);
    expect((await target.getKey(kid)).kid).toBe(kid);
    expect(await injector.verify(kid, data, await injector.sign(kid, data))).toBe(true);
    expect(await injector.exportKey(kid, { format: "pem" })).toBe(
      await target.exportKey(kid, { format: "pem" }),
    );
    expect([
      injector.calls("createKey"),
      injector.calls("sign"),
      injector.calls("verify"),
      injector.calls(),
    ]).toEqual([1, 1, 1, 4]);
    expect(createFaultInjector(target, { name: "FlakyKms" }).name).toBe("FlakyKms");
  });

  it("fails a method once, then lets it through; other methods are untouched", async () => {
    const injector = createFaultInjector(new VolatileKeyProvider());
    const { kid } = await injector.createKey(spec);
    const outage = new ProviderUnavailableError("KMS is down", { retryable: true });
    injector.fail("sign", outage, { times: 1 });
    await expect(injector.sign(kid, data)).rejects.toBe(outage);
    expect(await injector.sign(kid, data)).toHaveLength(64);
    expect((await injector.getKey(kid)).kid).toBe(kid);
    expect(injector.calls("sign")).toBe(2);
  });

  it("fails always, by default with a retryable ProviderUnavailableError naming the call, until reset", async () => {
    const injector = createFaultInjector(new VolatileKeyProvider());
    const { kid } = await injector.createKey(spec);
    injector.fail(["getKey", "jwks"]);
    for (let i = 0; i < 3; i += 1) {
      const error = await injector.getKey(kid).catch((e: unknown) => e);
      expect(ProviderUnavailableError.isInstance(error)).toBe(true);
      expect((error as ProviderUnavailableError).retryable).toBe(true);
      expect((error as Error).message).toBe("VolatileKeyProvider.getKey failed: a fault was injected");
    }
    await expect(injector.jwks()).rejects.toSatisfy((e: unknown) => ProviderUnavailableError.isInstance(e));
    injector.reset("getKey");
    expect((await injector.getKey(kid)).kid).toBe(kid);
    await expect(injector.jwks()).rejects.toThrow(ProviderUnavailableError);
    injector.reset();
    expect((await injector.jwks()).keys).toHaveLength(1);
  });

  it('makes each error with a factory, for every method with "*", a given number of times, in order', async () => {
    const injector = createFaultInjector(new VolatileKeyProvider());
    const { kid } = await injector.createKey(spec);
    const made: string[] = [];
    injector.fail(
      "*",
      (method) => {
        made.push(method);
        return new KeyNotFoundError(kid);
      },
      { times: 2 },
    );
    await expect(injector.getKey(kid)).rejects.toThrow(KeyNotFoundError);
    await expect(injector.getKey(kid)).rejects.toThrow(KeyNotFoundError);
    expect((await injector.getKey(kid)).kid).toBe(kid);
    await expect(injector.randomBytes(4)).rejects.toThrow(KeyNotFoundError);
    expect(made).toEqual(["getKey", "getKey", "randomBytes"]);
    injector.reset().fail("listKeys", undefined, { times: 1 }).hang("listKeys", { times: 1 });
    await expect(injector.listKeys()).rejects.toThrow(ProviderUnavailableError);
    const hanging = injector.listKeys();
    expect(injector.hanging("listKeys")).toBe(1);
    expect(injector.release("listKeys")).toBe(1);
    expect(await hanging).toEqual([kid]);
    expect(await injector.listKeys()).toEqual([kid]);
  });

  it("hangs a call until released; the call then reaches the provider", async () => {
    const target = createFaultInjector(new VolatileKeyProvider());
    const injector = createFaultInjector(target);
    const { kid } = await injector.createKey(spec);
    injector.hang("sign");
    let settled = false;
    const signing = injector.sign(kid, data).finally(() => {
      settled = true;
    });
    const second = injector.sign(kid, data);
    await new Promise((resolve) => setImmediate(resolve));
    expect([settled, injector.hanging("sign"), injector.hanging(), target.calls("sign")]).toEqual([
      false,
      2,
      2,
      0,
    ]);
    expect(injector.release()).toBe(2);
    expect(await signing).toHaveLength(64);
    expect(await second).toHaveLength(64);
    expect([injector.hanging(), target.calls("sign")]).toEqual([0, 2]);
  });

  it("rejects a hanging call with its signal's reason when it aborts, and never calls the provider", async () => {
    const target = createFaultInjector(new VolatileKeyProvider());
    const injector = createFaultInjector(target);
    const { kid } = await injector.createKey(spec);
    injector.hang("*");
    const controller = new AbortController();
    const reason = new Error("timed out waiting for KMS");
    const pending = injector.getKey(kid, undefined, { signal: controller.signal });
    expect(injector.hanging("getKey")).toBe(1);
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect([injector.hanging(), target.calls("getKey")]).toEqual([0, 0]);
    // Already aborted: rejected at once.
    await expect(injector.jwks({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(injector.hanging()).toBe(0);
    expect(injector.release()).toBe(0);
  });

  it("checks its arguments", () => {
    const injector = createFaultInjector(new VolatileKeyProvider());
    expect(() => createFaultInjector(null as never)).toThrow(TypeError);
    expect(() => createFaultInjector(new VolatileKeyProvider(), { name: "" })).toThrow(TypeError);
    expect(() => injector.fail("nope" as never)).toThrow(TypeError);
    expect(() => injector.fail("sign", "boom" as never)).toThrow(TypeError);
    expect(() => injector.hang("sign", { times: 0 })).toThrow(RangeError);
    expect(() => injector.calls("supports" as never)).toThrow(TypeError);
    expect(KEY_PROVIDER_METHODS).toHaveLength(18);
  });

  it("renders nothing of the provider it wraps", async () => {
    const target = new VolatileKeyProvider();
    const injector = createFaultInjector(target);
    const ref = await injector.createKey({ alg: "AES256_GCM", exportPolicy: "secret_when_allowed" });
    expect(findSecretLeaks([injector], [ref.material!])).toEqual([]);
  });
});
