import type { KeyObject } from "node:crypto";
import {
  ExportNotAllowedError,
  KeyAlg,
  KeyClass,
  KeyExistsError,
  KeyNotFoundError,
  KeyStatus,
  KeyUsageError,
  LIMITS,
  NotSupportedError,
  ProviderFeature,
  UnsupportedAlgorithmError,
  DecryptionError,
  quoteForMessage,
  versionedKid,
  type CallOptions,
  type DecryptOptions,
  type EncryptOptions,
  type ExportKeyOptions,
  type GetKeyOptions,
  type HkdfOptions,
  type ImportKeyOptions,
  type Jwk,
  type Jwks,
  type JwksOptions,
  type KeyInput,
  type KeyOperationOptions,
  type KeyProvider,
  type KeyRef,
  type KeySpec,
  type KeyUse,
  type ListKeysOptions,
  type NormalizedKeySpec,
  type ProviderSupports,
  type PublicJwk,
  type RotateKeyOptions,
} from "@keyprovider/core";
import { ALGORITHMS } from "./algorithms.js";
import { b64url } from "./base64url.js";
import { pemEncode, toBytes } from "./encoding.js";
import { decodeEnvelope, encodeEnvelope, envelopeAad, type Envelope } from "./envelope.js";
import { mayReturnSecret, type SecretOrigin } from "./export-policy.js";
import {
  assertBoundedBytes,
  assertBytes,
  assertKid,
  assertLength,
  assertNewKid,
  assertOptionalBoolean,
  assertOptionalString,
  assertOptionalVersion,
  assertVersion,
  readOptions,
} from "./guards.js";
import { hkdf } from "./hkdf.js";
import { jwkThumbprint, publicJwkMembers, publishedJwk, type PublicJwkMembers } from "./jwk.js";
import { encodePrivateKey, encodePublicKey, pkcs8Der, spkiDer } from "./key-encoding.js";
import { jwkOfKeyObject, parseKeyImport, parsePublicKey, type ParsedKey } from "./key-import.js";
import {
  aesGcmOpen,
  aesGcmSeal,
  rsaOaepUnwrap,
  signWithKey,
  verifyWithKey,
  x25519Agree,
  x25519ContentKey,
} from "./key-operations.js";
import { createKeyRef } from "./key-ref.js";
import { rawX25519, sealToPublicKey } from "./public-key-envelope.js";
import { assertSameKind, rotationSpec, validateKeySpec } from "./key-spec.js";
import { newKid, randomBytes } from "./random.js";
import { traced } from "./tracing.js";

/**
 * One version of a key as a backend hands it to {@link KeyProviderBase}: the plain facts the
 * contract needs, nothing encoded. Records must not change once returned (the base caches what it
 * derives from them, such as the JWK and fingerprint, per record object).
 *
 * @example
 * ```ts
 * const record: VersionRecord = { kid, version: 1, spec, publicKey, secretKey: privateKey, scopedId };
 * ```
 */
export interface VersionRecord {
  readonly kid: string;
  readonly version: number;
  readonly spec: NormalizedKeySpec;
  /** The public key of an asymmetric version. */
  readonly publicKey?: KeyObject;
  /**
   * The private key (asymmetric) or secret (symmetric, opaque) where the backend holds it in this
   * process. The base uses it for the default key operations and, where the export policy allows,
   * exports it. Backends whose secrets never leave them (KMS) leave it out and override the
   * operation hooks.
   */
  readonly secretKey?: KeyObject;
  /** A version imported without its private half: it verifies and encrypts, never signs or decrypts. */
  readonly publicOnly?: boolean;
  /** The public part of an opaque key, as imported. */
  readonly opaquePublic?: Uint8Array;
  /** A backend handle, such as a KMS key ARN (`KeyRef.uri`). */
  readonly uri?: string;
  /** Backend facts added to `KeyRef.tags`, such as a KMS key id and region. */
  readonly backendTags?: Readonly<Record<string, string>>;
  /**
   * A stable, provider-scoped identifier that is not a hash of the secret: the fingerprint of opaque
   * keys and of secrets that cannot be exported. Required for those.
   */
  readonly scopedId?: string;
}

/**
 * A version record together with the kid's primary version number at the time of the read.
 *
 * @example
 * ```ts
 * const found: StoredVersion = { record, primary: 2 };
 * ```
 */
export interface StoredVersion {
  readonly record: VersionRecord;
  readonly primary: number;
}

/**
 * The live versions of a kid, ascending, and its primary.
 *
 * @example
 * ```ts
 * const listing: VersionListing = { versions: [1, 2, 3], primary: 2 }; // 3 is staged
 * ```
 */
export interface VersionListing {
  readonly versions: readonly number[];
  readonly primary: number;
}

