import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tracingChannel } from "node:diagnostics_channel";
import {
  InvalidKidError,
  KeyNotFoundError,
  NotSupportedError,
  ProviderUnavailableError,
  StoreIntegrityError,
  UnsupportedAlgorithmError,
  createRegistry,
  type ImportKeyOptions,
  type KeyInput,
  type KeyProvider,
  type KeySpec,
} from "@keyprovider/core";
import { InMemoryKeyProvider } from "@keyprovider/inmemory";
import inmemory from "@keyprovider/inmemory";
import local, { LocalKeyProvider } from "@keyprovider/local";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pair, rejection, text } from "../test/support/pairs.js";
import mirroredDefinition, {
  FileMappingStore,
  InMemoryMappingStore,
  MirrorWriteError,
  MirroredKeyProvider,
  type ResyncReport,
} from "./index.js";

const ed25519: KeySpec = { alg: "ED25519", exportPolicy: "public_only" };

describe("copies", () => {
  it("copy each version exactly: spec, encodings, label, tags, uses, policy, status and fingerprint", async () => {
    const { secondary, mirrored } = pair();
    const spec: KeySpec = {
      alg: "RS256",
      sizeBits: 2048,
      encoding: "DER",
      label: "id-tokens",
      tags: { team: "identity" },
      exportPolicy: "public_only",
    };
    const v1 = await mirrored.createKey(spec);
    const v2 = await mirrored.rotateKey(v1.kid, { activate: false });
    const imported = await mirrored.importKey({ alg: "ED25519", publicFormat: "Raw" }, undefined, {
      public: (await new LocalKeyProvider().createKey({ alg: "ED25519", publicFormat: "Raw" })).public!,
    });
    for (const original of [await mirrored.getKey(v1.kid, 1), v2, imported]) {
      const copy = await secondary.target.getKey(original.kid, original.version);
      expect(JSON.stringify(copy)).toBe(JSON.stringify(original));
      expect(copy.spec).toEqual(original.spec);
    }
    expect((await secondary.target.getKey(v1.kid)).version).toBe(1); // staged stays staged
    await mirrored.activateVersion(v1.kid, 2);
    expect((await secondary.target.getKey(v1.kid)).version).toBe(2);
    await mirrored.activateVersion(v1.kid, 1); // a rollback is mirrored too
    expect((await secondary.target.getKey(v1.kid)).version).toBe(1);
  }, 60_000);

  it("full mode copies secrets of secret_when_allowed keys only; public_only and none keys keep theirs", async () => {
    const { secondary, mirrored } = pair({ mirrorMode: "full" });
    const exportable = await mirrored.createKey({ alg: "ES256", exportPolicy: "secret_when_allowed" });
    const aes = await mirrored.createKey({ alg: "AES256_GCM", exportPolicy: "secret_when_allowed" });
    const publicOnly = await mirrored.createKey({ alg: "ES256", exportPolicy: "public_only" });
    const none = await mirrored.createKey({ alg: "ES256", exportPolicy: "none" });
    const secretAes = await mirrored.createKey({ alg: "AES256_GCM", exportPolicy: "none" });

    const copy = await secondary.target.getKey(exportable.kid, 1, { includeSecret: true });
    expect(copy.material).toEqual(exportable.material);
    expect((await secondary.target.getKey(aes.kid, 1, { includeSecret: true })).material).toEqual(
      aes.material,
    );
    for (const { kid } of [publicOnly, none]) {
      // A public key only: the secondary cannot sign with it, whatever it is asked.
      await expect(secondary.target.sign(kid, text("x"))).rejects.toThrow(NotSupportedError);
      expect((await secondary.target.getKey(kid, 1, { includeSecret: true })).material).toBeUndefined();
    }
    expect(await secondary.target.listKeys()).not.toContain(secretAes.kid);
  });

  it("public_only mode copies public keys only, and none mode copies nothing", async () => {
    const publicOnly = pair();
    const ref = await publicOnly.mirrored.createKey({ alg: "ES256", exportPolicy: "secret_when_allowed" });
    const aes = await publicOnly.mirrored.createKey({
      alg: "AES256_GCM",
      exportPolicy: "secret_when_allowed",
    });
    expect(
      (await publicOnly.secondary.target.getKey(ref.kid, 1, { includeSecret: true })).material,
    ).toBeUndefined();
    expect(await publicOnly.secondary.target.listKeys()).toEqual([ref.kid]);
    expect(aes.material).toBeDefined();

    const none = pair({ mirrorMode: "none" });
    expect(none.mirrored.supports().features).not.toContain("mirror");
    await none.mirrored.createKey(ed25519);
    expect(await none.secondary.target.listKeys()).toEqual([]);
  });

  it("full mode copies opaque secret_when_allowed keys with their public part", async () => {
    const { primary, secondary, mirrored } = pair(
      { mirrorMode: "full" },
      { primary: new InMemoryKeyProvider(), secondary: new InMemoryKeyProvider() },
    );
    const spec: KeySpec = { klass: "opaque", alg: "ED25519", exportPolicy: "secret_when_allowed" };
    const ref = await mirrored.importKey(spec, new Uint8Array(40).fill(1), {
      public: new Uint8Array(8).fill(2),
    });
    const copy = await secondary.target.getKey(ref.kid, 1, { includeSecret: true });
    expect(copy.material).toEqual(new Uint8Array(40).fill(1));
    expect(copy.public).toEqual(new Uint8Array(8).fill(2));
    expect(await mirrored.resync()).toMatchObject({ copied: 0, destroyed: 0, failed: 0 });
    primary.fail("*");
    expect((await mirrored.getKey(ref.kid, undefined, { includeSecret: true })).material).toEqual(
      new Uint8Array(40).fill(1),
    );
  });

  it("50 concurrent rotations land on the secondary as the same 51 versions, with the same primary", async () => {
    const { primary, secondary, mirrored } = pair();
    const { kid } = await mirrored.createKey(ed25519);
    const rotated = await Promise.all(Array.from({ length: 50 }, () => mirrored.rotateKey(kid)));
    expect(new Set(rotated.map((ref) => ref.version)).size).toBe(50);
    expect(await secondary.target.listVersions(kid)).toEqual(await primary.target.listVersions(kid));
    expect((await secondary.target.getKey(kid)).version).toBe((await primary.target.getKey(kid)).version);
    expect(mirrored.status().degraded).toBe(false);
  }, 60_000);
});

