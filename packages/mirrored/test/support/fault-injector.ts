/**
 * A stand-in for the testkit's fault-injecting wrapper (`createFaultInjector` of
 * `@keyprovider/testkit`), with the same calls, until that lands on the contract branch.
 */
import { ProviderUnavailableError, type KeyProvider } from "@keyprovider/core";

export const KEY_PROVIDER_METHODS = [
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
] as const;
export type KeyProviderMethod = (typeof KEY_PROVIDER_METHODS)[number];
export type FaultTarget = KeyProviderMethod | readonly KeyProviderMethod[] | "*";

export interface FaultInjector extends KeyProvider {
  readonly target: KeyProvider;
  fail(
    target: FaultTarget,
    error?: Error | ((method: KeyProviderMethod) => Error),
    options?: { times?: number },
  ): this;
  hang(target: FaultTarget, options?: { times?: number }): this;
  release(target?: FaultTarget): number;
  reset(target?: FaultTarget): this;
  calls(method?: KeyProviderMethod): number;
  hanging(method?: KeyProviderMethod): number;
}

type Fault =
  | { kind: "fail"; make: (method: KeyProviderMethod) => Error; remaining: number }
  | { kind: "hang"; remaining: number };

const methodsOf = (target: FaultTarget | undefined): readonly KeyProviderMethod[] =>
  target === undefined || target === "*"
    ? KEY_PROVIDER_METHODS
    : typeof target === "string"
      ? [target]
      : target;

export function createFaultInjector(provider: KeyProvider, options?: { name?: string }): FaultInjector {
  const faults = new Map<KeyProviderMethod, Fault[]>();
  const counts = new Map<KeyProviderMethod, number>();
  const hanging = new Set<{ method: KeyProviderMethod; release: () => void }>();
  const add = (target: FaultTarget, fault: () => Fault) => {
    for (const method of methodsOf(target)) faults.set(method, [...(faults.get(method) ?? []), fault()]);
  };
  const control = {
    target: provider,
    name: options?.name ?? provider.name,
    supports: () => provider.supports(),
    fail(
      target: FaultTarget,
      error?: Error | ((method: KeyProviderMethod) => Error),
      opts?: { times?: number },
    ) {
      const make =
        typeof error === "function"
          ? error
          : error === undefined
            ? (method: KeyProviderMethod) =>
                new ProviderUnavailableError(`${provider.name} is unreachable (${method})`, {
                  retryable: true,
                })
            : () => error;
      add(target, () => ({ kind: "fail", make, remaining: opts?.times ?? Number.POSITIVE_INFINITY }));
      return injector;
    },
    hang(target: FaultTarget, opts?: { times?: number }) {
      add(target, () => ({ kind: "hang", remaining: opts?.times ?? Number.POSITIVE_INFINITY }));
      return injector;
    },
    release(target?: FaultTarget) {
      const methods = methodsOf(target);
      let released = 0;
      for (const entry of [...hanging]) {
        if (!methods.includes(entry.method)) continue;
        hanging.delete(entry);
        entry.release();
        released += 1;
      }
      return released;
    },
    reset(target?: FaultTarget) {
      for (const method of methodsOf(target)) faults.delete(method);
      return injector;
    },
    calls(method?: KeyProviderMethod) {
      return method === undefined
        ? [...counts.values()].reduce((a, b) => a + b, 0)
        : (counts.get(method) ?? 0);
    },
    hanging(method?: KeyProviderMethod) {
      return [...hanging].filter((entry) => method === undefined || entry.method === method).length;
    },
  };
  const wrapped = Object.fromEntries(
    KEY_PROVIDER_METHODS.map((method) => [
      method,
      async (...args: unknown[]) => {
        counts.set(method, (counts.get(method) ?? 0) + 1);
        const queue = faults.get(method) ?? [];
        const fault = queue[0];
        if (fault !== undefined) {
          fault.remaining -= 1;
          if (fault.remaining <= 0) queue.shift();
          if (fault.kind === "fail") throw fault.make(method);
          const signal = args
            .map((arg) => (arg as { signal?: unknown } | undefined)?.signal)
            .find((value): value is AbortSignal => value instanceof AbortSignal);
          await new Promise<void>((resolve, reject) => {
            const entry = { method, release: resolve };
            hanging.add(entry);
            signal?.addEventListener(
              "abort",
              () => {
                hanging.delete(entry);
                reject(signal.reason as Error);
              },
              { once: true },
            );
          });
        }
        return (provider as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(
          ...args,
        );
      },
    ]),
  );
  const injector = Object.assign(Object.create(null) as object, wrapped, control) as unknown as FaultInjector;
  return injector;
}
