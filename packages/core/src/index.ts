export { ExportPolicy, KeyAlg, KeyClass, KeyType, KeyUse, LIMITS, ProviderFeature } from "./constants.js";
export type {
  GetKeyOptions,
  HkdfOptions,
  ImportKeyOptions,
  JwkAlgorithm,
  Jwks,
  JwksOptions,
  KeyProvider,
  KeyRef,
  KeySpec,
  ListKeysOptions,
  ProviderSupports,
  PublicJwk,
  RotateKeyOptions,
  RotationOverrides,
} from "./types.js";
export {
  InvalidConfigError,
  InvalidKeyMaterialError,
  InvalidKeySpecError,
  InvalidProviderError,
  KeyExistsError,
  KeyNotFoundError,
  KeyProviderError,
  KeyUnavailableError,
  NotSupportedError,
  ProviderNotFoundError,
  ProviderPermissionError,
  ProviderUnavailableError,
  RemoteJwksError,
  UnsupportedAlgorithmError,
  quoteForMessage,
} from "./errors.js";
export type { InvalidConfigReason, KeyProviderErrorOptions, RemoteJwksErrorCode } from "./errors.js";
export { PROVIDER_API_VERSION, defineProvider, isProviderDefinition } from "./provider-definition.js";
export type { ProviderContext, ProviderDefinition, ProviderDefinitionInput } from "./provider-definition.js";
export { FIRST_PARTY_PROVIDERS, createRegistry } from "./registry.js";
export type { ProviderLoader, ProviderRegistry, RegistryOptions } from "./registry.js";