describe("a failing secondary", () => {
  it("leaves the primary correct, marks the provider degraded, emits an event, and resync() repairs it", async () => {
    const { primary, secondary, mirrored, mirrorFailures } = pair();
    const kept = await mirrored.createKey(ed25519);
    const gone = await mirrored.createKey(ed25519);
    secondary.fail("*");
    const created = await mirrored.createKey(ed25519);
    const rotated = await mirrored.rotateKey(kept.kid);
    await mirrored.rotateKey(kept.kid, { activate: false });
    await mirrored.activateVersion(kept.kid, 3);
    expect(await mirrored.destroyKey(gone.kid)).toBe(true);
    expect(await primary.target.getKey(created.kid)).toBeDefined();
    expect(rotated.version).toBe(2);

    const status = mirrored.status();
    expect(status).toMatchObject({ mode: "public_only", degraded: true, failedMirrorCount: 5 });
    expect(status.lastError).toEqual({
      operation: "destroyKey",
      code: "ERR_PROVIDER_UNAVAILABLE",
      message: expect.stringContaining("destroyKey") as string,
    });
    expect(mirrorFailures.map((event) => event.operation)).toEqual([
      "createKey",
      "rotateKey",
      "rotateKey",
      "activateVersion",
      "destroyKey",
    ]);

    // resync needs the secondary back; then the two sides agree again.
    secondary.reset();
    const reports: ResyncReport[] = [];
    mirrored.on("resynced", (report) => reports.push(report));
    const report = await mirrored.resync();
    expect(report).toEqual({ kids: 2, copied: 3, destroyed: 1, activated: 1, failed: 0 });
    expect(reports).toEqual([report]);
    expect(mirrored.status()).toMatchObject({ degraded: false, failedMirrorCount: 0 });
    expect(await secondary.target.listKeys()).toEqual(await primary.target.listKeys());
    for (const kid of await primary.target.listKeys()) {
      expect(await secondary.target.listVersions(kid)).toEqual(await primary.target.listVersions(kid));
      expect((await secondary.target.getKey(kid)).version).toBe((await primary.target.getKey(kid)).version);
      expect(await secondary.target.jwks({ allVersions: true })).toEqual(
        await primary.target.jwks({ allVersions: true }),
      );
    }
    // Idempotent.
    expect(await mirrored.resync()).toEqual({ kids: 2, copied: 0, destroyed: 0, activated: 0, failed: 0 });
  });

  it("resync removes versions the primary destroyed behind the mirror's back, and keeps degraded while it fails", async () => {
    const { primary, secondary, mirrored } = pair();
    const { kid } = await mirrored.createKey(ed25519);
    await mirrored.rotateKey(kid);
    await primary.target.destroyKey(kid, 1);
    secondary.fail("listVersions");
    const report = await mirrored.resync();
    expect(report.failed).toBe(1);
    expect(mirrored.status().lastError?.operation).toBe("resync");
    secondary.reset();
    expect(await mirrored.resync()).toMatchObject({ destroyed: 1, failed: 0 });
    expect(await secondary.target.listVersions(kid)).toEqual([2]);
    primary.fail("listKeys");
    await expect(mirrored.resync()).rejects.toThrow(ProviderUnavailableError);
  });

  it("strictMirror turns a failed copy into MirrorWriteError; the primary keeps the key", async () => {
    const { primary, secondary, mirrored } = pair({ strictMirror: true });
    secondary.fail("importKey");
    const error = await rejection(mirrored.createKey(ed25519));
    expect(MirrorWriteError.isInstance(error)).toBe(true);
    const { kid, version, operation, cause } = error as MirrorWriteError;
    expect({ operation, version }).toEqual({ operation: "createKey", version: 1 });
    expect(ProviderUnavailableError.isInstance(cause)).toBe(true);
    expect((await primary.target.getKey(kid)).version).toBe(1);
    expect(mirrored.status().degraded).toBe(true);
    secondary.reset();
    await mirrored.resync();
    expect(await secondary.target.listKeys()).toEqual([kid]);
  });

  it("a copy is made after the primary write: a primary that fails leaves the secondary untouched", async () => {
    const { primary, secondary, mirrored } = pair();
    primary.fail("createKey");
    await expect(mirrored.createKey(ed25519)).rejects.toThrow(ProviderUnavailableError);
    expect(secondary.calls("importKey")).toBe(0);
    const { kid } = await (primary.reset(), mirrored.createKey(ed25519));
    primary.fail("destroyKey");
    await expect(mirrored.destroyKey(kid)).rejects.toThrow(ProviderUnavailableError);
    expect(await secondary.target.listKeys()).toEqual([kid]);
  });
});

