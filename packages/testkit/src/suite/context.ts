import {
  type ExportPolicy,
  type Jwks,
  type KeyAlg,
  type KeyProvider,
  type KeyRef,
  type KeySpec,
  type ProviderSupports,
  type PublicJwk,
} from "@keyprovider/core";
import { afterAll, beforeAll, beforeEach } from "vitest";
import type { ResolvedCapabilities } from "../capabilities.js";
import { algOf, klassOf } from "./algorithms.js";
import { randomSuffix, withDefaultUses } from "./helpers.js";

/** A key the suite made once and keeps for the tests that only read or use it. */
export interface PooledKey {
  readonly provider: KeyProvider;
  /** What `createKey` returned. */
  readonly ref: KeyRef;
}

/** A pooled key with a second version: `v2` is the primary. */
export interface RotatedKey {
  readonly provider: KeyProvider;
  readonly v1: KeyRef;
  readonly v2: KeyRef;
}

/**
 * What every test module gets: providers (fresh or shared, with their kids recorded for clean-up),
 * listings relative to the current test's own kids, and pooled keys so slow keys (RSA) are made
 * once per suite and not once per test.
 */
export class SuiteContext {
  readonly caps: ResolvedCapabilities;
  readonly #factory: () => KeyProvider | Promise<KeyProvider>;
  #shared: Promise<KeyProvider> | undefined;
  #supports: Promise<ProviderSupports> | undefined;
  /** Every provider the factory made, and every kid made through them. */
  readonly #made = new Map<KeyProvider, Set<string>>();
  /** Kids made by the current test. */
  #testKids = new Set<string>();
  readonly #raw = new WeakMap<KeyProvider, KeyProvider>();
  readonly #pool = new Map<string, Promise<PooledKey>>();
  readonly #rotated = new Map<string, Promise<RotatedKey>>();

  constructor(factory: () => KeyProvider | Promise<KeyProvider>, caps: ResolvedCapabilities) {
    this.#factory = factory;
    this.caps = caps;
  }

