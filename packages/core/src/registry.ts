import { InvalidProviderError, ProviderNotFoundError, quoteForMessage } from "./errors.js";
import { definitionProblem, type ProviderContext, type ProviderDefinition } from "./provider-definition.js";
import type { KeyProvider } from "./types.js";

/**
 * The first-party providers, so a missing one can be named with the package that provides it.
 * `planned` marks a provider whose package is not released yet: the error says so instead of
 * suggesting an install that cannot work.
 *
 * @example
 * ```ts
 * FIRST_PARTY_PROVIDERS.find((p) => p.aliases.includes("local"))?.packageName; // "@keyprovider/local"
 * ```
 */
export const FIRST_PARTY_PROVIDERS: readonly {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly packageName: string;
  readonly planned?: true;
}[] = Object.freeze([
  { name: "InMemoryKeyProvider", aliases: ["inmemory"], packageName: "@keyprovider/inmemory" },
  { name: "LocalKeyProvider", aliases: ["local"], packageName: "@keyprovider/local" },
  { name: "AwsKmsKeyProvider", aliases: ["aws-kms"], packageName: "@keyprovider/aws-kms" },
  { name: "RemoteJwksKeyProvider", aliases: ["remote-jwks"], packageName: "@keyprovider/remote-jwks" },
  { name: "MirroredKeyProvider", aliases: ["mirrored"], packageName: "@keyprovider/mirrored" },
  { name: "FileKeyProvider", aliases: ["file"], packageName: "@keyprovider/file" },
]);

/**
 * Loads a provider package on first use. Write it in application code so bundlers see the import.
 *
 * @example
 * ```ts
 * const loader: ProviderLoader = () => import("@keyprovider/local");
 * ```
 */
export type ProviderLoader = () => Promise<ProviderDefinition | { readonly default: ProviderDefinition }>;

/**
 * Options of {@link createRegistry}.
 *
 * @example
 * ```ts
 * const options: RegistryOptions = {
 *   providers: [inmemory],
 *   loaders: { local: () => import("@keyprovider/local") },
 * };
 * ```
 */
export interface RegistryOptions<
  Definitions extends readonly ProviderDefinition[] = readonly ProviderDefinition[],
  Loaders extends Readonly<Record<string, ProviderLoader>> = Readonly<Record<string, ProviderLoader>>,
> {
  /** Definitions available at once. */
  readonly providers?: Definitions;
  /** Names whose package is imported only when first asked for. */
  readonly loaders?: Loaders;
}

/**
 * What a registry knows about each name: the options its provider takes and the provider it makes.
 *
 * @example
 * ```ts
 * type Known = RegistryEntries<readonly [typeof local], {}>;
 * // { LocalKeyProvider: { options: LocalKeyProviderOptions | undefined; provider: LocalKeyProvider }; local: … }
 * ```
 */
export type RegistryEntries<
  Definitions extends readonly ProviderDefinition[],
  Loaders extends Readonly<Record<string, ProviderLoader>>,
> = {
  readonly [D in Definitions[number] as D["name"] | D["aliases"][number]]: D extends ProviderDefinition<
    string,
    string,
    infer Options,
    infer P
  >
    ? { readonly options: Options; readonly provider: P }
    : never;
} & {
  readonly [N in keyof Loaders]: { readonly options: unknown; readonly provider: KeyProvider };
};

/** Entries of a registry whose names are not known statically. @internal */
type AnyEntries = Readonly<Record<string, { readonly options: unknown; readonly provider: KeyProvider }>>;

/**
 * Providers by name, the way Python entry points work: canonical class names plus short aliases.
 * Built from definitions, it knows their names and options types: `create("local", options)` is
 * type-checked and an unknown name does not compile (and is still `ProviderNotFoundError` at run
 * time, for names that come from configuration).
 *
 * @example
 * ```ts
 * const provider = await registry.create("local");
 * ```
 */
