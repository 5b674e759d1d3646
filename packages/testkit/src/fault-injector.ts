import {
  ProviderUnavailableError,
  describeType,
  type CallOptions,
  type DecryptOptions,
  type EncryptOptions,
  type ExportKeyOptions,
  type GetKeyOptions,
  type HkdfOptions,
  type ImportKeyOptions,
  type Jwk,
  type Jwks,
  type JwksOptions,
  type KeyInput,
  type KeyOperationOptions,
  type KeyProvider,
  type KeyRef,
  type KeySpec,
  type ListKeysOptions,
  type ProviderSupports,
  type PublicJwk,
  type RotateKeyOptions,
} from "@keyprovider/core";

/**
 * Every asynchronous method of `KeyProvider`: what a fault can be injected into, and the names of
 * the `keyprovider:<method>` tracing channels.
 *
 * @example
 * ```ts
 * for (const method of KEY_PROVIDER_METHODS) injector.fail(method);
 * ```
 */
export const KEY_PROVIDER_METHODS = Object.freeze([
  "createKey",
  "importKey",
  "rotateKey",
  "activateVersion",
  "destroyKey",
  "getKey",
  "exportKey",
  "listVersions",
  "listKeys",
  "getPublicJwk",
  "jwks",
  "sign",
  "verify",
  "encrypt",
  "decrypt",
  "deriveSharedSecret",
  "randomBytes",
  "hkdf",
] as const);

/**
 * The name of an asynchronous `KeyProvider` method.
 *
 * @example
 * ```ts
 * const method: KeyProviderMethod = "sign";
 * ```
 */
export type KeyProviderMethod = (typeof KEY_PROVIDER_METHODS)[number];

/**
 * Which calls a fault applies to: one method, several, or `"*"` for all of them.
 *
 * @example
 * ```ts
 * const reads: FaultTarget = ["getKey", "getPublicJwk", "jwks"];
 * ```
 */
export type FaultTarget = KeyProviderMethod | readonly KeyProviderMethod[] | "*";

/**
 * How long a fault lasts.
 *
 * @example
 * ```ts
 * injector.fail("sign", undefined, { times: 1 }); // only the next sign call fails
 * ```
 */
export interface FaultOptions {
  /** How many calls the fault takes, after which it is spent. Default: every call until `reset()`. */
  readonly times?: number;
}

/**
 * A `KeyProvider` that delegates every call to another one, except where a fault was injected: a
 * call can be made to fail with a given error, or to hang until its `signal` aborts (rejecting with
 * `signal.reason`) or the test releases it (then it proceeds to the provider). Faults are per
 * method, once (`{ times: 1 }`), a few times, or always, and apply in the order they were added.
 * Every call is counted, faulted or not.
 *
 * @example
 * ```ts
 * const injector = createFaultInjector(new LocalKeyProvider());
 * injector.fail("sign", new ProviderUnavailableError("KMS is down", { retryable: true }), { times: 1 });
 * await injector.sign(kid, data); // rejects with that error
 * await injector.sign(kid, data); // signs
 * injector.calls("sign"); // 2
 * ```
 */
export interface FaultInjector extends KeyProvider {
  /** The provider calls are delegated to. */
  readonly target: KeyProvider;
  /**
   * Make calls fail. `error` is thrown as is (an `Error`) or made per call (a function); the default
   * is a retryable `ProviderUnavailableError`, as a backend that cannot be reached gives.
   */
  fail(
    target: FaultTarget,
    error?: Error | ((method: KeyProviderMethod) => Error),
    options?: FaultOptions,
  ): this;
  /** Make calls hang until their `signal` aborts (rejecting with `signal.reason`) or `release()`. */
  hang(target: FaultTarget, options?: FaultOptions): this;
  /** Let hanging calls proceed to the provider; returns how many were released. */
  release(target?: FaultTarget): number;
  /** Remove the faults not yet spent (hanging calls stay until released or aborted). */
  reset(target?: FaultTarget): this;
  /** How many calls were made to a method (every method when omitted), faulted or not. */
  calls(method?: KeyProviderMethod): number;
  /** How many calls are hanging now. */
  hanging(method?: KeyProviderMethod): number;
}

/**
 * Options of {@link createFaultInjector}.
 *
 * @example
 * ```ts
 * const options: FaultInjectorOptions = { name: "FlakyKms" };
 * ```
 */
export interface FaultInjectorOptions {
  /** The wrapper's `name`. Default: the provider's, so errors and traces read the same. */
  readonly name?: string;
}

type Fault =
  | { readonly kind: "fail"; readonly make: (method: KeyProviderMethod) => Error; remaining: number }
  | { readonly kind: "hang"; remaining: number };

interface Hanging {
  readonly method: KeyProviderMethod;
  readonly release: () => void;
}

