import { KeyUnavailableError, parseVersionedKid, type Jwks, type KeyProvider } from "@keyprovider/core";
import { LocalKeyProvider } from "@keyprovider/local";
import {
  MirroredKeyProvider,
  type FailoverEvent,
  type MirrorFailedEvent,
  type MirroredKeyProviderOptions,
} from "../../src/index.js";
import { createFaultInjector, type FaultInjector } from "@keyprovider/testkit";

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A mirror over two fault-injecting wrappers, with the events it emitted. */
export interface Pair {
  readonly primary: FaultInjector;
  readonly secondary: FaultInjector;
  readonly mirrored: MirroredKeyProvider;
  readonly failovers: FailoverEvent[];
  readonly mirrorFailures: MirrorFailedEvent[];
}

export function pair(
  options?: MirroredKeyProviderOptions,
  sides: { primary?: KeyProvider; secondary?: KeyProvider } = {},
): Pair {
  const primary = createFaultInjector(sides.primary ?? new LocalKeyProvider());
  const secondary = createFaultInjector(sides.secondary ?? new LocalKeyProvider());
  const mirrored = new MirroredKeyProvider(primary, secondary, options);
  const failovers: FailoverEvent[] = [];
  const mirrorFailures: MirrorFailedEvent[] = [];
  mirrored.on("failover", (event) => failovers.push(event));
  mirrored.on("mirrorFailed", (event) => mirrorFailures.push(event));
  return { primary, secondary, mirrored, failovers, mirrorFailures };
}

export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to be rejected, but it resolved");
}

/**
 * A provider whose keys can be disabled as in a KMS: a disabled kid is left out of `jwks()` and
 * every call naming it rejects with `KeyUnavailableError`.
 */
export function withDisabling(provider: KeyProvider): KeyProvider & { disable(kid: string): void } {
  const disabled = new Set<string>();
  return new Proxy(provider, {
    get(target, property, receiver) {
      if (property === "disable") return (kid: string) => disabled.add(kid);
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== "function") return value;
      if (property === "jwks") {
        return async (...args: unknown[]) => {
          const set = await (value as (...a: unknown[]) => Promise<Jwks>).apply(target, args);
          return { keys: set.keys.filter((jwk) => !disabled.has(parseVersionedKid(jwk.kid).kid)) };
        };
      }
      return (...args: unknown[]) => {
        if (typeof args[0] === "string" && disabled.has(args[0])) {
          return Promise.reject(new KeyUnavailableError(args[0], undefined, "disabled"));
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  }) as KeyProvider & { disable(kid: string): void };
}
