export { discoverInstalledProviders, discoverProviders } from "./node/discover-providers.js";
export type {
  DependencyField,
  DiscoverProvidersOptions,
  DiscoveryProblem,
  InstalledProvider,
  ProviderManifest,
} from "./node/discover-providers.js";
export { CONFIG_FILE_NAME, CONFIG_PATH_VARIABLE, loadConfig, parseConfig } from "./node/config.js";
export type { Environment, LoadConfigOptions, LoadedConfig, ParseConfigOptions } from "./node/config.js";
export { assertNoLiteralSecrets } from "./node/literal-secrets.js";
export { createFromConfig } from "./node/create-from-config.js";
export type { CreateFromConfigOptions } from "./node/create-from-config.js";
export { writeFileAtomically } from "./node/write-file-atomically.js";
