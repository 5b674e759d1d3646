import { describeType, type KeyProvider } from "@keyprovider/core";

/**
 * Assert that `value` is a provider with the methods a JWT function calls, or `TypeError`.
 *
 * @internal
 */
export function assertProvider<M extends keyof KeyProvider>(
  value: unknown,
  caller: string,
  methods: readonly M[],
): asserts value is Pick<KeyProvider, M> {
  const missing =
    typeof value === "object" && value !== null
      ? methods.filter((method) => typeof (value as Record<string, unknown>)[method] !== "function")
      : methods;
  if (missing.length > 0) {
    throw new TypeError(
      `${caller}: the provider must be a KeyProvider (missing ${missing.join(", ")}), got ${describeType(value)}`,
    );
  }
}