function methodsOf(target: FaultTarget | undefined, name: string): readonly KeyProviderMethod[] {
  if (target === undefined || target === "*") return KEY_PROVIDER_METHODS;
  const list = typeof target === "string" ? [target] : target;
  if (!Array.isArray(list))
    throw new TypeError(
      `${name}: the target must be a method name, a list of them or "*", got ${describeType(target)}`,
    );
  for (const method of list) {
    if (!(KEY_PROVIDER_METHODS as readonly string[]).includes(method as string)) {
      throw new TypeError(
        `${name}: ${describeType(method)} is not a KeyProvider method; known: ${KEY_PROVIDER_METHODS.join(", ")}`,
      );
    }
  }
  return list as readonly KeyProviderMethod[];
}

function timesOf(options: FaultOptions | undefined, name: string): number {
  const times = options?.times;
  if (times === undefined) return Number.POSITIVE_INFINITY;
  if (!Number.isInteger(times) || times < 1)
    throw new RangeError(`${name}: options.times must be a positive integer, got ${describeType(times)}`);
  return times;
}

function signalOf(options: unknown): AbortSignal | undefined {
  if (typeof options !== "object" || options === null) return undefined;
  const { signal } = options as { signal?: unknown };
  return signal instanceof AbortSignal ? signal : undefined;
}

class FaultInjectingProvider implements FaultInjector {
  readonly name: string;
  readonly target: KeyProvider;
  readonly #faults = new Map<KeyProviderMethod, Fault[]>();
  readonly #counts = new Map<KeyProviderMethod, number>();
  readonly #hanging = new Set<Hanging>();

  constructor(target: KeyProvider, name: string) {
    this.target = target;
    this.name = name;
  }

  fail(
    target: FaultTarget,
    error?: Error | ((method: KeyProviderMethod) => Error),
    options?: FaultOptions,
  ): this {
    const methods = methodsOf(target, "fail");
    if (error !== undefined && !(error instanceof Error) && typeof error !== "function") {
      throw new TypeError(
        `fail: error must be an Error or a function that makes one, got ${describeType(error)}`,
      );
    }
    const make =
      error === undefined
        ? (method: KeyProviderMethod) =>
            new ProviderUnavailableError(`${this.name}.${method} failed: a fault was injected`, {
              retryable: true,
            })
        : error instanceof Error
          ? () => error
          : error;
    const remaining = timesOf(options, "fail");
    for (const method of methods) this.#add(method, { kind: "fail", make, remaining });
    return this;
  }

  hang(target: FaultTarget, options?: FaultOptions): this {
    const methods = methodsOf(target, "hang");
    const remaining = timesOf(options, "hang");
    for (const method of methods) this.#add(method, { kind: "hang", remaining });
    return this;
  }