/**
 * What {@link KeyProviderBase.createVersion} is asked to make.
 *
 * @example
 * ```ts
 * const request: CreateVersionRequest = { kid, spec, activate: true, newKid: true };
 * ```
 */
export interface CreateVersionRequest {
  readonly kid: string;
  /** The validated spec of the new version (a rotation's has the previous spec and the overrides). */
  readonly spec: NormalizedKeySpec;
  /** `true` for `createKey` (version 1 of a kid that must not exist yet), `false` for a rotation. */
  readonly newKid: boolean;
  /** The highest live version when rotating. */
  readonly previous?: VersionRecord;
  /** Make the new version primary. */
  readonly activate: boolean;
  readonly signal?: AbortSignal | undefined;
}

/**
 * What {@link KeyProviderBase.importVersion} is asked to store.
 *
 * @example
 * ```ts
 * const request: ImportVersionRequest = { kid, spec, key: parsed, activate: true, newKid: false };
 * ```
 */
export interface ImportVersionRequest {
  readonly kid: string;
  /**
   * Exactly this version (refuse with `KeyExistsError` if live or destroyed, even with its whole
   * kid), or the next one (after the highest the kid ever had).
   */
  readonly version?: number | undefined;
  /**
   * The version's spec. When the kid has live versions of another alg or class, refuse it with
   * `assertSameKind` atomically with storing: the base checked before, but a concurrent import of
   * the same new kid passed that check too.
   */
  readonly spec: NormalizedKeySpec;
  /** The parsed, checked key. */
  readonly key: ParsedKey;
  /** `true` when the base chose a fresh kid; `false` when the caller named one (new or existing). */
  readonly newKid: boolean;
  readonly activate: boolean;
  readonly signal?: AbortSignal | undefined;
}

/** What the base derives once per record. */
interface Derived {
  readonly members: PublicJwkMembers | undefined;
  readonly jwk: PublicJwk | undefined;
  readonly publicBytes: Uint8Array | undefined;
  readonly fingerprint: string;
}

/** What each key operation reads from its options, and the use it needs (computed once, not per call). */
const OPERATIONS = {
  sign: { name: "sign options", known: ["version", "signal"], use: "sign" },
  verify: { name: "verify options", known: ["version", "signal"], use: "verify" },
  encrypt: { name: "encrypt options", known: ["version", "aad", "signal"], use: "encrypt" },
  deriveSharedSecret: { name: "deriveSharedSecret options", known: ["version", "signal"], use: "decaps" },
} as const satisfies Record<string, { name: string; known: readonly string[]; use: KeyUse }>;
type Operation = keyof typeof OPERATIONS;
const EMPTY = new Uint8Array(0);
const CREATE_ATTEMPTS = 3;

/**
 * The whole `KeyProvider` contract, once, over a small set of storage hooks, so every backend gets
 * it exactly the same: argument checks, the feature gate, spec validation against `supports()`, the
 * export-policy gate, the uses gate before any cryptography, frozen secret-safe `KeyRef`s with their
 * status and spec, JWK/JWKS publication with primary and staged versions, fingerprints, the
 * encryption envelope, tracing on `node:diagnostics_channel`, `randomBytes` and `hkdf`.
 *
 * A backend implements the storage hooks (create, import, read, list versions, list kids, destroy,
 * set the primary). The key-operation hooks (`signWith`, `verifyMacWith`, `sealWith`, `openWith`,
 * `unwrapWith`, `agreeWith`) default to `node:crypto` on the record's `secretKey`; a backend whose
 * secrets live elsewhere (KMS) overrides them. Verification and public-key encryption always run
 * locally with the record's public key.
 *
 * @example
 * ```ts
 * class MyKeyProvider extends KeyProviderBase {
 *   readonly name = "MyKeyProvider";
 *   supports() { return SUPPORTS; }
 *   protected async createVersion(request) { … }
 *   protected async importVersion(request) { … }
 *   protected async readVersion(kid, version) { … }
 *   protected async listVersionNumbers(kid) { … }
 *   protected async listKids(prefix) { … }
 *   protected async destroyVersions(kid, version) { … }
 *   protected async setPrimary(kid, version) { … }
 * }
 * ```
 */
export abstract class KeyProviderBase implements KeyProvider {
  /** The provider's canonical name, used in error messages and traces. */
  abstract readonly name: string;
  #supported: ProviderSupports | undefined;
  readonly #derived = new WeakMap<VersionRecord, Derived>();

  abstract supports(): ProviderSupports;