export interface ProviderRegistry<Entries extends object = AnyEntries> {
  /** Add a definition under its name and aliases. Re-registering the same definition is a no-op. */
  register(definition: ProviderDefinition): void;
  /** Whether `get(name)` can succeed without throwing `ProviderNotFoundError`. */
  has(name: string): boolean;
  /** Every name `get` accepts (names, aliases and loader names), sorted. */
  list(): string[];
  /** The definition for a name or alias, loading its package if needed. */
  get(name: keyof Entries & string): Promise<ProviderDefinition>;
  /**
   * Create a provider by name or alias with its options. `context.baseDirectory` is what relative
   * paths in the options are resolved against (see {@link ProviderContext}); `createFromConfig`
   * passes the config file's directory.
   */
  create<N extends keyof Entries & string>(
    name: N,
    options?: Entries[N] extends { readonly options: infer O } ? O : unknown,
    context?: CreateContext,
  ): Promise<Entries[N] extends { readonly provider: infer P } ? P : KeyProvider>;
}

/**
 * The third argument of `registry.create`.
 *
 * @example
 * ```ts
 * await registry.create("file", { directory: "keys", kek }, { baseDirectory: "/etc/my-service" });
 * ```
 */
export interface CreateContext {
  /** An absolute directory; relative paths in the options (and in nested providers' options) are resolved against it. */
  readonly baseDirectory?: string;
}

const MAX_COMPOSITION_DEPTH = 8;

/**
 * Make a registry of providers, eager (`providers`) or lazy (`loaders`).
 *
 * @example
 * ```ts
 * import { createRegistry } from "@keyprovider/core";
 * import inmemory from "@keyprovider/inmemory";
 *
 * const registry = createRegistry({
 *   providers: [inmemory],
 *   loaders: { local: () => import("@keyprovider/local") },
 * });
 * const provider = await registry.create("inmemory");
 * ```
 */
export function createRegistry<
  const Definitions extends readonly ProviderDefinition[] = readonly [],
  Loaders extends Readonly<Record<string, ProviderLoader>> = Readonly<Record<never, ProviderLoader>>,
>(
  options: RegistryOptions<Definitions, Loaders> = {},
): ProviderRegistry<
  [Definitions[number]] extends [never]
    ? keyof Loaders extends never
      ? AnyEntries
      : RegistryEntries<Definitions, Loaders>
    : RegistryEntries<Definitions, Loaders>
> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("createRegistry() takes { providers?, loaders? }");
  }
  const byName = new Map<string, ProviderDefinition>();
  const loaders = new Map<string, ProviderLoader>();
  const loading = new Map<string, Promise<ProviderDefinition>>();

  const register = (definition: ProviderDefinition): void => {
    const problem = definitionProblem(definition);
    if (problem !== undefined) {
      throw new InvalidProviderError(`Cannot register this provider: ${problem}`);
    }
    const names = [definition.name, ...definition.aliases];
    for (const name of names) {
      const existing = byName.get(name);
      if (existing !== undefined && existing !== definition) {
        throw new InvalidProviderError(
          `Cannot register ${definition.name}: the name ${quoteForMessage(name)} already belongs to ${existing.name}`,
        );
      }
    }
    for (const name of names) byName.set(name, definition);
  };

  const known = (): string[] => [...new Set([...byName.keys(), ...loaders.keys()])].sort();

  const notFound = (name: string, cause?: unknown): ProviderNotFoundError => {
    const firstParty = FIRST_PARTY_PROVIDERS.find(
      (entry) => entry.name === name || entry.aliases.includes(name),
    );
    const names = known();
    const lower = name.toLowerCase();
    const similar = names.filter((candidate) => candidate.toLowerCase() === lower);
    const parts = [
      cause === undefined
        ? `No key provider named ${quoteForMessage(name)} is registered.`
        : `The loader for key provider ${quoteForMessage(name)} failed.`,
      similar.length > 0 ? `Did you mean ${similar.map((s) => quoteForMessage(s)).join(" or ")}?` : "",
      `Known: ${names.length > 0 ? names.join(", ") : "(none)"}.`,
      firstParty === undefined
        ? ""
        : firstParty.planned === true
          ? `${firstParty.name} is planned for ${firstParty.packageName}, which is not released yet.`
          : `Install ${firstParty.packageName} and pass it to createRegistry({ providers }) or loaders, or call discoverProviders() from @keyprovider/core/node.`,
    ];
    return new ProviderNotFoundError(name, names, parts.filter(Boolean).join(" "), {
      cause,
      ...(firstParty === undefined ? {} : { packageName: firstParty.packageName }),
    });
  };

  const get = async (name: string): Promise<ProviderDefinition> => {
    if (typeof name !== "string") throw new TypeError("provider name must be a string");
    const registered = byName.get(name);
    if (registered !== undefined) return registered;
    const loader = loaders.get(name);
    if (loader === undefined) throw notFound(name);
    let pending = loading.get(name);
    if (pending === undefined) {
      pending = load(name, loader);
      loading.set(name, pending);
      // A failed load may succeed later (for example after installing the package).
      pending.catch(() => loading.delete(name));
    }
    return pending;
  };

  const load = async (name: string, loader: ProviderLoader): Promise<ProviderDefinition> => {
    let loaded: unknown;
    try {
      loaded = await loader();
    } catch (err) {
      throw notFound(name, err);
    }
    const definition =
      typeof loaded === "object" && loaded !== null && "default" in loaded ? loaded.default : loaded;
    const problem = definitionProblem(definition);
    if (problem !== undefined) {
      throw new InvalidProviderError(
        `The loader for ${quoteForMessage(name)} returned a module whose default export is unusable: ${problem}`,
      );
    }
    const def = definition as ProviderDefinition;
    if (byName.get(def.name) !== def) register(def);
    // The application chose this loader name, so it resolves to what the loader returned.
    byName.set(name, def);
    return def;
  };

  const createAt = async (
    depth: number,
    name: string,
    providerOptions: unknown,
    baseDirectory: string | undefined,
  ): Promise<KeyProvider> => {
    if (depth > MAX_COMPOSITION_DEPTH) {
      throw new InvalidProviderError(
        `Providers are nested more than ${MAX_COMPOSITION_DEPTH} deep while creating ${quoteForMessage(name)}; does a composite provider's configuration contain itself?`,
      );
    }
    const definition = await get(name);
    const ctx: ProviderContext = {
      create: (childName, childOptions) => createAt(depth + 1, childName, childOptions, baseDirectory),
      baseDirectory,
    };
    return definition.create(providerOptions, ctx);
  };

  for (const definition of options.providers ?? []) register(definition);
  for (const [name, loader] of Object.entries(options.loaders ?? {})) {
    if (typeof loader !== "function") {
      throw new TypeError(
        `createRegistry(): loaders[${quoteForMessage(name)}] must be a function returning import(...)`,
      );
    }
    loaders.set(name, loader);
  }

  return Object.freeze({
    register,
    has: (name: string) => byName.has(name) || loaders.has(name),
    list: known,
    get,
    create: (name: string, providerOptions?: unknown, context?: CreateContext) => {
      const baseDirectory = context?.baseDirectory;
      if (
        baseDirectory !== undefined &&
        (typeof baseDirectory !== "string" || !isAbsolutePath(baseDirectory))
      ) {
        return Promise.reject(
          new TypeError(
            `registry.create(): context.baseDirectory must be an absolute path, got ${quoteForMessage(baseDirectory)}`,
          ),
        );
      }
      return createAt(0, name, providerOptions, baseDirectory);
    },
  }) as never;
}

/** POSIX `/…` or Windows `C:\…`/`\\server\…`, without importing node:path (core runs anywhere). */
function isAbsolutePath(path: string): boolean {
  return path.startsWith("/") || /^[A-Za-z]:[\\/]/.test(path) || path.startsWith("\\\\");
}