/** A secondary that names its own keys: it refuses caller-chosen kids, as some backends do. */
function namingItsOwnKids(provider: KeyProvider): KeyProvider {
  return new Proxy(provider, {
    get(target, property, receiver) {
      if (property === "importKey") {
        return (spec: KeySpec, material?: KeyInput, options?: ImportKeyOptions) => {
          const chosen = options?.kid;
          if (chosen !== undefined && !chosen.startsWith("own-")) {
            return Promise.reject(new InvalidKidError("this backend names its own keys"));
          }
          return target.importKey(
            spec,
            material,
            chosen === undefined ? { ...options, kid: `own-${crypto.randomUUID()}` } : options,
          );
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === "function" ? (value as () => unknown).bind(target) : value;
    },
  });
}

describe("mapping store", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "mirrored-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("a secondary that cannot take the kid gets a copy under its own kid, and failover still answers with the primary's", async () => {
    const secondaryProvider = namingItsOwnKids(new LocalKeyProvider());
    const { primary, secondary, mirrored } = pair({}, { secondary: secondaryProvider });
    const { kid } = await mirrored.createKey(ed25519);
    await mirrored.rotateKey(kid);
    const jwks = await mirrored.jwks({ allVersions: true });
    const [home] = await secondary.target.listKeys();
    expect(home).toMatch(/^own-/);
    expect(await secondary.target.listVersions(home!)).toEqual([1, 2]);

    primary.fail("*");
    expect(await mirrored.getPublicJwk(kid, 1)).toEqual(jwks.keys[0]);
    expect(await mirrored.getPublicJwk(kid)).toEqual(jwks.keys[1]);
    expect((await mirrored.getKey(kid)).kid).toBe(kid);
    expect(await mirrored.listKeys()).toEqual([kid]);
    expect(await mirrored.listVersions(kid)).toEqual([1, 2]);
    expect(await mirrored.jwks({ allVersions: true })).toEqual(jwks);
    // An envelope binds the kid: the secondary's copy under another kid cannot make one for the primary.
    primary.reset();
    const x = await mirrored.createKey({ alg: "X25519" });
    primary.fail("*");
    await expect(mirrored.encrypt(x.kid, text("m"))).rejects.toThrow(ProviderUnavailableError);
    primary.reset();
    expect(await mirrored.destroyKey(kid)).toBe(true);
    expect(await secondary.target.listKeys()).not.toContain(home);
  });

  it("a secondary that already holds the kid with another key gets the copy under a fresh kid, never over it", async () => {
    const secondaryProvider = new LocalKeyProvider();
    const foreign = await secondaryProvider.importKey(
      ed25519,
      (await new LocalKeyProvider().createKey({ alg: "ED25519", exportPolicy: "secret_when_allowed" }))
        .material,
      { kid: "signing" },
    );
    const { primary, mirrored } = pair({}, { secondary: secondaryProvider });
    const ours = await mirrored.importKey(
      ed25519,
      (await new LocalKeyProvider().createKey({ alg: "ED25519", exportPolicy: "secret_when_allowed" }))
        .material,
      { kid: "signing" },
    );
    expect(ours.fingerprint).not.toBe(foreign.fingerprint);
    const jwk = await mirrored.getPublicJwk("signing");
    primary.fail("*");
    expect(await mirrored.getPublicJwk("signing")).toEqual(jwk);
    expect((await mirrored.getKey("signing")).fingerprint).toBe(ours.fingerprint);
    expect((await mirrored.jwks()).keys).toEqual([jwk]); // the foreign key is not republished as ours
    expect((await secondaryProvider.getKey("signing")).fingerprint).toBe(foreign.fingerprint);
  });

  it("a mapping store persisted to a file survives a new provider instance", async () => {
    const path = join(dir, "mappings.json");
    const primaryProvider = new LocalKeyProvider();
    const secondaryProvider = namingItsOwnKids(new LocalKeyProvider());
    const first = new MirroredKeyProvider(primaryProvider, secondaryProvider, {
      mappingStore: new FileMappingStore(path),
    });
    const { kid } = await first.createKey(ed25519);
    const jwk = await first.getPublicJwk(kid);
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    // A new process: a new mirror over the same backends, the primary down from the start.
    const { primary, mirrored } = pair(
      { mappingStore: new FileMappingStore(path) },
      { primary: primaryProvider, secondary: secondaryProvider },
    );
    primary.fail("*");
    expect(await mirrored.getPublicJwk(kid)).toEqual(jwk);
    const persisted = JSON.parse(await readFile(path, "utf8")) as { format: number; mappings: unknown[] };
    expect(persisted).toEqual({
      format: 1,
      mappings: [
        { kid, version: 1, secondaryKid: expect.stringMatching(/^own-/) as string, secondaryVersion: 1 },
      ],
    });
  });

  it("FileMappingStore refuses a file that is not a mapping file, and never overwrites it", async () => {
    const path = join(dir, "not-mappings.json");
    await writeFile(path, "[1, 2, 3]");
    const store = new FileMappingStore(path);
    await expect(store.list()).rejects.toSatisfy((e) => StoreIntegrityError.isInstance(e));
    await expect(store.set({ kid: "a", version: 1, secondaryKid: "b", secondaryVersion: 1 })).rejects.toThrow(
      /not usable/,
    );
    expect(await readFile(path, "utf8")).toBe("[1, 2, 3]");
  });

  it("InMemoryMappingStore keeps one mapping per primary version", async () => {
    const store = new InMemoryMappingStore();
    await store.set({ kid: "k", version: 2, secondaryKid: "s", secondaryVersion: 2 });
    await store.set({ kid: "k", version: 1, secondaryKid: "s", secondaryVersion: 1 });
    await store.set({ kid: "j", version: 1, secondaryKid: "t", secondaryVersion: 1 });
    expect((await store.list("k")).map((m) => m.version)).toEqual([1, 2]);
    expect(await store.get("k", 2)).toEqual({ kid: "k", version: 2, secondaryKid: "s", secondaryVersion: 2 });
    await store.delete("k", 1);
    expect((await store.list()).map((m) => `${m.kid}.${m.version}`)).toEqual(["j.1", "k.2"]);
    await store.delete("k");
    expect(await store.list("k")).toEqual([]);
    await expect(
      store.set({ kid: "a.b", version: 1, secondaryKid: "s", secondaryVersion: 1 }),
    ).rejects.toThrow(TypeError);
  });
});