  /** Make and store a new version: version 1 of a new kid, or the next version of `previous.kid`. */
  protected abstract createVersion(request: CreateVersionRequest): Promise<VersionRecord>;
  /** Store an imported version. */
  protected abstract importVersion(request: ImportVersionRequest): Promise<VersionRecord>;
  /** One version (the primary when `version` is undefined) and the primary's number, or `undefined`. */
  protected abstract readVersion(
    kid: string,
    version: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<StoredVersion | undefined>;
  /** The live versions of a kid and its primary, or `undefined` for an unknown kid. */
  protected abstract listVersionNumbers(
    kid: string,
    signal: AbortSignal | undefined,
  ): Promise<VersionListing | undefined>;
  /** Every kid starting with `prefix`, sorted. */
  protected abstract listKids(prefix: string, signal: AbortSignal | undefined): Promise<string[]>;
  /**
   * Remove one version or all; `true` only if something was removed. Destroyed numbers are never
   * reissued, not even after the whole kid was destroyed and the kid is used again.
   */
  protected abstract destroyVersions(
    kid: string,
    version: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<boolean>;
  /** Make a live version primary; `KeyNotFoundError` if it is not live. */
  protected abstract setPrimary(kid: string, version: number, signal: AbortSignal | undefined): Promise<void>;

  /** Sign with the version's private key or HMAC secret, in JOSE form. */
  protected async signWith(
    record: VersionRecord,
    data: Uint8Array,
    _signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    return signWithKey(record.spec.alg, this.#secretOf(record), data);
  }

  /** Verify an HMAC tag (asymmetric signatures are verified by the base with the public key). */
  protected async verifyMacWith(
    record: VersionRecord,
    data: Uint8Array,
    tag: Uint8Array,
    _signal: AbortSignal | undefined,
  ): Promise<boolean> {
    return verifyWithKey(record.spec.alg, this.#secretOf(record), data, tag);
  }

  /** Encrypt with a symmetric version into the parts of an envelope (AAD: `envelopeAad`). */
  protected async sealWith(
    record: VersionRecord,
    plaintext: Uint8Array,
    aad: Uint8Array | undefined,
    _signal: AbortSignal | undefined,
  ): Promise<Pick<Envelope, "wrappedKey" | "nonce" | "body">> {
    const associated = envelopeAad(
      { alg: record.spec.alg, kid: record.kid, version: record.version, wrappedKey: EMPTY },
      aad,
    );
    return { wrappedKey: EMPTY, ...aesGcmSeal(this.#secretOf(record), plaintext, associated) };
  }

  /** Open an envelope made by `sealWith`; any failure is `DecryptionError`. */
  protected async openWith(
    record: VersionRecord,
    envelope: Envelope,
    aad: Uint8Array | undefined,
    _signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    if (envelope.wrappedKey.byteLength !== 0) throw new DecryptionError();
    return aesGcmOpen(this.#secretOf(record), envelope.nonce, envelope.body, envelopeAad(envelope, aad));
  }

  /** Unwrap an RSA-OAEP-256 content key with the version's private key; failure is `DecryptionError`. */
  protected async unwrapWith(
    record: VersionRecord,
    wrappedKey: Uint8Array,
    _signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    return rsaOaepUnwrap(this.#secretOf(record), wrappedKey);
  }

  /** X25519 agreement of the version's private key with a peer's public key. */
  protected async agreeWith(
    record: VersionRecord,
    peer: KeyObject,
    _signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    return x25519Agree(this.#secretOf(record), peer);
  }

  /** `n` random bytes; the default is the local CSPRNG. */
  protected async generateRandom(n: number, _signal: AbortSignal | undefined): Promise<Uint8Array> {
    return randomBytes(n);
  }

  async createKey(spec: KeySpec, options?: CallOptions): Promise<KeyRef> {
    return traced(this.name, "createKey", undefined, undefined, async (trace) => {
      this.#require(ProviderFeature.CREATE, "create keys");
      const { signal } = readOptions(options, "createKey options", ["signal"]);
      const normalized = this.#admit(spec, "create");
      for (let attempt = 1; ; attempt += 1) {
        const kid = newKid();
        trace.kid = kid;
        try {
          const record = await this.createVersion({
            kid,
            spec: normalized,
            newKid: true,
            activate: true,
            signal,
          });
          trace.version = record.version;
          return this.#ref(record, record.version, "create");
        } catch (error) {
          // A random 128-bit kid collides only by a broken RNG or a hostile store; try again a few times.
          if (!KeyExistsError.isInstance(error) || attempt >= CREATE_ATTEMPTS) throw error;
        }
      }
    });
  }

  async importKey(spec: KeySpec, material?: KeyInput, options?: ImportKeyOptions): Promise<KeyRef> {
    return traced(this.name, "importKey", undefined, undefined, async (trace) => {
      this.#require(ProviderFeature.IMPORT, "import keys");
      const {
        public: publicInput,
        kid: chosenKid,
        version,
        format,
        activate,
        allowSmallRsaExponent,
        signal,
      } = readOptions(options, "importKey options", [
        "public",
        "kid",
        "version",
        "format",
        "activate",
        "allowSmallRsaExponent",
        "signal",
      ]);
      if (chosenKid !== undefined) assertNewKid(chosenKid, "options.kid");
      assertOptionalVersion(version, "options.version");
      assertOptionalBoolean(activate, "options.activate");
      assertOptionalBoolean(allowSmallRsaExponent, "options.allowSmallRsaExponent");
      if (format !== undefined && !["pem", "der", "raw", "jwk"].includes(format)) {
        throw new TypeError('options.format must be "pem", "der", "raw" or "jwk"');
      }
      if (material === undefined && publicInput === undefined) {
        throw new TypeError("importKey needs material, options.public, or both");
      }
      const normalized = this.#admit(spec, "import");
      const key = parseKeyImport(normalized, material, publicInput, { format, allowSmallRsaExponent });
      const sizeBits = key.publicKey?.asymmetricKeyDetails?.modulusLength;
      const stored =
        sizeBits === undefined || sizeBits === normalized.sizeBits
          ? normalized
          : Object.freeze({ ...normalized, sizeBits });
      const kid = chosenKid ?? newKid();
      trace.kid = kid;
      if (chosenKid !== undefined) {
        // Early, for a clear error before any backend call; importVersion checks again as it stores.
        const existing = await this.#highest(chosenKid, signal);
        if (existing !== undefined) assertSameKind(kid, existing.spec, stored);
      }
      const record = await this.importVersion({
        kid,
        version,
        spec: stored,
        key,
        newKid: chosenKid === undefined,
        activate: activate ?? true,
        signal,
      });
      trace.version = record.version;
      const primary = (await this.readVersion(kid, record.version, signal))?.primary ?? record.version;
      return this.#ref(record, primary, "import");
    });
  }

  async rotateKey(kid: string, options?: RotateKeyOptions): Promise<KeyRef> {
    return traced(this.name, "rotateKey", kid, undefined, async (trace) => {
      this.#require(ProviderFeature.ROTATE, "rotate keys");
      assertKid(kid);
      const { specOverrides, activate, signal } = readOptions(options, "rotateKey options", [
        "specOverrides",
        "activate",
        "signal",
      ]);
      assertOptionalBoolean(activate, "options.activate");
      if (activate === false) this.#require(ProviderFeature.STAGE, "stage versions");
      const previous = await this.#highest(kid, signal);
      if (previous === undefined) throw new KeyNotFoundError(kid);
      if (
        previous.publicOnly === true ||
        (previous.spec.klass === KeyClass.opaque && previous.secretKey === undefined)
      ) {
        // A key imported without its secret (someone else's public key) has no next version we could make.
        throw new NotSupportedError(
          `Key ${quoteForMessage(kid)} was imported without its secret, so ${this.name} cannot make its next version; import it with importKey(spec, material?, { public, kid })`,
        );
      }
      const spec = rotationSpec(previous.spec, specOverrides);
      this.#checkSupported(spec);
      const record = await this.createVersion({
        kid,
        spec,
        newKid: false,
        previous,
        activate: activate ?? true,
        signal,
      });
      trace.version = record.version;
      const stored = await this.readVersion(kid, record.version, signal);
      return this.#ref(record, stored?.primary ?? record.version, "rotate");
    });
  }

  async activateVersion(kid: string, version: number, options?: CallOptions): Promise<KeyRef> {
    return traced(this.name, "activateVersion", kid, version, async () => {
      this.#require(ProviderFeature.STAGE, "activate versions");
      assertKid(kid);
      assertVersion(version);
      const { signal } = readOptions(options, "activateVersion options", ["signal"]);
      await this.setPrimary(kid, version, signal);
      const stored = this.#found(await this.readVersion(kid, version, signal), kid, version);
      return this.#ref(stored.record, stored.primary, "get");
    });
  }

  async destroyKey(kid: string, version?: number, options?: CallOptions): Promise<boolean> {
    return traced(this.name, "destroyKey", kid, version, async () => {
      this.#require(ProviderFeature.DESTROY, "destroy keys");
      try {
        assertKid(kid);
      } catch (error) {
        if (KeyNotFoundError.isInstance(error)) return false; // not a kid we could hold
        throw error;
      }
      assertOptionalVersion(version);
      const { signal } = readOptions(options, "destroyKey options", ["signal"]);
      return this.destroyVersions(kid, version, signal);
    });
  }

  async getKey(kid: string, version?: number, options?: GetKeyOptions): Promise<KeyRef> {
    return traced(this.name, "getKey", kid, version, async (trace) => {
      assertKid(kid);
      assertOptionalVersion(version);
      const { includeSecret, signal } = readOptions(options, "getKey options", ["includeSecret", "signal"]);
      assertOptionalBoolean(includeSecret, "includeSecret");
      const { record, primary } = this.#found(await this.readVersion(kid, version, signal), kid, version);
      trace.version = record.version;
      return this.#ref(record, primary, "get", includeSecret);
    });
  }

  exportKey(kid: string, options: ExportKeyOptions & { readonly format: "pem" }): Promise<string>;
  exportKey(kid: string, options: ExportKeyOptions & { readonly format: "der" }): Promise<Uint8Array>;
  exportKey(kid: string, options: ExportKeyOptions & { readonly format: "jwk" }): Promise<Jwk>;
  exportKey(kid: string, options: ExportKeyOptions): Promise<string | Uint8Array | Jwk>;
  async exportKey(kid: string, options: ExportKeyOptions): Promise<string | Uint8Array | Jwk> {
    return traced(this.name, "exportKey", kid, undefined, async (trace) => {
      this.#require(ProviderFeature.EXPORT, "export keys");
      assertKid(kid);
      if (options === undefined)
        throw new TypeError('exportKey options are required: { format: "pem" | "der" | "jwk" }');
      const {
        format,
        version,
        private: wantPrivate,
        signal,
      } = readOptions(options, "exportKey options", ["format", "version", "private", "signal"]);
      if (format !== "pem" && format !== "der" && format !== "jwk") {
        throw new TypeError('exportKey options.format must be "pem", "der" or "jwk"');
      }
      assertOptionalVersion(version);
      assertOptionalBoolean(wantPrivate, "options.private");
      const { record } = this.#found(await this.readVersion(kid, version, signal), kid, version);
      trace.version = record.version;
      const { spec } = record;
      if (spec.klass === KeyClass.opaque) {
        throw new NotSupportedError(
          `Key ${quoteForMessage(kid)} is opaque; read its bytes with getKey(kid, version, { includeSecret: true })`,
        );
      }
      if (wantPrivate === true) {
        if (!mayReturnSecret(spec.exportPolicy, "get", true))
          throw new ExportNotAllowedError(kid, spec.exportPolicy);
        const secret = record.secretKey;
        if (secret === undefined || record.publicOnly === true) {
          throw new NotSupportedError(
            `Key ${quoteForMessage(kid)} version ${record.version} has no secret ${this.name} can export`,
          );
        }
        if (spec.klass === KeyClass.symmetric) {
          if (format !== "jwk") {
            throw new NotSupportedError(
              `Symmetric keys export as an "oct" JWK only; use { format: "jwk", private: true }`,
            );
          }
          const bytes = toBytes(secret.export());
          try {
            return Object.freeze({
              kty: "oct",
              k: b64url(bytes),
              kid: versionedKid(kid, record.version),
              alg: ALGORITHMS[spec.alg].jose,
            });
          } finally {
            bytes.fill(0);
          }
        }
        if (format === "jwk") return Object.freeze({ ...jwkOfKeyObject(secret), ...this.#jwkLabels(record) });
        const der = pkcs8Der(spec, secret);
        if (format === "der") return der;
        try {
          return pemEncode("PRIVATE KEY", der);
        } finally {
          der.fill(0);
        }
      }
      if (record.publicKey === undefined) {
        throw new NotSupportedError(
          `Key ${quoteForMessage(kid)} is symmetric (${spec.alg}) and has no public key; a secret exports only with { format: "jwk", private: true } where its policy allows`,
        );
      }
      const derived = this.#derive(record);
      if (format === "jwk") return { ...derived.jwk! };
      const der = spkiDer(spec, record.publicKey, derived.members!);
      return format === "der" ? der : pemEncode("PUBLIC KEY", der);
    });
  }

  async listVersions(kid: string, options?: CallOptions): Promise<number[]> {
    return traced(this.name, "listVersions", kid, undefined, async () => {
      assertKid(kid);
      const { signal } = readOptions(options, "listVersions options", ["signal"]);
      const listing = await this.listVersionNumbers(kid, signal);
      if (listing === undefined) throw new KeyNotFoundError(kid);
      return [...listing.versions];
    });
  }

  async listKeys(options?: ListKeysOptions): Promise<string[]> {
    return traced(this.name, "listKeys", undefined, undefined, async () => {
      const { prefix, signal } = readOptions(options, "listKeys options", ["prefix", "signal"]);
      assertOptionalString(prefix, "prefix");
      return this.listKids(prefix ?? "", signal);
    });
  }

  async getPublicJwk(kid: string, version?: number, options?: CallOptions): Promise<PublicJwk> {
    return traced(this.name, "getPublicJwk", kid, version, async (trace) => {
      this.#require(ProviderFeature.JWKS, "publish JWKs");
      assertKid(kid);
      assertOptionalVersion(version);
      const { signal } = readOptions(options, "getPublicJwk options", ["signal"]);
      const { record } = this.#found(await this.readVersion(kid, version, signal), kid, version);
      trace.version = record.version;
      const { jwk } = this.#derive(record);
      if (jwk === undefined) {
        throw new NotSupportedError(
          `Key ${quoteForMessage(kid)} is ${record.spec.klass === KeyClass.opaque ? "opaque" : "symmetric"} (${record.spec.alg}); only asymmetric keys have a public JWK`,
        );
      }
      return { ...jwk };
    });
  }

  async jwks(options?: JwksOptions): Promise<Jwks> {
    return traced(this.name, "jwks", undefined, undefined, async () => {
      this.#require(ProviderFeature.JWKS, "publish JWKs");
      const { prefixKids, allVersions, signal } = readOptions(options, "jwks options", [
        "prefixKids",
        "allVersions",
        "signal",
      ]);
      assertOptionalString(prefixKids, "prefixKids");
      assertOptionalBoolean(allVersions, "allVersions");
      const keys: PublicJwk[] = [];
      for (const kid of await this.listKids(prefixKids ?? "", signal)) {
        const listing = await this.listVersionNumbers(kid, signal);
        if (listing === undefined) continue; // destroyed meanwhile
        const published =
          allVersions === true ? listing.versions : listing.versions.filter((v) => v >= listing.primary);
        for (const version of published) {
          const stored = await this.readVersion(kid, version, signal);
          const jwk = stored === undefined ? undefined : this.#derive(stored.record).jwk;
          if (jwk !== undefined) keys.push({ ...jwk });
        }
      }
      return { keys };
    });
  }

  async sign(kid: string, data: Uint8Array, options?: KeyOperationOptions): Promise<Uint8Array> {
    return traced(this.name, "sign", kid, undefined, async (trace) => {
      this.#require(ProviderFeature.SIGN, "sign");
      assertBoundedBytes(data, "data", LIMITS.maxMessageBytes);
      const { version, signal } = this.#operationOptions("sign", kid, options);
      const record = this.#usable(await this.readVersion(kid, version, signal), kid, version, "sign");
      trace.version = record.version;
      this.#assertPrivateHalf(record, "sign");
      return await this.signWith(record, data, signal);
    });
  }

  async verify(
    kid: string,
    data: Uint8Array,
    signature: Uint8Array,
    options?: KeyOperationOptions,
  ): Promise<boolean> {
    return traced(this.name, "verify", kid, undefined, async (trace) => {
      this.#require(ProviderFeature.SIGN, "verify");
      assertBoundedBytes(data, "data", LIMITS.maxMessageBytes);
      assertBytes(signature, "signature");
      const { version, signal } = this.#operationOptions("verify", kid, options);
      const record = this.#usable(await this.readVersion(kid, version, signal), kid, version, "verify");
      trace.version = record.version;
      if (record.publicKey !== undefined)
        return verifyWithKey(record.spec.alg, record.publicKey, data, signature);
      if (signature.byteLength !== ALGORITHMS[record.spec.alg].signature?.length) return false;
      return await this.verifyMacWith(record, data, signature, signal);
    });
  }

  async encrypt(kid: string, plaintext: Uint8Array, options?: EncryptOptions): Promise<Uint8Array> {
    return traced(this.name, "encrypt", kid, undefined, async (trace) => {
      this.#require(ProviderFeature.ENCRYPT, "encrypt");
      assertBoundedBytes(plaintext, "plaintext", LIMITS.maxPlaintextBytes);
      const { version, signal, aad } = this.#operationOptions("encrypt", kid, options);
      const record = this.#usable(await this.readVersion(kid, version, signal), kid, version, "encrypt");
      trace.version = record.version;
      const { alg } = record.spec;
      if (alg === KeyAlg.AES256_GCM) {
        const { wrappedKey, nonce, body } = await this.sealWith(record, plaintext, aad, signal);
        return encodeEnvelope({ alg, kid: record.kid, version: record.version, wrappedKey, nonce, body });
      }
      // RSA-OAEP and X25519: the uses gate let only these through (AES returned above).
      return sealToPublicKey(
        alg as "RSA_OAEP_SHA256" | "X25519",
        record.kid,
        record.version,
        record.publicKey!,
        plaintext,
        aad,
      );
    });
  }

  async decrypt(kid: string, ciphertext: Uint8Array, options?: DecryptOptions): Promise<Uint8Array> {
    return traced(this.name, "decrypt", kid, undefined, async (trace) => {
      this.#require(ProviderFeature.ENCRYPT, "decrypt");
      assertKid(kid);
      const { aad, signal } = readOptions(options, "decrypt options", ["aad", "signal"]);
      if (aad !== undefined) assertBytes(aad, "options.aad");
      assertBytes(ciphertext, "ciphertext");
      const envelope = decodeEnvelope(ciphertext);
      // A ciphertext opens only under the kid that made it, whatever keys the two kids hold.
      if (envelope.kid !== kid) throw new DecryptionError();
      const { record } = this.#found(
        await this.readVersion(kid, envelope.version, signal),
        kid,
        envelope.version,
      );
      trace.version = record.version;
      this.#assertUse(record, "decrypt");
      if (record.spec.alg !== envelope.alg) throw new DecryptionError();
      this.#assertPrivateHalf(record, "decrypt");
      if (envelope.alg === KeyAlg.AES256_GCM) return await this.openWith(record, envelope, aad, signal);
      let contentKey: Uint8Array;
      if (envelope.alg === KeyAlg.RSA_OAEP_SHA256) {
        contentKey = await this.unwrapWith(record, envelope.wrappedKey, signal);
      } else {
        let ephemeral: KeyObject;
        try {
          ephemeral = parsePublicKey(record.spec, envelope.wrappedKey, { format: "raw" });
        } catch {
          throw new DecryptionError();
        }
        let shared: Uint8Array;
        try {
          shared = await this.agreeWith(record, ephemeral, signal);
        } catch {
          throw new DecryptionError();
        }
        contentKey = x25519ContentKey(shared, envelope.wrappedKey, rawX25519(record.publicKey!));
        shared.fill(0);
      }
      try {
        return aesGcmOpen(contentKey, envelope.nonce, envelope.body, envelopeAad(envelope, aad));
      } finally {
        contentKey.fill(0);
      }
    });
  }

  async deriveSharedSecret(
    kid: string,
    peerPublicKey: KeyInput,
    options?: KeyOperationOptions,
  ): Promise<Uint8Array> {
    return traced(this.name, "deriveSharedSecret", kid, undefined, async (trace) => {
      this.#require(ProviderFeature.DERIVE, "derive shared secrets");
      const { version, signal } = this.#operationOptions("deriveSharedSecret", kid, options);
      const record = this.#usable(
        await this.readVersion(kid, version, signal),
        kid,
        version,
        "deriveSharedSecret",
      );
      trace.version = record.version;
      if (peerPublicKey === undefined) throw new TypeError("deriveSharedSecret needs the peer's public key");
      const peer = parsePublicKey(record.spec, peerPublicKey, {}, "peerPublicKey");
      this.#assertPrivateHalf(record, "derive shared secrets");
      return await this.agreeWith(record, peer, signal);
    });
  }

  async randomBytes(n: number, options?: CallOptions): Promise<Uint8Array> {
    return traced(this.name, "randomBytes", undefined, undefined, async () => {
      const { signal } = readOptions(options, "randomBytes options", ["signal"]);
      assertLength(n, "n", LIMITS.maxRandomBytes);
      return await this.generateRandom(n, signal);
    });
  }

  async hkdf(ikm: Uint8Array, options: HkdfOptions): Promise<Uint8Array> {
    return traced(this.name, "hkdf", undefined, undefined, async () => hkdf(ikm, options));
  }

  /** An operation's options, read and checked before any I/O (with the kid). */
  #operationOptions(
    operation: Operation,
    kid: string,
    options: EncryptOptions | undefined,
  ): Partial<EncryptOptions> {
    assertKid(kid);
    const { name, known } = OPERATIONS[operation];
    const read = readOptions<EncryptOptions>(options, name, known);
    assertOptionalVersion(read.version, "options.version");
    if (read.aad !== undefined) assertBytes(read.aad, "options.aad");
    return read;
  }

  /** The record an operation works on: the version read, after the uses and key-class checks. */
  #usable(
    stored: StoredVersion | undefined,
    kid: string,
    version: number | undefined,
    operation: Operation,
  ): VersionRecord {
    const { record } = this.#found(stored, kid, version);
    this.#assertUse(record, OPERATIONS[operation].use);
    return record;
  }

  #assertUse(record: VersionRecord, use: KeyUse): void {
    if (record.spec.klass === KeyClass.opaque) {
      throw new NotSupportedError(
        `Key ${quoteForMessage(record.kid)} is opaque: ${this.name} stores its bytes without using them`,
      );
    }
    if (!record.spec.uses.includes(use)) {
      throw new KeyUsageError(
        record.kid,
        record.version,
        use,
        `Key ${quoteForMessage(record.kid)} version ${record.version} (${record.spec.alg}) does not allow "${use}"; its uses are ${record.spec.uses.map((u) => `"${u}"`).join(", ") || "none"}`,
      );
    }
  }

  #assertPrivateHalf(record: VersionRecord, what: string): void {
    if (record.publicOnly === true) {
      throw new NotSupportedError(
        `Key ${quoteForMessage(record.kid)} version ${record.version} was imported without its private key, so it cannot ${what}; it only verifies or encrypts`,
      );
    }
  }

  #secretOf(record: VersionRecord): KeyObject {
    if (record.secretKey === undefined) {
      throw new NotSupportedError(
        `${this.name} holds no secret for key ${quoteForMessage(record.kid)} version ${record.version}`,
      );
    }
    return record.secretKey;
  }

  /** A version read by `readVersion`, or `KeyNotFoundError`. */
  #found(stored: StoredVersion | undefined, kid: string, version: number | undefined): StoredVersion {
    if (stored === undefined) throw new KeyNotFoundError(kid, version);
    return stored;
  }

  async #highest(kid: string, signal: AbortSignal | undefined): Promise<VersionRecord | undefined> {
    const listing = await this.listVersionNumbers(kid, signal);
    const highest = listing?.versions.at(-1);
    if (highest === undefined) return undefined;
    return (await this.readVersion(kid, highest, signal))?.record;
  }

  /** Validate a spec and check this provider supports its class and algorithm. */
  #admit(spec: KeySpec, purpose: "create" | "import"): NormalizedKeySpec {
    const normalized = validateKeySpec(spec, { purpose });
    this.#checkSupported(normalized);
    return normalized;
  }

  #checkSupported(spec: NormalizedKeySpec): void {
    const supported = (this.#supported ??= this.supports());
    const algOk = spec.klass === KeyClass.opaque || supported.algs.includes(spec.alg);
    if (!supported.class.includes(spec.klass) || !algOk) {
      throw new UnsupportedAlgorithmError(
        spec.alg,
        `${this.name} does not support ${spec.klass} ${spec.alg} keys; it supports classes ${supported.class.join(", ")} and algorithms ${supported.algs.join(", ")}`,
      );
    }
  }

  #require(feature: (typeof ProviderFeature)[keyof typeof ProviderFeature], what: string): void {
    const supported = (this.#supported ??= this.supports());
    if (!supported.features.includes(feature)) {
      throw new NotSupportedError(`${this.name} cannot ${what}`);
    }
  }

  #jwkLabels(record: VersionRecord): { kid: string; alg: string; use: string } {
    const publication = ALGORITHMS[record.spec.alg].jwk!;
    return { kid: versionedKid(record.kid, record.version), alg: publication.alg, use: publication.use };
  }

