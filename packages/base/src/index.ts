export { ALGORITHMS, RSA_KEY_SIZES, RSA_SIZES_TEXT, algorithmInfo, algorithmsForKey } from "./algorithms.js";
export type { AlgorithmInfo, HashName, KmsInfo, SignatureInfo } from "./algorithms.js";
export { b64url, b64urlDecode } from "./base64url.js";
export {
  bufferOf,
  ecdsaDerToJose,
  ecdsaJoseToDer,
  okpCurve,
  pemDecode,
  pemEncode,
  pemLabel,
  pkcs8FromRaw,
  rawFromPkcs8,
  rawFromSpki,
  spkiFromRaw,
  toBytes,
} from "./encoding.js";
export { ENVELOPE_FORMAT, decodeEnvelope, encodeEnvelope, envelopeAad } from "./envelope.js";
export type { Envelope } from "./envelope.js";
export { mayReturnSecret } from "./export-policy.js";
export type { SecretOrigin } from "./export-policy.js";
export {
  MAX_KEY_VERSION,
  assertBoundedBytes,
  assertBytes,
  assertKid,
  assertLength,
  assertNewKid,
  assertOptionalBoolean,
  assertOptionalString,
  assertOptionalVersion,
  assertOptions,
  assertSignal,
  assertVersion,
  readOptions,
} from "./guards.js";
export { hkdf } from "./hkdf.js";
export { InProcessKeyProvider } from "./in-process-key-provider.js";
export {
  PRIVATE_JWK_MEMBERS,
  hasPrivateMembers,
  jwkThumbprint,
  mergeJwks,
  publicJwkMembers,
  publishedJwk,
} from "./jwk.js";
export type { PublicJwkMembers } from "./jwk.js";
export { encodePrivateKey, encodePublicKey, pkcs8Der, spkiDer } from "./key-encoding.js";
export { generateKeys } from "./key-generation.js";
export type { GeneratedKeys } from "./key-generation.js";
export {
  assertKeyFitsSpec,
  assertSafePublicKey,
  jwkOfKeyObject,
  parseKeyImport,
  parsePrivateKey,
  parsePublicKey,
  parseSecretKey,
} from "./key-import.js";
export type { ParseKeyOptions, ParsedKey } from "./key-import.js";
export {
  MAX_IMPORTED_SECRET_BYTES,
  assertJwkIntent,
  parseJwkJson,
  symmetricSecretFromImport,
} from "./key-material.js";
export {
  aesGcmOpen,
  aesGcmSeal,
  rsaOaepUnwrap,
  rsaOaepWrap,
  signWithKey,
  verifyWithKey,
  x25519Agree,
  x25519ContentKey,
} from "./key-operations.js";
export { KeyProviderBase } from "./key-provider-base.js";
export type {
  CreateVersionRequest,
  ImportVersionRequest,
  StoredVersion,
  VersionListing,
  VersionRecord,
} from "./key-provider-base.js";
export { createKeyRef } from "./key-ref.js";
export { rawX25519, sealToPublicKey } from "./public-key-envelope.js";
export type { KeyRefFields, KeyRefJson } from "./key-ref.js";
export { assertSameKind, rotationSpec, validateKeySpec } from "./key-spec.js";
export type { ValidateKeySpecOptions } from "./key-spec.js";
export { newKid, randomBytes } from "./random.js";
export { traced } from "./tracing.js";
export type { OperationTrace } from "./tracing.js";
export { VersionStore } from "./version-store.js";
export type { VersionStoreToken } from "./version-store.js";
