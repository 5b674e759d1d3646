import { defineProvider } from "@keyprovider/core";
import { RemoteJwksKeyProvider, type RemoteJwksKeyProviderOptions } from "./remote-jwks-key-provider.js";

export { RemoteJwksKeyProvider } from "./remote-jwks-key-provider.js";
export type {
  AlgorithmOption,
  RemoteJwkSet,
  RemoteJwksEvents,
  RemoteJwksKeyProviderOptions,
  RemoteJwtVerification,
} from "./remote-jwks-key-provider.js";
export type { RemoteJwksKeyResolver, TokenHeader } from "./key-resolver.js";
export { RemoteJwksSource } from "./jwks-source.js";
export type { LookupOptions, RefreshOptions, RemoteJwksStatus, RemoteKeySelector } from "./jwks-source.js";
export type { KeyPurpose, RemoteJwk, RemoteKey, SkippedKeys } from "./key-set.js";
export type {
  CachedJwks,
  Clock,
  FetchFunction,
  FetchInit,
  FetchResponse,
  JwksCacheStore,
  RemoteJwksChange,
  RemoteJwksErrorContext,
  RemoteJwksSourceOptions,
  RemoteJwksStaleEvent,
} from "./options.js";

/**
 * The registry definition of {@link RemoteJwksKeyProvider}: name `RemoteJwksKeyProvider`, alias
 * `remote-jwks`. Its options are the provider's one options object (`{ jwksUrl }` or `{ issuer }`
 * plus settings), so a configuration file can name it.
 *
 * @example
 * ```ts
 * import { createRegistry } from "@keyprovider/core";
 * import remoteJwks from "@keyprovider/remote-jwks";
 *
 * const registry = createRegistry({ providers: [remoteJwks] });
 * const provider = await registry.create("remote-jwks", { issuer: "https://login.example.com" });
 * ```
 */
const remoteJwks = defineProvider({
  name: "RemoteJwksKeyProvider",
  aliases: ["remote-jwks"],
  apiVersion: 1,
  create: (options: RemoteJwksKeyProviderOptions) => new RemoteJwksKeyProvider(options),
});
export default remoteJwks;
