import { dirname, resolve } from "node:path";
import { createRegistry } from "../registry.js";
import type { KeyProvider } from "../types.js";
import { loadConfig, type LoadConfigOptions, type LoadedConfig } from "./config.js";
import { discoverProviders, type DiscoverProvidersOptions } from "./discover-providers.js";

/**
 * Options of {@link createFromConfig}: where to find the configuration ({@link LoadConfigOptions}),
 * or the configuration itself, and how discovery treats invalid provider packages.
 *
 * @example
 * ```ts
 * await createFromConfig({ cwd: appDir, env: { KEK_PASSPHRASE: passphrase } });
 * ```
 */
export interface CreateFromConfigOptions extends LoadConfigOptions {
  /** A configuration already loaded or parsed ({@link parseConfig}); no file is read then. */
  readonly config?: LoadedConfig;
  /** Passed to {@link discoverProviders}: without it, an invalid provider package throws. */
  readonly onInvalid?: DiscoverProvidersOptions["onInvalid"];
}

/**
 * Build the provider the application's configuration names: {@link loadConfig} (or `config`),
 * then {@link discoverProviders} from `cwd` — the application, which is not necessarily where the
 * config file is (a monorepo root, a mounted `/etc/keyprovider/`) — then
 * `createRegistry({ providers }).create(config.provider, config.options)`. A composite provider
 * builds the providers nested in its options from the same registry.
 *
 * Errors: `InvalidConfigError` for the configuration, `ProviderNotFoundError` (naming the package
 * to install) when no installed provider has that name, and whatever the provider's own option
 * checks throw. For the registry or the configuration themselves, compose the three calls.
 *
 * @example
 * ```ts
 * import { createFromConfig } from "@keyprovider/core/node";
 *
 * // keyprovider.config.json: { "provider": "local" }
 * const provider = await createFromConfig();
 * const ref = await provider.createKey({ klass: "asym", alg: "ED25519", uses: ["sign"], exportPolicy: "none" });
 * ```
 */
export async function createFromConfig(options: CreateFromConfigOptions = {}): Promise<KeyProvider> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("createFromConfig() takes { cwd?, path?, env?, config?, onInvalid? }");
  }
  const { config: given, onInvalid, ...where } = options;
  if (given !== undefined && (where.path !== undefined || where.env !== undefined)) {
    throw new TypeError("createFromConfig(): pass either config or the path and env to load one from");
  }
  const config = given ?? (await loadConfig(where));
  const providers = await discoverProviders({
    ...(where.cwd === undefined ? {} : { cwd: where.cwd }),
    ...(onInvalid === undefined ? {} : { onInvalid }),
  });
  // Relative paths in a config file are the file's, not the shell's: "directory": "keys" is one store.
  const baseDirectory = config.path === undefined ? where.cwd : dirname(config.path);
  return createRegistry({ providers }).create(
    config.provider,
    config.options,
    baseDirectory === undefined ? {} : { baseDirectory: resolve(baseDirectory) },
  );
}
