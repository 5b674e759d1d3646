import type { KeyProvider } from "./types.js";

const DEFINITION_BRAND: unique symbol = Symbol.for("keyprovider.provider-definition") as never;

/**
 * The registry API version this copy of `@keyprovider/core` implements. Definitions declare it as
 * `apiVersion`; the registry refuses others.
 *
 * @example
 * ```ts
 * defineProvider({ name: "MyKeyProvider", apiVersion: PROVIDER_API_VERSION, create });
 * ```
 */
export const PROVIDER_API_VERSION = 1;

const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

/**
 * What a composite provider gets to build its children from configuration.
 *
 * @example
 * ```ts
 * create: async (options, ctx) =>
 *   new MirroredKeyProvider(
 *     await ctx.create(options.primary.provider, options.primary.options),
 *     await ctx.create(options.secondary.provider, options.secondary.options),
 *   ),
 * ```
 */
export interface ProviderContext {
  /** Create another registered provider by name, as `registry.create` does (same `baseDirectory`). */
  create(name: string, options?: unknown): Promise<KeyProvider>;
  /**
   * The absolute directory that relative paths in the options are resolved against: the config
   * file's directory when the options come from `keyprovider.config.json`, so `"directory": "keys"`
   * names one place wherever the process runs. `undefined`: the process's working directory.
   */
  readonly baseDirectory: string | undefined;
}

/**
 * A provider as the registry knows it: a name, aliases and a factory. Made by
 * {@link defineProvider}; each provider package default-exports one. The type parameters carry the
 * literal name and aliases and the options type, so a registry built from definitions type-checks
 * `registry.create(name, options)`.
 *
 * @example
 * ```ts
 * import local from "@keyprovider/local";
 * local.name; // "LocalKeyProvider"
 * ```
 */
export interface ProviderDefinition<
  Name extends string = string,
  Alias extends string = string,
  Options = unknown,
  P extends KeyProvider = KeyProvider,
> {
  readonly name: Name;
  readonly aliases: readonly Alias[];
  readonly apiVersion: typeof PROVIDER_API_VERSION;
  create(options: Options, ctx: ProviderContext): P | Promise<P>;
}

/**
 * The argument of {@link defineProvider}.
 *
 * @example
 * ```ts
 * const input: ProviderDefinitionInput<"MyKeyProvider", readonly ["mine"], { region: string }, MyKeyProvider> = {
 *   name: "MyKeyProvider", aliases: ["mine"], apiVersion: 1,
 *   create: (options) => new MyKeyProvider(options),
 * };
 * ```
 */
export interface ProviderDefinitionInput<
  Name extends string,
  Aliases extends readonly string[],
  Options,
  P extends KeyProvider,
> {
  readonly name: Name;
  readonly aliases?: Aliases;
  readonly apiVersion: typeof PROVIDER_API_VERSION;
  create(options: Options, ctx: ProviderContext): P | Promise<P>;
}

/**
 * Declare a provider for the registry. The result is frozen and branded, so the registry and
 * `discoverProviders` can tell it from look-alike objects. Calling it has no side effects. The name
 * and aliases keep their literal types, so `createRegistry({ providers: [definition] })` knows them.
 *
 * @example
 * ```ts
 * import { defineProvider } from "@keyprovider/core";
 *
 * export default defineProvider({
 *   name: "MyKeyProvider",
 *   aliases: ["mine"],
 *   apiVersion: 1,
 *   create: (options: MyOptions) => new MyKeyProvider(options),
 * });
 * ```
 */
export function defineProvider<
  const Name extends string,
  const Aliases extends readonly string[] = readonly [],
  Options = unknown,
  P extends KeyProvider = KeyProvider,
>(
  input: ProviderDefinitionInput<Name, Aliases, Options, P>,
): ProviderDefinition<Name, Aliases[number], Options, P> {
  if (typeof input !== "object" || input === null) {
    throw new TypeError("defineProvider() takes an object: { name, aliases, apiVersion: 1, create }");
  }
  const { name, apiVersion } = input;
  const aliases: readonly string[] = input.aliases ?? [];
  const supported: number = PROVIDER_API_VERSION;
  assertProviderName(name, "name");
  if (!Array.isArray(aliases)) throw new TypeError("defineProvider(): aliases must be an array of names");
  aliases.forEach((alias, i) => assertProviderName(alias, `aliases[${i}]`));
  if (apiVersion !== supported) {
    throw new TypeError(
      `defineProvider(): apiVersion must be ${supported}, the version this @keyprovider/core implements`,
    );
  }
  if (typeof input.create !== "function") throw new TypeError("defineProvider(): create must be a function");
  const definition = {
    name,
    aliases: Object.freeze(
      [...new Set(aliases)].filter((alias) => alias !== name),
    ) as readonly Aliases[number][],
    apiVersion,
    create: (options: Options, ctx: ProviderContext) => input.create(options, ctx),
  };
  Object.defineProperty(definition, DEFINITION_BRAND, { value: PROVIDER_API_VERSION });
  return Object.freeze(definition);
}

/**
 * Whether `value` was made by `defineProvider` (from any copy of `@keyprovider/core`).
 *
 * @example
 * ```ts
 * const mod = await import("some-package");
 * if (isProviderDefinition(mod.default)) registry.register(mod.default);
 * ```
 */
export function isProviderDefinition(value: unknown): value is ProviderDefinition {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [DEFINITION_BRAND]?: unknown })[DEFINITION_BRAND] !== undefined
  );
}

/**
 * Why `value` cannot be registered, or `undefined` if it can.
 * @internal
 */
export function definitionProblem(value: unknown): string | undefined {
  if (!isProviderDefinition(value)) {
    return "it is not a provider definition made with defineProvider() from @keyprovider/core";
  }
  const brand = (value as unknown as { [DEFINITION_BRAND]: unknown })[DEFINITION_BRAND];
  if (brand !== PROVIDER_API_VERSION || value.apiVersion !== PROVIDER_API_VERSION) {
    return `it implements provider API version ${String(value.apiVersion)}, but this @keyprovider/core implements version ${PROVIDER_API_VERSION}; install versions of the two packages that match`;
  }
  return undefined;
}

function assertProviderName(value: unknown, field: string): asserts value is string {
  if (typeof value !== "string" || !NAME_PATTERN.test(value)) {
    throw new TypeError(
      `defineProvider(): ${field} must be a string of 1-64 letters, digits, ".", "_" or "-" starting with a letter`,
    );
  }
}
