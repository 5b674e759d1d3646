export { ALGORITHMS } from "./algorithms.js";
export type { AlgorithmInfo } from "./algorithms.js";
export { b64url, b64urlDecode } from "./base64url.js";
export { mayReturnSecret } from "./export-policy.js";
export type { SecretOrigin } from "./export-policy.js";
export {
  assertBytes,
  assertKid,
  assertLength,
  assertNewKid,
  assertOptionalBoolean,
  assertOptionalString,
  assertOptionalVersion,
  assertOptions,
  assertVersion,
  describeType,
  displayValue,
  readOptions,
  MAX_KEY_VERSION,
} from "./guards.js";
export { hkdf } from "./hkdf.js";
export {
  PRIVATE_JWK_MEMBERS,
  jwkThumbprint,
  publicJwkFromSpkiDer,
  publicJwkMembers,
  publishedJwk,
  withoutPrivateMembers,
} from "./jwk.js";
export type { PublicJwkMembers } from "./jwk.js";
export {
  MAX_IMPORTED_SECRET_BYTES,
  assertJwkIntent,
  importedSecretMaterial,
  parseJwkJson,
  randomSecretMaterial,
  secretKeyMaterial,
  symmetricSecretFromImport,
} from "./key-material.js";
export type { ImportInput, KeyMaterial } from "./key-material.js";
export { KeyProviderBase } from "./key-provider-base.js";
export type { StoredKeyVersion } from "./key-provider-base.js";
export { createKeyRef } from "./key-ref.js";
export type { KeyRefFields, KeyRefJson } from "./key-ref.js";
export { rotationSpec, validateKeySpec } from "./key-spec.js";
export type { NormalizedKeySpec, ValidateKeySpecOptions } from "./key-spec.js";
export { newKid, randomBytes } from "./random.js";
export { VersionStore } from "./version-store.js";
export type { VersionStoreToken } from "./version-store.js";