  #derive(record: VersionRecord): Derived {
    let derived = this.#derived.get(record);
    if (derived !== undefined) return derived;
    const { spec } = record;
    let members: PublicJwkMembers | undefined;
    let jwk: PublicJwk | undefined;
    let publicBytes: Uint8Array | undefined;
    let fingerprint: string;
    if (record.publicKey !== undefined) {
      members = publicJwkMembers(record.publicKey);
      jwk = publishedJwk(members, record.kid, record.version, spec.alg);
      publicBytes = encodePublicKey(spec, record.publicKey, members);
      fingerprint = jwkThumbprint(members);
    } else if (
      spec.klass === KeyClass.symmetric &&
      record.secretKey !== undefined &&
      mayReturnSecret(spec.exportPolicy, "get", true)
    ) {
      const bytes = toBytes(record.secretKey.export());
      fingerprint = jwkThumbprint({ kty: "oct", k: b64url(bytes) });
      bytes.fill(0);
    } else {
      if (record.scopedId === undefined) {
        throw new TypeError(`${this.name}: a record of an opaque or non-exportable key needs a scopedId`);
      }
      fingerprint = record.scopedId;
    }
    if (record.opaquePublic !== undefined) publicBytes = record.opaquePublic;
    derived = Object.freeze({ members, jwk, publicBytes, fingerprint });
    this.#derived.set(record, derived);
    return derived;
  }

  #ref(record: VersionRecord, primary: number, origin: SecretOrigin, includeSecret?: boolean): KeyRef {
    const { spec } = record;
    const derived = this.#derive(record);
    let secret: Uint8Array | undefined;
    if (
      record.secretKey !== undefined &&
      record.publicOnly !== true &&
      mayReturnSecret(spec.exportPolicy, origin, includeSecret)
    ) {
      secret =
        spec.klass === KeyClass.asymmetric
          ? encodePrivateKey(spec, record.secretKey)
          : toBytes(record.secretKey.export());
    }
    const status =
      record.version === primary
        ? KeyStatus.PRIMARY
        : record.version > primary
          ? KeyStatus.STAGED
          : KeyStatus.ACTIVE;
    const ref = createKeyRef({
      kid: record.kid,
      version: record.version,
      status,
      type: spec.type,
      uses: spec.uses,
      exportPolicy: spec.exportPolicy,
      alg: spec.alg,
      uri: record.uri,
      public: derived.publicBytes,
      material: secret,
      tags: record.backendTags === undefined ? spec.tags : { ...spec.tags, ...record.backendTags },
      fingerprint: derived.fingerprint,
      spec,
    });
    secret?.fill(0); // createKeyRef kept its own copy
    return ref;
  }
}
