import {
  DecryptionError,
  KeyNotFoundError,
  KeyUnavailableError,
  LIMITS,
  NotSupportedError,
  ProviderFeature,
  ProviderUnavailableError,
  UnsupportedAlgorithmError,
  describeType,
  displayValue,
  isValidKid,
  parseVersionedKid,
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
  type ListKeysOptions,
  type ProviderFeature as Feature,
  type ProviderSupports,
  type PublicJwk,
  type RotateKeyOptions,
} from "@keyprovider/core";
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
  createKeyRef,
  decodeEnvelope,
  mergeJwks,
  readOptions,
  traced,
  validateKeySpec,
} from "@keyprovider/base";
import { MIRROR_MODES, isMirrored, type MirrorMode } from "./lib/copy-request.js";
import { Copies, primaryVersion, withSignal, type Counts, type Location } from "./lib/copies.js";
import { failoverReason, summarize, type CallScope, type MirrorErrorSummary } from "./lib/errors.js";
import { Listeners } from "./lib/listeners.js";
import { Revocations } from "./lib/revocations.js";
import { InMemoryMappingStore, assertMappingStore } from "./mapping-store.js";
import { MirrorWriteError } from "./mirror-write-error.js";
import type {
  MirrorEventMap,
  MirrorStatus,
  MirroredKeyProviderOptions,
  ResyncOptions,
  ResyncReport,
} from "./types.js";

const EVENTS = ["mirrorFailed", "failover", "resynced"] as const;

/**
 * A primary provider as the system of record and a secondary that keeps copies under the **same kid
 * and version**, so reads, verification and encryption keep working while the primary (a KMS
 * region, say) is down. It implements `KeyProvider` itself, with base's argument guards, so it
 * refuses bad arguments exactly as every provider does.
 *
 * - **Writes** (`createKey`, `importKey`, `rotateKey`, `activateVersion`, `destroyKey`) go to the
 *   primary, then to the secondary: `importKey(spec, …, { kid, version, activate })` with the
 *   version's exact spec. A failed copy never loses the primary's result: the provider is degraded,
 *   a `mirrorFailed` event is emitted and `resync()` repairs it (`strictMirror` throws instead).
 * - **Reads** (`getKey`, `getPublicJwk`, `exportKey` of public keys, `listVersions`, `listKeys`,
 *   `jwks`, `randomBytes`, `hkdf`) and **public operations** (`verify`, `encrypt`) use the primary and
 *   fail over to the secondary, with or without a version. **Secret operations** (`sign`,
 *   `decrypt`, `deriveSharedSecret`) fail over only in `full` mode, where the secondary holds the
 *   secret of `secret_when_allowed` keys; otherwise the primary's typed error surfaces.
 * - **DESIGN §7.4**: `KeyUnavailableError` from the primary is a revocation and never fails over (and
 *   is remembered, so the secondary does not serve or republish that key during a later outage);
 *   `KeyNotFoundError` fails over for reads and public operations only, and marks the provider
 *   degraded; `destroyKey` removes the version on both sides, and a copy it could not remove is
 *   never served. During an outage `jwks()` fails rather than serve an empty set or one known to
 *   miss copies (DESIGN §7.9).
 *
 * @example
 * ```ts
 * import { LocalKeyProvider } from "@keyprovider/local";
 * import { MirroredKeyProvider } from "@keyprovider/mirrored";
 *
 * const mirrored = new MirroredKeyProvider(new LocalKeyProvider(), new LocalKeyProvider());
 * const { kid } = await mirrored.createKey({ alg: "ES256" }); // public key copied as kid.1
 * const jwk = await mirrored.getPublicJwk(kid);               // from the secondary if the primary is down
 * mirrored.status(); // { mode: "public_only", degraded: false, failedMirrorCount: 0, … }
 * ```
 */
export class MirroredKeyProvider implements KeyProvider {
  readonly name = "MirroredKeyProvider";
  readonly #primary: KeyProvider;
  readonly #secondary: KeyProvider;
  readonly #mode: MirrorMode;
  readonly #failOpen: boolean;
  readonly #strict: boolean;
  readonly #timeoutMs: number | undefined;
  readonly #supported: ProviderSupports;
  readonly #listeners = new Listeners<MirrorEventMap>(EVENTS);
  /** Mirror work per primary kid, one at a time, so copies and pointers land in order. */
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #revocations = new Revocations();
  readonly #copies: Copies;
  #degraded = false;
  #failedMirrorCount = 0;
  #failoverCount = 0;
  #lastError: MirrorErrorSummary | undefined;