  /**
   * Register the hooks: make the pooled keys (at most `concurrency` at a time: slow keys such as RSA
   * are generated in parallel), reset the per-test kid record, and destroy every kid in `afterAll`.
   */
  registerHooks(): void {
    beforeAll(async () => {
      const work = [
        ...this.caps.keys.flatMap((spec) =>
          this.caps.exportPolicies.map((policy) => () => this.pooled(spec, policy)),
        ),
        ...this.operationSpecs().map(
          ({ spec }) =>
            () =>
              this.rotated(spec),
        ),
      ];
      const next = async (): Promise<void> => {
        for (let task = work.shift(); task !== undefined; task = work.shift()) {
          // A key that cannot be made fails the tests that use it, with the error, not this hook.
          await task().catch(() => undefined);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.caps.concurrency, 8) }, next));
    }, this.caps.timeoutMs);
    beforeEach(() => {
      this.#testKids = new Set();
    });
    afterAll(async () => {
      const failures: string[] = [];
      for (const [provider, kids] of this.#made) {
        for (const kid of kids) {
          try {
            await provider.destroyKey(kid);
          } catch (error) {
            failures.push(`${kid}: ${(error as Error).name}`);
          }
        }
        if (this.caps.dispose !== undefined) await this.caps.dispose(provider);
      }
      if (failures.length > 0) {
        throw new Error(
          `The suite could not destroy ${failures.length} of its kids: ${failures.slice(0, 5).join(", ")}`,
        );
      }
    }, this.caps.timeoutMs);
  }

  /**
   * The options of the describe blocks whose tests may run at once: with fresh providers, tests that
   * only read pooled keys or use their own provider are independent, and slow key generation (RSA)
   * overlaps on the thread pool. With a shared provider every test runs alone, so listings can be
   * compared with the kids the running test made.
   */
  get parallel(): { readonly concurrent: boolean } {
    return { concurrent: !this.shared };
  }

  /** Kids are compared exactly with a fresh provider, and relative to the test's own kids with a shared one. */
  get shared(): boolean {
    return this.caps.provider === "shared";
  }

  /** The export policy the key operations run under: `"none"` where accepted (keys used where they live). */
  get operationsPolicy(): ExportPolicy {
    return this.caps.exportPolicies.at(-1)!;
  }

  /**
   * A provider for one test: a new, empty one (fresh mode) or the suite's shared one. Kids its
   * `createKey` and `importKey` return are recorded for the listing checks and the clean-up.
   */
  async provider(): Promise<KeyProvider> {
    return this.#track(this.shared ? await this.#sharedProvider() : await this.#make(), true);
  }

  /** A second, independent provider (fresh mode only): `undefined` with a shared provider. */
  async another(): Promise<KeyProvider | undefined> {
    return this.shared ? undefined : this.#track(await this.#make(), true);
  }

  /** The provider object itself behind a tracked one (for rendering it in the leak checks). */
  raw(provider: KeyProvider): KeyProvider {
    return this.#raw.get(provider) ?? provider;
  }

  /** What the provider supports, read once. */
  async supports(): Promise<ProviderSupports> {
    this.#supports ??= this.#poolProvider().then((provider) => provider.supports());
    return this.#supports;
  }

  /** The provider's features as a set. */
  async features(): Promise<ReadonlySet<string>> {
    return new Set((await this.supports()).features);
  }

  /** Whether asymmetric keys are published (the capability, or its default). */
  get publishesJwks(): boolean {
    return this.caps.publishesJwks ?? this.caps.keys.some((spec) => klassOf(spec) === "asym");
  }

  /** A listing as the test may compare it: whole for a fresh provider, the test's own kids for a shared one. */
  own(kids: readonly string[]): string[] {
    return this.shared ? kids.filter((kid) => this.#testKids.has(kid)) : [...kids];
  }

  /** The JWKs of a set that belong to the test's own kids (all of them with a fresh provider). */
  ownJwks(set: Jwks): PublicJwk[] {
    return this.shared ? set.keys.filter((jwk) => this.#testKids.has(jwk.kid.split(".")[0]!)) : [...set.keys];
  }

  /** A kid for `importKey` that no earlier run on a shared backend can have taken. */
  uniqueKid(label: string): string {
    return `${label}-${randomSuffix()}`;
  }

  /** One key per spec and policy, made once (labelled, tagged) and never changed by the tests that use it. */
  pooled(spec: KeySpec, policy: ExportPolicy, variant = ""): Promise<PooledKey> {
    const key = JSON.stringify([spec, policy, variant]);
    let entry = this.#pool.get(key);
    if (entry === undefined) {
      entry = (async () => {
        const provider = this.#track(await this.#poolProvider(), false);
        const ref = await provider.createKey({
          ...spec,
          exportPolicy: policy,
          label: "conformance",
          tags: { suite: "testkit" },
        });
        return { provider, ref };
      })();
      this.#pool.set(key, entry);
      entry.catch(() => this.#pool.delete(key));
    }
    return entry;
  }

  /**
   * The key the operations run on for an algorithm: the spec with its algorithm's default uses, under
   * {@link operationsPolicy}, rotated once (version 2 is the primary; version 1 is still live).
   */
  rotated(spec: KeySpec): Promise<RotatedKey> {
    const base = withDefaultUses(spec);
    const key = JSON.stringify(base);
    let entry = this.#rotated.get(key);
    if (entry === undefined) {
      entry = (async () => {
        const { provider, ref } = await this.pooled(base, this.operationsPolicy);
        const v2 = await provider.rotateKey(ref.kid);
        return { provider, v1: ref, v2 };
      })();
      this.#rotated.set(key, entry);
      entry.catch(() => this.#rotated.delete(key));
    }
    return entry;
  }

  /**
   * Another kid of the same algorithm as {@link rotated}'s, on the same provider, with the default
   * uses: a key under another export policy where there is one.
   */
  sibling(spec: KeySpec): Promise<PooledKey> {
    const base = withDefaultUses(spec);
    const other = this.caps.exportPolicies.find((policy) => policy !== this.operationsPolicy);
    return other === undefined
      ? this.pooled(base, this.operationsPolicy, "sibling")
      : this.pooled(base, other);
  }

  /** The first spec of each algorithm (opaque specs left out): what the key operations run on. */
  operationSpecs(): { readonly alg: KeyAlg; readonly spec: KeySpec }[] {
    const seen = new Map<KeyAlg, KeySpec>();
    for (const spec of this.caps.keys) {
      if (klassOf(spec) === "opaque") continue;
      const alg = algOf(spec);
      if (!seen.has(alg)) seen.set(alg, spec);
    }
    return [...seen].map(([alg, spec]) => ({ alg, spec }));
  }

  async #make(): Promise<KeyProvider> {
    const provider = await this.#factory();
    if (!this.#made.has(provider)) this.#made.set(provider, new Set());
    return provider;
  }

  #sharedProvider(): Promise<KeyProvider> {
    this.#shared ??= this.#make();
    return this.#shared;
  }

  /** Pooled keys live on the shared provider, or on one provider of their own in fresh mode. */
  #poolProvider(): Promise<KeyProvider> {
    return this.#sharedProvider();
  }

  /** A view of the provider whose createKey and importKey record the kids they return. */
  #track(provider: KeyProvider, forTest: boolean): KeyProvider {
    const made = this.#made.get(provider)!;
    const record = (ref: KeyRef): KeyRef => {
      made.add(ref.kid);
      if (forTest) this.#testKids.add(ref.kid);
      return ref;
    };
    const view = new Proxy(provider, {
      get: (target, property) => {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        if (property === "createKey" || property === "importKey") {
          return async (...args: unknown[]) =>
            record(await (value as (...a: unknown[]) => Promise<KeyRef>).apply(target, args));
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
    this.#raw.set(view, provider);
    return view;
  }
}
