export { RemoteJwksSource } from "./jwks-source.js";
export type { LookupOptions, RefreshOptions, RemoteJwksStatus, RemoteKeySelector } from "./jwks-source.js";
export { parseKid } from "./kid.js";
export type { ParsedKid } from "./kid.js";
export type { RemoteJwk, RemoteKey, SkippedKeys } from "./key-set.js";
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