  constructor(primary: KeyProvider, secondary: KeyProvider, options?: MirroredKeyProviderOptions) {
    assertProvider(primary, "primary");
    assertProvider(secondary, "secondary");
    if (primary === secondary) {
      throw new TypeError("MirroredKeyProvider: primary and secondary must be two different providers");
    }
    const { mirrorMode, failOpenReads, strictMirror, mappingStore, primaryTimeoutMs } = readOptions(
      options,
      "MirroredKeyProvider options",
      ["mirrorMode", "failOpenReads", "strictMirror", "mappingStore", "primaryTimeoutMs"],
    );
    if (mirrorMode !== undefined && !MIRROR_MODES.includes(mirrorMode)) {
      throw new TypeError(
        `MirroredKeyProvider options.mirrorMode must be "public_only", "full" or "none", got ${displayValue(mirrorMode)}`,
      );
    }
    assertOptionalBoolean(failOpenReads, "options.failOpenReads");
    assertOptionalBoolean(strictMirror, "options.strictMirror");
    if (mappingStore !== undefined) assertMappingStore(mappingStore, "options.mappingStore");
    if (primaryTimeoutMs !== undefined) {
      if (typeof primaryTimeoutMs !== "number" || Number.isNaN(primaryTimeoutMs)) {
        throw new TypeError(
          `options.primaryTimeoutMs must be a number, got ${describeType(primaryTimeoutMs)}`,
        );
      }
      if (!Number.isInteger(primaryTimeoutMs) || primaryTimeoutMs < 1 || primaryTimeoutMs > 2_147_483_647) {
        throw new RangeError(
          `options.primaryTimeoutMs must be an integer from 1 to 2147483647, got ${primaryTimeoutMs}`,
        );
      }
    }
    this.#primary = primary;
    this.#secondary = secondary;
    this.#mode = mirrorMode ?? "public_only";
    this.#failOpen = failOpenReads ?? true;
    this.#strict = strictMirror ?? false;
    this.#copies = new Copies(
      primary,
      secondary,
      this.#mode,
      mappingStore ?? new InMemoryMappingStore(),
      this.#revocations,
    );
    this.#timeoutMs = primaryTimeoutMs;
    this.#supported = this.#intersect(primary.supports(), secondary.supports());
    if (this.#mode !== "none" && !secondary.supports().features.includes(ProviderFeature.IMPORT)) {
      throw new NotSupportedError(
        `MirroredKeyProvider: the secondary (${secondary.name}) cannot import keys, so it cannot hold copies; use mirrorMode "none" or another secondary`,
      );
    }
  }

  /**
   * What both sides allow: the key classes, algorithms and features the primary and the secondary
   * have in common, plus `mirror` (unless the mode is `none`) and `failover` (unless
   * `failOpenReads` is `false`).
   */
  supports(): ProviderSupports {
    return this.#supported;
  }

  /**
   * Where the provider stands: its mode, whether the sides may disagree, how many copies failed,
   * how many calls were failed over, and the last error it absorbed (code and message, no secrets).
   *
   * @example
   * ```ts
   * mirrored.status(); // { mode: "public_only", degraded: true, failedMirrorCount: 1, failoverCount: 0, lastError: { … } }
   * ```
   */
  status(): MirrorStatus {
    return Object.freeze({
      mode: this.#mode,
      degraded: this.#degraded,
      failedMirrorCount: this.#failedMirrorCount,
      failoverCount: this.#failoverCount,
      lastError: this.#lastError,
    });
  }

  /**
   * Listen to `mirrorFailed`, `failover` or `resynced`; returns the function that stops listening.
   * Listeners run synchronously; one that throws is ignored, so monitoring never fails a call.
   *
   * @example
   * ```ts
   * const off = mirrored.on("failover", ({ operation, kid, reason }) => log.warn({ operation, kid, reason }));
   * off();
   * ```
   */
  on<E extends keyof MirrorEventMap>(event: E, listener: (payload: MirrorEventMap[E]) => void): () => void {
    return this.#listeners.on(event, listener);
  }

  async createKey(spec: KeySpec, options?: CallOptions): Promise<KeyRef> {
    return traced(this.name, "createKey", undefined, undefined, async (trace) => {
      this.#require(ProviderFeature.CREATE, "create keys");
      const { signal } = readOptions(options, "createKey options", ["signal"]);
      this.#admit(spec, "create");
      const ref = await this.#primary.createKey(spec, withSignal(signal));
      trace.kid = ref.kid;
      trace.version = ref.version;
      await this.#mirror("createKey", ref.kid, ref.version, signal, () =>
        this.#copies.copy(ref, true, signal),
      );
      return ref;
    });
  }

  async importKey(spec: KeySpec, material?: KeyInput, options?: ImportKeyOptions): Promise<KeyRef> {
    return traced(this.name, "importKey", undefined, undefined, async (trace) => {
      this.#require(ProviderFeature.IMPORT, "import keys");
      const read = readOptions(options, "importKey options", [
        "public",
        "kid",
        "version",
        "format",
        "activate",
        "allowSmallRsaExponent",
        "signal",
      ]);
      if (read.kid !== undefined) assertNewKid(read.kid, "options.kid");
      assertOptionalVersion(read.version, "options.version");
      assertOptionalBoolean(read.activate, "options.activate");
      this.#admit(spec, "import");
      const ref = await this.#primary.importKey(spec, material, read);
      trace.kid = ref.kid;
      trace.version = ref.version;
      await this.#mirror("importKey", ref.kid, ref.version, read.signal, () =>
        this.#copies.copy(ref, ref.status === "primary", read.signal),
      );
      return ref;
    });
  }

  async rotateKey(kid: string, options?: RotateKeyOptions): Promise<KeyRef> {
    return traced(this.name, "rotateKey", kid, undefined, async (trace) => {
      this.#require(ProviderFeature.ROTATE, "rotate keys");
      assertKid(kid);
      const read = readOptions(options, "rotateKey options", ["specOverrides", "activate", "signal"]);
      assertOptionalBoolean(read.activate, "options.activate");
      if (read.activate === false) this.#require(ProviderFeature.STAGE, "stage versions");
      const ref = await this.#primary.rotateKey(kid, read);
      trace.version = ref.version;
      await this.#mirror("rotateKey", kid, ref.version, read.signal, () =>
        this.#copies.copy(ref, ref.status === "primary", read.signal),
      );
      return ref;
    });
  }

  async activateVersion(kid: string, version: number, options?: CallOptions): Promise<KeyRef> {
    return traced(this.name, "activateVersion", kid, version, async () => {
      this.#require(ProviderFeature.ROTATE, "activate versions");
      assertKid(kid);
      assertVersion(version);
      const { signal } = readOptions(options, "activateVersion options", ["signal"]);
      const ref = await this.#primary.activateVersion(kid, version, withSignal(signal));
      if (isMirrored(ref, this.#mode)) {
        await this.#mirror("activateVersion", kid, version, signal, async () => {
          const location = await this.#copies.locate(kid, version);
          if (location?.version === undefined) throw new KeyNotFoundError(kid, version);
          await this.#secondary.activateVersion(location.kid, location.version, withSignal(signal));
        });
      }
      return ref;
    });
  }

  async destroyKey(kid: string, version?: number, options?: CallOptions): Promise<boolean> {
    return traced(this.name, "destroyKey", kid, version, async () => {
      this.#require(ProviderFeature.DESTROY, "destroy keys");
      if (typeof kid !== "string") assertKid(kid);
      if (!isValidKid(kid)) return false;
      assertOptionalVersion(version);
      const { signal } = readOptions(options, "destroyKey options", ["signal"]);
      const removed = await this.#primary.destroyKey(kid, version, withSignal(signal));
      // Every mode, `none` included: a key destroyed through the mirror must not live on in failover.
      // Until its copy is known to be gone, failover and jwks() refuse it (DESIGN §7.4).
      this.#revocations.noteDestroyed(kid, version);
      let removedCopy = false;
      await this.#mirror("destroyKey", kid, version, signal, async () => {
        removedCopy = await this.#copies.destroyCopy(kid, version, signal);
        this.#revocations.clearDestroyed(kid, version);
      });
      return removed || removedCopy;
    });
  }

  async getKey(kid: string, version?: number, options?: GetKeyOptions): Promise<KeyRef> {
    return traced(this.name, "getKey", kid, version, async () => {
      assertKid(kid);
      assertOptionalVersion(version);
      const { includeSecret, signal } = readOptions(options, "getKey options", ["includeSecret", "signal"]);
      assertOptionalBoolean(includeSecret, "includeSecret");
      const secret = includeSecret === undefined ? {} : { includeSecret };
      return this.#failover("getKey", kid, version, "read", signal, {
        primary: (s) => this.#primary.getKey(kid, version, { ...secret, ...withSignal(s) }),
        secondary: async () => {
          const { location, version: resolved } = await this.#resolve(kid, version, signal);
          const ref = await this.#secondary.getKey(location.kid, location.version, {
            ...secret,
            ...withSignal(signal),
          });
          if (includeSecret === true && ref.exportPolicy === "secret_when_allowed" && this.#mode !== "full") {
            // The copy has no secret to give, and a ref without it would not be the primary's answer.
            throw new NotSupportedError("the secondary holds the public key only");
          }
          if (location.mappings.length === 0) return ref;
          return createKeyRef({
            kid,
            version: resolved,
            status: ref.status,
            type: ref.type,
            uses: ref.uses,
            exportPolicy: ref.exportPolicy,
            alg: ref.alg,
            uri: ref.uri,
            public: ref.public,
            material: ref.material,
            tags: ref.tags,
            fingerprint: ref.fingerprint,
            spec: ref.spec,
          });
        },
      });
    });
  }

  exportKey(kid: string, options: ExportKeyOptions & { readonly format: "pem" }): Promise<string>;
  exportKey(kid: string, options: ExportKeyOptions & { readonly format: "der" }): Promise<Uint8Array>;
  exportKey(kid: string, options: ExportKeyOptions & { readonly format: "jwk" }): Promise<Jwk>;
  async exportKey(kid: string, options: ExportKeyOptions): Promise<string | Uint8Array | Jwk> {
    return traced(this.name, "exportKey", kid, undefined, async () => {
      this.#require(ProviderFeature.EXPORT, "export keys");
      assertKid(kid);
      if (options === undefined)
        throw new TypeError('exportKey options are required: { format: "pem" | "der" | "jwk" }');
      const read = readOptions(options, "exportKey options", ["format", "version", "private", "signal"]);
      const { format, version, signal } = read;
      if (format !== "pem" && format !== "der" && format !== "jwk") {
        throw new TypeError('exportKey options.format must be "pem", "der" or "jwk"');
      }
      assertOptionalVersion(version);
      assertOptionalBoolean(read.private, "options.private");
      const exported = (provider: KeyProvider, exportKid: string, opts: ExportKeyOptions) =>
        provider.exportKey(exportKid, opts as ExportKeyOptions & { format: "jwk" }) as Promise<
          string | Uint8Array | Jwk
        >;
      return this.#failover("exportKey", kid, version, "read", signal, {
        primary: (s) => exported(this.#primary, kid, { ...read, format, ...withSignal(s) }),
        // A secret is exported only by the system of record.
        secondary:
          read.private === true
            ? undefined
            : async () => {
                const { location, version: resolved } = await this.#resolve(kid, version, signal);
                const result = await exported(this.#secondary, location.kid, {
                  format,
                  version: location.version,
                  ...withSignal(signal),
                });
                return format === "jwk" ? { ...(result as Jwk), kid: versionedKid(kid, resolved) } : result;
              },
      });
    });
  }

  async listVersions(kid: string, options?: CallOptions): Promise<number[]> {
    return traced(this.name, "listVersions", kid, undefined, async () => {
      assertKid(kid);
      const { signal } = readOptions(options, "listVersions options", ["signal"]);
      return this.#failover("listVersions", kid, undefined, "read", signal, {
        primary: (s) => this.#primary.listVersions(kid, withSignal(s)),
        secondary: () => this.#copies.listVersions(kid, signal),
      });
    });
  }

  async listKeys(options?: ListKeysOptions): Promise<string[]> {
    return traced(this.name, "listKeys", undefined, undefined, async () => {
      const { prefix, signal } = readOptions(options, "listKeys options", ["prefix", "signal"]);
      assertOptionalString(prefix, "prefix");
      const filter = prefix === undefined ? {} : { prefix };
      return this.#failover("listKeys", undefined, undefined, "read", signal, {
        primary: (s) => this.#primary.listKeys({ ...filter, ...withSignal(s) }),
        secondary: () => this.#copies.listKeys(prefix, signal),
      });
    });
  }

  async getPublicJwk(kid: string, version?: number, options?: CallOptions): Promise<PublicJwk> {
    return traced(this.name, "getPublicJwk", kid, version, async () => {
      this.#require(ProviderFeature.JWKS, "publish JWKs");
      assertKid(kid);
      assertOptionalVersion(version);
      const { signal } = readOptions(options, "getPublicJwk options", ["signal"]);
      return this.#failover("getPublicJwk", kid, version, "read", signal, {
        primary: (s) => this.#primary.getPublicJwk(kid, version, withSignal(s)),
        secondary: async () => {
          const { location, version: resolved } = await this.#resolve(kid, version, signal);
          const jwk = await this.#secondary.getPublicJwk(location.kid, location.version, withSignal(signal));
          return { ...jwk, kid: versionedKid(kid, resolved) };
        },
      });
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
      const query = {
        ...(prefixKids === undefined ? {} : { prefixKids }),
        ...(allVersions === undefined ? {} : { allVersions }),
      };
      const served = await this.#failover<{ published: Jwks } | { failedOver: Jwks }>(
        "jwks",
        undefined,
        undefined,
        "read",
        signal,
        {
          primary: async (s) => ({ published: await this.#primary.jwks({ ...query, ...withSignal(s) }) }),
          secondary: async () => {
            const set = await this.#copies.secondaryJwks(query, signal);
            // DESIGN §7.9: a verifier caches what it gets, so an empty set, or one known to miss
            // copies, is worse than the primary's error (its cached set stays in service).
            if (set.keys.length === 0 || this.#failedMirrorCount > 0) {
              throw new ProviderUnavailableError("the secondary cannot serve a complete JWK Set");
            }
            return { failedOver: set };
          },
        },
      );
      if ("failedOver" in served) return served.failedOver; // the secondary's set, during an outage
      const { published } = served;
      if (!this.#failOpen) return published;
      let copies: PublicJwk[];
      try {
        copies = (await this.#copies.secondaryJwks(query, signal)).keys;
      } catch {
        return published; // the primary's answer stands on its own
      }
      const listed = new Set(published.keys.map((jwk) => jwk.kid));
      const extra: PublicJwk[] = [];
      for (const jwk of copies) {
        if (listed.has(jwk.kid) || !(await this.#republishable(jwk, signal))) continue;
        extra.push(jwk);
      }
      return mergeJwks(published, { keys: extra });
    });
  }

  async sign(kid: string, data: Uint8Array, options?: KeyOperationOptions): Promise<Uint8Array> {
    return traced(this.name, "sign", kid, undefined, async () => {
      this.#require(ProviderFeature.SIGN, "sign");
      const { version, signal } = this.#operationOptions("sign", kid, options);
      assertBoundedBytes(data, "data", LIMITS.maxMessageBytes);
      return this.#failover("sign", kid, version, "private", signal, {
        primary: (s) => this.#primary.sign(kid, data, versionOption(version, s)),
        secondary: async () => {
          const { location } = await this.#resolve(kid, version, signal);
          return this.#secondary.sign(location.kid, data, versionOption(location.version, signal));
        },
      });
    });
  }

  async verify(
    kid: string,
    data: Uint8Array,
    signature: Uint8Array,
    options?: KeyOperationOptions,
  ): Promise<boolean> {
    return traced(this.name, "verify", kid, undefined, async () => {
      this.#require(ProviderFeature.SIGN, "verify");
      const { version, signal } = this.#operationOptions("verify", kid, options);
      assertBoundedBytes(data, "data", LIMITS.maxMessageBytes);
      assertBytes(signature, "signature");
      return this.#failover("verify", kid, version, "public", signal, {
        primary: (s) => this.#primary.verify(kid, data, signature, versionOption(version, s)),
        secondary: async () => {
          const { location } = await this.#resolve(kid, version, signal);
          return this.#secondary.verify(
            location.kid,
            data,
            signature,
            versionOption(location.version, signal),
          );
        },
      });
    });
  }

  async encrypt(kid: string, plaintext: Uint8Array, options?: EncryptOptions): Promise<Uint8Array> {
    return traced(this.name, "encrypt", kid, undefined, async () => {
      this.#require(ProviderFeature.ENCRYPT, "encrypt");
      assertKid(kid);
      const read = readOptions(options, "encrypt options", ["version", "aad", "signal"]);
      const { version, aad, signal } = read;
      assertOptionalVersion(version, "options.version");
      if (aad !== undefined) assertBytes(aad, "options.aad");
      assertBoundedBytes(plaintext, "plaintext", LIMITS.maxPlaintextBytes);
      const extra = aad === undefined ? {} : { aad };
      return this.#failover("encrypt", kid, version, "public", signal, {
        primary: (s) => this.#primary.encrypt(kid, plaintext, { ...extra, ...versionOption(version, s) }),
        secondary: async () => {
          const { location } = await this.#resolve(kid, version, signal);
          // The envelope binds the kid: only a copy under the primary's own kid makes one the primary opens.
          if (location.mappings.length > 0) throw new KeyNotFoundError(kid, version);
          return this.#secondary.encrypt(kid, plaintext, {
            ...extra,
            ...versionOption(location.version, signal),
          });
        },
      });
    });
  }

  async decrypt(kid: string, ciphertext: Uint8Array, options?: DecryptOptions): Promise<Uint8Array> {
    return traced(this.name, "decrypt", kid, undefined, async () => {
      this.#require(ProviderFeature.ENCRYPT, "decrypt");
      assertKid(kid);
      const { aad, signal } = readOptions(options, "decrypt options", ["aad", "signal"]);
      if (aad !== undefined) assertBytes(aad, "options.aad");
      assertBytes(ciphertext, "ciphertext");
      const envelope = decodeEnvelope(ciphertext);
      if (envelope.kid !== kid) throw new DecryptionError();
      const extra = aad === undefined ? {} : { aad };
      return this.#failover("decrypt", kid, envelope.version, "private", signal, {
        primary: (s) => this.#primary.decrypt(kid, ciphertext, { ...extra, ...withSignal(s) }),
        secondary: async () => {
          const { location } = await this.#resolve(kid, envelope.version, signal);
          if (location.mappings.length > 0) throw new KeyNotFoundError(kid, envelope.version);
          return this.#secondary.decrypt(kid, ciphertext, { ...extra, ...withSignal(signal) });
        },
      });
    });
  }

  async deriveSharedSecret(
    kid: string,
    peerPublicKey: KeyInput,
    options?: KeyOperationOptions,
  ): Promise<Uint8Array> {
    return traced(this.name, "deriveSharedSecret", kid, undefined, async () => {
      this.#require(ProviderFeature.DERIVE, "derive shared secrets");
      const { version, signal } = this.#operationOptions("deriveSharedSecret", kid, options);
      if (peerPublicKey === undefined) throw new TypeError("deriveSharedSecret needs the peer's public key");
      return this.#failover("deriveSharedSecret", kid, version, "private", signal, {
        primary: (s) => this.#primary.deriveSharedSecret(kid, peerPublicKey, versionOption(version, s)),
        secondary: async () => {
          const { location } = await this.#resolve(kid, version, signal);
          return this.#secondary.deriveSharedSecret(
            location.kid,
            peerPublicKey,
            versionOption(location.version, signal),
          );
        },
      });
    });
  }

  async randomBytes(n: number, options?: CallOptions): Promise<Uint8Array> {
    return traced(this.name, "randomBytes", undefined, undefined, async () => {
      const { signal } = readOptions(options, "randomBytes options", ["signal"]);
      assertLength(n, "n", LIMITS.maxRandomBytes);
      return this.#failover("randomBytes", undefined, undefined, "read", signal, {
        primary: (s) => this.#primary.randomBytes(n, withSignal(s)),
        secondary: () => this.#secondary.randomBytes(n, withSignal(signal)),
      });
    });
  }

  async hkdf(ikm: Uint8Array, options: HkdfOptions): Promise<Uint8Array> {
    return traced(this.name, "hkdf", undefined, undefined, async () => {
      assertBytes(ikm, "ikm");
      if (options === undefined) throw new TypeError("hkdf options are required: { salt?, info?, length }");
      const read = readOptions(options, "hkdf options", ["salt", "info", "length", "signal"]);
      if (read.salt !== undefined) assertBytes(read.salt, "salt");
      if (read.info !== undefined) assertBytes(read.info, "info");
      assertLength(read.length, "length", LIMITS.maxHkdfLength);
      const { signal, ...rest } = read as HkdfOptions;
      return this.#failover("hkdf", undefined, undefined, "read", signal, {
        primary: (s) => this.#primary.hkdf(ikm, { ...rest, ...withSignal(s) }),
        secondary: () => this.#secondary.hkdf(ikm, { ...rest, ...withSignal(signal) }),
      });
    });
  }

  /**
   * Bring the secondary up to date from the primary, which must be reachable: copy every version
   * the mode mirrors that is missing (`listKeys`, `listVersions`, `getKey`), destroy the versions
   * and kids the primary no longer holds or reports unavailable (a revoked key leaves no copy a
   * restarted process could serve), and set each kid's primary pointer. Idempotent; a
   * complete run clears `degraded` and `failedMirrorCount`. Kids that fail are counted in
   * `failed` and leave the provider degraded.
   *
   * @example
   * ```ts
   * mirrored.on("mirrorFailed", () => void mirrored.resync().catch(() => {})); // or on a timer
   * const report = await mirrored.resync(); // { kids: 12, copied: 1, destroyed: 0, activated: 0, failed: 0 }
   * ```
   */
  async resync(options?: ResyncOptions): Promise<ResyncReport> {
    return traced(this.name, "resync", undefined, undefined, async () => {
      const { prune, signal } = readOptions(options, "resync options", ["prune", "signal"]);
      assertOptionalBoolean(prune, "options.prune");
      if (this.#mode === "none") {
        throw new NotSupportedError(
          'MirroredKeyProvider: mirrorMode "none" copies nothing, so there is nothing to resync',
        );
      }
      const counts: Counts = { kids: 0, copied: 0, destroyed: 0, activated: 0, failed: 0 };
      let kids: string[];
      try {
        kids = await this.#primary.listKeys(withSignal(signal));
      } catch (error) {
        this.#lastError = summarize("resync", error);
        throw error;
      }
      for (const kid of kids) {
        counts.kids += 1;
        try {
          await this.#serially(kid, () => this.#copies.syncKid(kid, counts, signal));
        } catch (error) {
          if (signal?.aborted === true) throw error;
          counts.failed += 1;
          this.#lastError = summarize("resync", error);
        }
      }
      if (prune ?? true) {
        try {
          await this.#copies.prune(new Set(kids), counts, signal);
        } catch (error) {
          if (signal?.aborted === true) throw error;
          counts.failed += 1;
          this.#lastError = summarize("resync", error);
        }
      }
      if (counts.failed === 0) {
        this.#degraded = false;
        this.#failedMirrorCount = 0;
      }
      const report: ResyncReport = Object.freeze({ ...counts });
      this.#listeners.emit("resynced", report);
      return report;
    });
  }

  // ---- failover -------------------------------------------------------------------------------

  /**
   * Run a call on the primary and, where the primary's error allows it (see `failoverReason`) and
   * the mode can serve it, on the secondary. When the secondary cannot serve it either, the
   * primary's error surfaces (or the secondary's `KeyUnavailableError`, a revocation).
   */
  async #failover<T>(
    operation: string,
    kid: string | undefined,
    version: number | undefined,
    scope: CallScope,
    signal: AbortSignal | undefined,
    calls: {
      readonly primary: (signal: AbortSignal | undefined) => Promise<T>;
      readonly secondary: (() => Promise<T>) | undefined;
    },
  ): Promise<T> {
    try {
      const result = await this.#onPrimary(calls.primary, signal);
      if (kid !== undefined) this.#revocations.forget(kid, version);
      return result;
    } catch (error) {
      if (signal?.aborted === true) throw error;
      if (KeyUnavailableError.isInstance(error)) {
        this.#revocations.note(kid ?? error.kid, error.version ?? version);
        throw error;
      }
      const reason = failoverReason(error, scope);
      if (
        reason === undefined ||
        !this.#failOpen ||
        calls.secondary === undefined ||
        (scope === "private" && this.#mode !== "full")
      ) {
        throw error;
      }
      let result: T;
      try {
        result = await calls.secondary();
      } catch (secondaryError) {
        throw KeyUnavailableError.isInstance(secondaryError) ? secondaryError : error;
      }
      this.#failoverCount += 1;
      this.#lastError = summarize(operation, error);
      if (reason === "not_found") this.#degraded = true;
      this.#listeners.emit("failover", {
        operation,
        kid,
        version,
        reason,
        primaryError: this.#lastError,
      });
      return result;
    }
  }

  /** Call the primary, giving up after `primaryTimeoutMs` with a retryable `ProviderUnavailableError`. */
  #onPrimary<T>(
    call: (signal: AbortSignal | undefined) => Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const timeoutMs = this.#timeoutMs;
    // Without a timeout the call is the primary's own promise: no extra async step on every read.
    if (timeoutMs === undefined) return call(signal);
    return this.#withTimeout(call, signal, timeoutMs);
  }

  async #withTimeout<T>(
    call: (signal: AbortSignal | undefined) => Promise<T>,
    signal: AbortSignal | undefined,
    timeoutMs: number,
  ): Promise<T> {
    const timeout = new AbortController();
    const combined = signal === undefined ? timeout.signal : AbortSignal.any([signal, timeout.signal]);
    const timer = setTimeout(() => {
      timeout.abort(
        new ProviderUnavailableError(`${this.#primary.name} did not answer within ${timeoutMs} ms`, {
          retryable: true,
        }),
      );
    }, timeoutMs);
    try {
      // A primary that ignores its signal is still left behind when the signal fires.
      return await new Promise<T>((resolve, reject) => {
        const abandon = () => reject(combined.reason as Error);
        combined.addEventListener("abort", abandon, { once: true });
        void call(combined)
          .then(resolve, reject)
          .finally(() => combined.removeEventListener("abort", abandon));
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Where the secondary keeps `kid` (and `version`, resolved through the secondary's primary
   * pointer when omitted), after checking the primary has not revoked it.
   */
  async #resolve(
    kid: string,
    version: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ location: Location & { readonly version: number }; version: number }> {
    const location = await this.#copies.locate(kid, version);
    if (location === undefined) throw new KeyNotFoundError(kid, version);
    const secondaryVersion =
      location.version ?? (await this.#secondary.getKey(location.kid, undefined, withSignal(signal))).version;
    const resolved = primaryVersion(location, secondaryVersion);
    if (resolved === undefined) throw new KeyNotFoundError(kid, version);
    const refusal = this.#revocations.refusal(kid, resolved);
    if (refusal === "destroyed") throw new KeyNotFoundError(kid, resolved);
    if (refusal === "revoked") {
      throw new KeyUnavailableError(kid, resolved, "reported unavailable by the primary");
    }
    return { location: { ...location, version: secondaryVersion }, version: resolved };
  }

  /**
   * Whether a copy the primary's JWK Set lacks may be published: only when the primary no longer
   * holds that version (a read the mirror fails over, DESIGN §7.4). A version the primary holds but
   * did not publish stays unpublished (the primary decides), and one it reports unavailable is a
   * revocation, remembered for later outages.
   */
  async #republishable(jwk: PublicJwk, signal: AbortSignal | undefined): Promise<boolean> {
    const { kid, version } = parseVersionedKid(jwk.kid);
    try {
      await this.#primary.getKey(kid, version, withSignal(signal));
      return false;
    } catch (error) {
      if (KeyUnavailableError.isInstance(error)) {
        this.#revocations.note(kid, error.version ?? version);
        return false;
      }
      if (!KeyNotFoundError.isInstance(error) || !this.#failOpen) return false;
      this.#failoverCount += 1;
      this.#degraded = true;
      this.#lastError = summarize("jwks", error);
      this.#listeners.emit("failover", {
        operation: "jwks",
        kid,
        version,
        reason: "not_found",
        primaryError: this.#lastError,
      });
      return true;
    }
  }

  // ---- mirroring ------------------------------------------------------------------------------

  /**
   * Run mirror work for a write the primary completed. A failure marks the provider degraded and
   * emits `mirrorFailed`; with `strictMirror` it also throws {@link MirrorWriteError}.
   */
  async #mirror(
    operation: string,
    kid: string,
    version: number | undefined,
    signal: AbortSignal | undefined,
    work: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await this.#serially(kid, work);
    } catch (error) {
      this.#degraded = true;
      this.#failedMirrorCount += 1;
      this.#lastError = summarize(operation, error);
      this.#listeners.emit("mirrorFailed", { operation, kid, version, error: this.#lastError });
      if (signal?.aborted === true) throw error;
      if (this.#strict) {
        throw new MirrorWriteError(operation, kid, version, `${this.#lastError.code}`, { cause: error });
      }
    }
  }

  /** Run `work` after the mirror work already queued for `kid`. */
  #serially<T>(kid: string, work: () => Promise<T>): Promise<T> {
    const run = (this.#queues.get(kid) ?? Promise.resolve()).then(work, work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(kid, settled);
    void settled.then(() => {
      if (this.#queues.get(kid) === settled) this.#queues.delete(kid);
    });
    return run;
  }

  // ---- checks ---------------------------------------------------------------------------------

  #operationOptions(
    operation: string,
    kid: string,
    options: KeyOperationOptions | undefined,
  ): { version: number | undefined; signal: AbortSignal | undefined } {
    assertKid(kid);
    const { version, signal } = readOptions(options, `${operation} options`, ["version", "signal"]);
    assertOptionalVersion(version, "options.version");
    return { version, signal };
  }

  /** Validate a spec and check that both sides support its class and algorithm. */
  #admit(spec: KeySpec, purpose: "create" | "import"): void {
    const normalized = validateKeySpec(spec, { purpose });
    const supported = this.#supported;
    const algOk = normalized.klass === "opaque" || supported.algs.includes(normalized.alg);
    if (!supported.class.includes(normalized.klass) || !algOk) {
      throw new UnsupportedAlgorithmError(
        normalized.alg,
        `${this.name} supports what both ${this.#primary.name} and ${this.#secondary.name} support: classes ${supported.class.join(", ") || "(none)"} and algorithms ${supported.algs.join(", ") || "(none)"}; got ${normalized.klass} ${normalized.alg}`,
      );
    }
  }

  #require(feature: Feature, what: string): void {
    if (!this.#supported.features.includes(feature)) {
      throw new NotSupportedError(
        `${this.name} cannot ${what}: ${this.#primary.name} and ${this.#secondary.name} do not both support it`,
      );
    }
  }

  #intersect(primary: ProviderSupports, secondary: ProviderSupports): ProviderSupports {
    const features: Feature[] = primary.features.filter(
      (feature) =>
        secondary.features.includes(feature) &&
        feature !== ProviderFeature.MIRROR &&
        feature !== ProviderFeature.FAILOVER,
    );
    if (this.#mode !== "none") features.push(ProviderFeature.MIRROR);
    if (this.#failOpen) features.push(ProviderFeature.FAILOVER);
    return Object.freeze({
      class: Object.freeze(primary.class.filter((klass) => secondary.class.includes(klass))),
      algs: Object.freeze(primary.algs.filter((alg) => secondary.algs.includes(alg))),
      features: Object.freeze(features),
    });
  }
}

function assertProvider(value: unknown, name: string): asserts value is KeyProvider {
  if (
    typeof value !== "object" ||
    value === null ||
    typeof (value as KeyProvider).supports !== "function" ||
    typeof (value as KeyProvider).getKey !== "function"
  ) {
    throw new TypeError(`MirroredKeyProvider: ${name} must be a KeyProvider, got ${describeType(value)}`);
  }
}

const versionOption = (
  version: number | undefined,
  signal: AbortSignal | undefined,
): KeyOperationOptions => ({
  ...(version === undefined ? {} : { version }),
  ...withSignal(signal),
});