  release(target?: FaultTarget): number {
    const methods = methodsOf(target, "release");
    let released = 0;
    for (const call of [...this.#hanging]) {
      if (!methods.includes(call.method)) continue;
      this.#hanging.delete(call);
      call.release();
      released += 1;
    }
    return released;
  }

  reset(target?: FaultTarget): this {
    for (const method of methodsOf(target, "reset")) this.#faults.delete(method);
    return this;
  }

  calls(method?: KeyProviderMethod): number {
    if (method !== undefined) return this.#counts.get(methodsOf(method, "calls")[0]!) ?? 0;
    let total = 0;
    for (const count of this.#counts.values()) total += count;
    return total;
  }

  hanging(method?: KeyProviderMethod): number {
    let count = 0;
    for (const call of this.#hanging) if (method === undefined || call.method === method) count += 1;
    return count;
  }

  supports(): ProviderSupports {
    return this.target.supports();
  }

  createKey(spec: KeySpec, options?: CallOptions): Promise<KeyRef> {
    return this.#run("createKey", options, () => this.target.createKey(spec, options));
  }

  importKey(spec: KeySpec, material?: KeyInput, options?: ImportKeyOptions): Promise<KeyRef> {
    return this.#run("importKey", options, () => this.target.importKey(spec, material, options));
  }

  rotateKey(kid: string, options?: RotateKeyOptions): Promise<KeyRef> {
    return this.#run("rotateKey", options, () => this.target.rotateKey(kid, options));
  }

  activateVersion(kid: string, version: number, options?: CallOptions): Promise<KeyRef> {
    return this.#run("activateVersion", options, () => this.target.activateVersion(kid, version, options));
  }

  destroyKey(kid: string, version?: number, options?: CallOptions): Promise<boolean> {
    return this.#run("destroyKey", options, () => this.target.destroyKey(kid, version, options));
  }

  getKey(kid: string, version?: number, options?: GetKeyOptions): Promise<KeyRef> {
    return this.#run("getKey", options, () => this.target.getKey(kid, version, options));
  }

  exportKey(kid: string, options: ExportKeyOptions & { readonly format: "pem" }): Promise<string>;
  exportKey(kid: string, options: ExportKeyOptions & { readonly format: "der" }): Promise<Uint8Array>;
  exportKey(kid: string, options: ExportKeyOptions & { readonly format: "jwk" }): Promise<Jwk>;
  exportKey(kid: string, options: ExportKeyOptions): Promise<string | Uint8Array | Jwk> {
    return this.#run("exportKey", options, () =>
      this.target.exportKey(kid, options as ExportKeyOptions & { readonly format: "jwk" }),
    );
  }

  listVersions(kid: string, options?: CallOptions): Promise<number[]> {
    return this.#run("listVersions", options, () => this.target.listVersions(kid, options));
  }

  listKeys(options?: ListKeysOptions): Promise<string[]> {
    return this.#run("listKeys", options, () => this.target.listKeys(options));
  }

  getPublicJwk(kid: string, version?: number, options?: CallOptions): Promise<PublicJwk> {
    return this.#run("getPublicJwk", options, () => this.target.getPublicJwk(kid, version, options));
  }

  jwks(options?: JwksOptions): Promise<Jwks> {
    return this.#run("jwks", options, () => this.target.jwks(options));
  }

  sign(kid: string, data: Uint8Array, options?: KeyOperationOptions): Promise<Uint8Array> {
    return this.#run("sign", options, () => this.target.sign(kid, data, options));
  }

  verify(
    kid: string,
    data: Uint8Array,
    signature: Uint8Array,
    options?: KeyOperationOptions,
  ): Promise<boolean> {
    return this.#run("verify", options, () => this.target.verify(kid, data, signature, options));
  }

  encrypt(kid: string, plaintext: Uint8Array, options?: EncryptOptions): Promise<Uint8Array> {
    return this.#run("encrypt", options, () => this.target.encrypt(kid, plaintext, options));
  }

  decrypt(kid: string, ciphertext: Uint8Array, options?: DecryptOptions): Promise<Uint8Array> {
    return this.#run("decrypt", options, () => this.target.decrypt(kid, ciphertext, options));
  }

  deriveSharedSecret(
    kid: string,
    peerPublicKey: KeyInput,
    options?: KeyOperationOptions,
  ): Promise<Uint8Array> {
    return this.#run("deriveSharedSecret", options, () =>
      this.target.deriveSharedSecret(kid, peerPublicKey, options),
    );
  }

  randomBytes(n: number, options?: CallOptions): Promise<Uint8Array> {
    return this.#run("randomBytes", options, () => this.target.randomBytes(n, options));
  }

  hkdf(ikm: Uint8Array, options: HkdfOptions): Promise<Uint8Array> {
    return this.#run("hkdf", options, () => this.target.hkdf(ikm, options));
  }

  toString(): string {
    return `FaultInjector(${this.name})`;
  }

  #add(method: KeyProviderMethod, fault: Fault): void {
    const queue = this.#faults.get(method) ?? [];
    // Each method spends its own copy of the count.
    queue.push({ ...fault });
    this.#faults.set(method, queue);
  }

  #take(method: KeyProviderMethod): Fault | undefined {
    const queue = this.#faults.get(method);
    const fault = queue?.[0];
    if (fault === undefined) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) queue!.shift();
    return fault;
  }

  async #run<T>(method: KeyProviderMethod, options: unknown, call: () => Promise<T>): Promise<T> {
    this.#counts.set(method, (this.#counts.get(method) ?? 0) + 1);
    const fault = this.#take(method);
    if (fault?.kind === "fail") throw fault.make(method);
    if (fault?.kind === "hang") await this.#hang(method, signalOf(options));
    return call();
  }

  #hang(method: KeyProviderMethod, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = () => {
        this.#hanging.delete(call);
        reject(signal!.reason as Error);
      };
      const call: Hanging = {
        method,
        release: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.#hanging.add(call);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/**
 * Wrap a provider in a {@link FaultInjector}: a `KeyProvider` that behaves exactly like it until a
 * test injects faults. For testing what sits on top of a provider (a mirror's failover, retries,
 * timeouts, a JWKS endpoint's 503) against failures a real backend has.
 *
 * @example
 * ```ts
 * import { createFaultInjector } from "@keyprovider/testkit";
 * import { ProviderUnavailableError } from "@keyprovider/core";
 *
 * const primary = createFaultInjector(new LocalKeyProvider());
 * primary.fail("*", () => new ProviderUnavailableError("region down", { retryable: true }));
 * primary.hang("jwks"); // until the caller's signal aborts, or primary.release("jwks")
 * ```
 */
export function createFaultInjector(provider: KeyProvider, options?: FaultInjectorOptions): FaultInjector {
  if (typeof provider !== "object" || provider === null || typeof provider.supports !== "function") {
    throw new TypeError(`createFaultInjector: provider must be a KeyProvider, got ${describeType(provider)}`);
  }
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(`createFaultInjector: options must be an object, got ${describeType(options)}`);
  }
  const name = options?.name ?? provider.name;
  if (typeof name !== "string" || name.length === 0)
    throw new TypeError("createFaultInjector: options.name must be a non-empty string");
  return new FaultInjectingProvider(provider, name);
}