describe("the provider", () => {
  it("validates its options once, in the constructor", () => {
    const a = new LocalKeyProvider();
    const b = new LocalKeyProvider();
    expect(() => new MirroredKeyProvider(a, b, { mirrorMode: "public-only" as never })).toThrow(TypeError);
    expect(() => new MirroredKeyProvider(a, b, { mirrorMode: "full", strict: true } as never)).toThrow(
      TypeError,
    );
    expect(() => new MirroredKeyProvider(a, a)).toThrow(TypeError);
    expect(() => new MirroredKeyProvider(a, {} as KeyProvider)).toThrow(TypeError);
    expect(() => new MirroredKeyProvider(a, b, { failOpenReads: "yes" as never })).toThrow(TypeError);
    expect(() => new MirroredKeyProvider(a, b, { primaryTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => new MirroredKeyProvider(a, b, { mappingStore: {} as never })).toThrow(TypeError);
  });

  it("supports what both sides allow, plus mirror and failover", async () => {
    const { mirrored } = pair({ mirrorMode: "full" }, { secondary: new InMemoryKeyProvider() });
    expect(mirrored.supports()).toEqual({
      class: ["sym"],
      algs: ["AES256_GCM", "HMAC_SHA256"],
      features: expect.arrayContaining([
        "create",
        "import",
        "rotate",
        "sign",
        "encrypt",
        "mirror",
        "failover",
      ]) as string[],
    });
    expect(mirrored.supports().features).not.toContain("jwks");
    await expect(mirrored.createKey(ed25519)).rejects.toThrow(UnsupportedAlgorithmError);
    await expect(mirrored.jwks()).rejects.toThrow(NotSupportedError);
  });

  it("is created by name from configuration, children included", async () => {
    const registry = createRegistry({ providers: [local, inmemory, mirroredDefinition] });
    const provider = await registry.create("mirrored", {
      primary: { provider: "local" },
      secondary: { provider: "LocalKeyProvider", options: {} },
      mirrorMode: "full",
      mappingFile: join(tmpdir(), "never-written.json"),
    });
    expect(provider).toBeInstanceOf(MirroredKeyProvider);
    expect(provider.status().mode).toBe("full");
    await expect(registry.create("mirrored", { primary: { provider: "local" } } as never)).rejects.toThrow(
      TypeError,
    );
  });

  it("publishes its operations on the keyprovider tracing channels, under its own name", async () => {
    const { mirrored } = pair();
    const seen: string[] = [];
    const channel = tracingChannel<object, { provider: string; operation: string }>("keyprovider:getKey");
    const subscriber = { asyncEnd: (trace: { provider: string }) => seen.push(trace.provider) };
    channel.subscribe(subscriber as never);
    try {
      const { kid } = await mirrored.createKey(ed25519);
      await mirrored.getKey(kid);
    } finally {
      channel.unsubscribe(subscriber as never);
    }
    expect(seen).toContain("MirroredKeyProvider");
  });

  it("events and status never carry secrets", async () => {
    const { secondary, mirrored, mirrorFailures } = pair({ mirrorMode: "full" });
    secondary.fail("importKey", new Error("backend said: sk_live_abcdef0123456789"));
    const ref = await mirrored.createKey({ alg: "AES256_GCM", exportPolicy: "secret_when_allowed" });
    const rendered = JSON.stringify([mirrored.status(), mirrorFailures]);
    expect(rendered).not.toContain("sk_live");
    expect(rendered).not.toContain(Buffer.from(ref.material!).toString("base64url"));
    expect(mirrored.status().lastError).toEqual({
      operation: "createKey",
      code: "ERR_UNEXPECTED",
      message: "Error (not a keyprovider error; its message is not kept)",
    });
    const off = mirrored.on("mirrorFailed", () => {
      throw new Error("a broken listener");
    });
    await mirrored.createKey({ alg: "AES256_GCM" });
    off();
    expect(() => mirrored.on("nope" as never, () => {})).toThrow(TypeError);
  });

  it("resync is refused in none mode, and unknown kids stay unknown on both sides", async () => {
    const { mirrored } = pair({ mirrorMode: "none" });
    await expect(mirrored.resync()).rejects.toThrow(NotSupportedError);
    await expect(mirrored.getKey("0123456789abcdef0123456789abcdef")).rejects.toThrow(KeyNotFoundError);
  });
});
