export { discoverProviders } from "./node/discover-providers.js";
export type {
  DependencyField,
  DiscoverProvidersOptions,
  DiscoveryProblem,
  ProviderManifest,
} from "./node/discover-providers.js";
