import { dirname, resolve } from "node:path";
import {
  InvalidConfigError,
  NotSupportedError,
  ProviderFeature,
  createRegistry,
  quoteForMessage,
  type KeyProvider,
  type ProviderDefinition,
} from "@keyprovider/core";
import {
  discoverInstalledProviders,
  loadConfig,
  parseConfig,
  type DiscoveryProblem,
  type Environment,
  type LoadedConfig,
} from "@keyprovider/core/node";
import { UsageError } from "./arguments.js";

/** The global options that choose the provider. */
export interface ProviderSelection {
  readonly config: string | undefined;
  readonly provider: string | undefined;
  readonly options: string | undefined;
}

/**
 * Where the command runs: the application's directory (or below it), its environment, and the
 * providers to use instead of discovering the installed ones, if given.
 */
export interface Place {
  readonly cwd: string;
  readonly env: Environment;
  readonly providers: readonly ProviderDefinition[] | undefined;
}

/** A provider the command can use, with the package it came from when it was discovered. */
export interface AvailableProvider {
  readonly definition: ProviderDefinition;
  readonly packageName: string | undefined;
  readonly packageVersion: string | undefined;
}

/**
 * The configuration the command line selects: `--provider NAME [--options JSON]`, which get the
 * same checks as a config file (literal secrets refused, `{ "$env": "NAME" }` read), or the file
 * `--config` names, or the one `KEYPROVIDER_CONFIG` names, or the nearest `keyprovider.config.json`.
 */
export async function selectConfig(selection: ProviderSelection, place: Place): Promise<LoadedConfig> {
  const { config, provider, options } = selection;
  if (options !== undefined && provider === undefined) {
    throw new UsageError("--options goes with --provider NAME: the options of that provider");
  }
  if (provider === undefined) {
    return loadConfig({ cwd: place.cwd, env: place.env, ...(config === undefined ? {} : { path: config }) });
  }
  if (config !== undefined) {
    throw new UsageError("--config and --provider are alternatives: name a config file, or a provider");
  }
  let document: unknown = { provider };
  if (options !== undefined) {
    try {
      document = { provider, options: JSON.parse(options) as unknown };
    } catch {
      // The text may hold a secret however it is broken, so not a character of it is repeated.
      throw new InvalidConfigError(
        "invalid_json",
        "--options",
        `--options is not valid JSON; give one JSON object in single quotes, such as --options '{"directory":"keys","kek":{"passphrase":{"$env":"KEK_PASSPHRASE"}}}'`,
      );
    }
  }
  return parseConfig(document, {
    source: options === undefined ? "--provider" : "--options",
    env: place.env,
  });
}

/**
 * The providers given to `runKeyprovider`, or else those the application at `cwd` (the nearest
 * package.json upward) has installed. Outside an application there are none to find, which the
 * message says in the command's terms.
 */
export async function installedProviders(
  place: Place,
  onInvalid: (problem: DiscoveryProblem) => void,
): Promise<readonly AvailableProvider[]> {
  if (place.providers !== undefined) {
    return place.providers.map((definition) => ({
      definition,
      packageName: undefined,
      packageVersion: undefined,
    }));
  }
  try {
    return await discoverInstalledProviders({ cwd: place.cwd, onInvalid });
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new TypeError(
      `keyprovider uses the providers installed in the application it runs in, and found none: ${error.message.replace(/; pass the application's directory as \{ cwd \}$/, "")}; run it in the application's directory`,
      { cause: error },
    );
  }
}

/**
 * Build the selected provider from the installed ones, as `createFromConfig` does. A provider
 * refusing its options with a `TypeError` or `RangeError` (an unknown or ill-typed option) is a
 * configuration error, reported as `InvalidConfigError` naming where the options came from.
 */
export async function openProvider(
  config: LoadedConfig,
  place: Place,
  onInvalid: (problem: DiscoveryProblem) => void,
): Promise<KeyProvider> {
  const installed = await installedProviders(place, onInvalid);
  const registry = createRegistry({ providers: installed.map((entry) => entry.definition) });
  try {
    // Relative paths follow the config file, or the directory the command runs in for --options.
    const baseDirectory = resolve(config.path === undefined ? place.cwd : dirname(config.path));
    return await registry.create(config.provider, config.options, { baseDirectory });
  } catch (error) {
    if (error instanceof TypeError || error instanceof RangeError) {
      throw new InvalidConfigError(
        "invalid_shape",
        config.source,
        `The options of provider ${quoteForMessage(config.provider)} from ${config.source} were refused: ${error.message}`,
        { member: "options", cause: error },
      );
    }
    throw error;
  }
}

/** What a command does to the key store. */
export type Access = "read" | "write";

/**
 * Every command is its own process, so a provider that keeps keys in memory would forget a created
 * key before the next command runs, and would answer every read with nothing. Such a provider is
 * refused with a message naming providers that persist. A remote provider (a JWK Set fetched over
 * HTTP) can be read but not written. The signal is the provider's own `supports().features`:
 * `persist` and `remote`.
 */
export function assertUsableFromShell(provider: KeyProvider, config: LoadedConfig, access: Access): void {
  const features: readonly string[] = provider.supports().features;
  if (features.includes(ProviderFeature.PERSIST)) return;
  const named = `${quoteForMessage(config.provider)}${config.provider === provider.name ? "" : ` (${provider.name})`}`;
  const persisting =
    'configure one that persists keys: "file" (@keyprovider/file, an encrypted key directory) or "aws-kms" (@keyprovider/aws-kms)';
  if (features.includes(ProviderFeature.REMOTE)) {
    if (access === "read") return;
    throw new NotSupportedError(
      `Provider ${named} reads keys from elsewhere and cannot change them from the shell; to create, rotate or destroy keys, ${persisting}`,
    );
  }
  throw new NotSupportedError(
    `Provider ${named} keeps keys in memory, so they are gone when this command exits: each keyprovider command is its own process. To keep keys between commands, ${persisting}`,
  );
}
