import {
  ALGORITHMS,
  algorithmInfo,
  assertBoundedBytes,
  assertBytes,
  assertOptionalBoolean,
  assertOptionalString,
  assertOptionalVersion,
  readOptions,
  traced,
  verifyWithKey,
  type OperationTrace,
  sealToPublicKey,
} from "@keyprovider/base";
import {
  KeyNotFoundError,
  KeyUsageError,
  LIMITS,
  NotSupportedError,
  ProviderFeature,
  RemoteJwksError,
  describeType,
  isValidKid,
  quoteForMessage,
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
  type KeyAlg,
  type KeyInput,
  type KeyOperationOptions,
  type KeyProvider,
  type KeyRef,
  type KeySpec,
  type ListKeysOptions,
  type ProviderSupports,
  type PublicJwk,
  type RotateKeyOptions,
} from "@keyprovider/core";
import { LocalKeyProvider } from "@keyprovider/local";
import {
  RemoteJwksSource,
  type LookupOptions,
  type RefreshOptions,
  type RemoteJwksStatus,
} from "./jwks-source.js";
import { createKeyResolver, type RemoteJwksKeyResolver } from "./key-resolver.js";
import { MAX_KID_LENGTH, algorithmsFor, type KeyPurpose, type RemoteJwk, type RemoteKey } from "./key-set.js";
import type {
  RemoteJwksChange,
  RemoteJwksErrorContext,
  RemoteJwksSourceOptions,
  RemoteJwksStaleEvent,
} from "./options.js";
import { remoteKeyRef, remotePublicJwk } from "./remote-key-ref.js";
import type { RemoteKeySelector } from "./jwks-source.js";
import { describeUrl } from "./url.js";

/**
 * Options of {@link RemoteJwksKeyProvider}: one object, the options of the fetch engine
 * ({@link RemoteJwksSourceOptions}): exactly one of `jwksUrl` and `issuer`, and every limit, timer and
 * callback with its default. The provider adds none of its own; its local keys need no settings.
 *
 * @example
 * ```ts
 * const options: RemoteJwksKeyProviderOptions = {
 *   issuer: "https://login.example.com",
 *   cacheTtlMs: 600_000,
 *   onStale: ({ error }) => log.warn(error.code),
 * };
 * ```
 */
export type RemoteJwksKeyProviderOptions = RemoteJwksSourceOptions;

/**
 * The `alg` option of the provider's reads and of `verify`: the JWS algorithm (`"PS256"`, or a
 * `KeyAlg`) the caller will use the key with, typically a token's header `alg`. Only a key that
 * serves it matches (otherwise `KeyNotFoundError`); for a remote RSA JWK without `alg`, it says
 * whether the key is read as RS256, PS384, … — which the key alone never says.
 *
 * @example
 * ```ts
 * await provider.verify(kid, signingInput, signature, { version: 1, alg: header.alg });
 * ```
 */
export interface AlgorithmOption {
  readonly alg?: string;
}

/**
 * What {@link RemoteJwksKeyProvider.on} listeners receive, by event: `change` when a fetch (or a
 * warm start) changed the remote set, `stale` when a refresh failed and the expired set stays in
 * service, `error` for every failed fetch, warm-start store error and listener exception.
 *
 * @example
 * ```ts
 * provider.on("change", ({ added, removed }: RemoteJwksEvents["change"]) => log.info(added.length, removed.length));
 * ```
 */
export interface RemoteJwksEvents {
  readonly change: RemoteJwksChange;
  readonly stale: RemoteJwksStaleEvent;
  readonly error: { readonly error: unknown; readonly during: RemoteJwksErrorContext["during"] };
}

/**
 * A remote JWK Set as the provider keeps it: the fetched keys' public members, `kid`, `alg`, `use`
 * and `key_ops`; never a private or symmetric key. `keys` is a fresh, mutable array, so it passes
 * straight to jose's `createLocalJWKSet`.
 *
 * @example
 * ```ts
 * const { keys }: RemoteJwkSet = await provider.remoteJwks();
 * ```
 */
export interface RemoteJwkSet {
  keys: RemoteJwk[];
}

/**
 * What `@keyprovider/jwt` reads from a provider that has it (see `JwtVerificationHints` there):
 * the issuer `verifyJwt` expects by default, and that reads take the token's `alg`.
 *
 * @example
 * ```ts
 * provider.jwtVerification; // { issuer: "https://login.example.com", algOption: true }
 * ```
 */
export interface RemoteJwtVerification {
  /** The configured `issuer`: `verifyJwt` expects it as `iss` unless its `issuer` option says otherwise. */
  readonly issuer: string | undefined;
  /** `getKey`, `getPublicJwk` and `verify` take `{ alg }`. */
  readonly algOption: true;
}

type Listener<E extends keyof RemoteJwksEvents> = (event: RemoteJwksEvents[E]) => void;

/** The provider's own keys: an embedded LocalKeyProvider that can say, without a trace, whether it holds a kid. */
class LocalKeys extends LocalKeyProvider {
  async holds(kid: string): Promise<boolean> {
    return isValidKid(kid) && (await this.listVersionNumbers(kid)) !== undefined;
  }
}

/**
 * A `KeyProvider` over an identity provider's JWK Set plus keys of its own. Its two namespaces never
 * mix (DESIGN §7.3):
 *
 * - **Local keys** live in an embedded `LocalKeyProvider`: `createKey`, `importKey`, `rotateKey`,
 *   `activateVersion`, `destroyKey`, `exportKey`, `jwks`, `randomBytes`, `hkdf` and every key
 *   operation on them behave exactly as there. `jwks()` publishes local keys only.
 * - **Remote keys** are fetched by {@link RemoteJwksSource} (single-flight, conditional requests,
 *   budgeted kid-miss refetches, backoff, a stale window, discovery). They are read through their own
 *   methods (`getRemoteKey`, `listRemoteKeys`, `remoteJwks`, `keyResolver`), and through `getKey`,
 *   `getPublicJwk`, `listVersions`, `verify` and `encrypt` for a kid the provider does not hold
 *   locally: a kid held locally never reads the remote set.
 *
 * Remote keys are public only: `verify` (and `encrypt` to RSA-OAEP-256 and X25519 keys) use the
 * fetched key; `sign`, `decrypt` and `deriveSharedSecret` are `NotSupportedError`. A remote `"k.2"`
 * is kid `k` version 2; any other remote kid (free-form, never used in a path or an API call) is
 * version 1. Construction validates the options and does no I/O.
 *
 * @example
 * ```ts
 * import { RemoteJwksKeyProvider } from "@keyprovider/remote-jwks";
 * import { jwtVerify } from "jose";
 *
 * const provider = new RemoteJwksKeyProvider({ issuer: "https://login.example.com" });
 * const { payload } = await jwtVerify(token, provider.keyResolver(), { issuer: "https://login.example.com" });
 * ```
 */
export class RemoteJwksKeyProvider implements KeyProvider {
  readonly name = "RemoteJwksKeyProvider";
  /** What `@keyprovider/jwt` reads: the issuer `verifyJwt` expects by default, and that reads take `{ alg }`. */
  readonly jwtVerification: RemoteJwtVerification;
  readonly #local = new LocalKeys();
  readonly #source: RemoteJwksSource;
  readonly #supports: ProviderSupports;
  readonly #listeners: { readonly [E in keyof RemoteJwksEvents]: Set<Listener<E>> } = {
    change: new Set(),
    stale: new Set(),
    error: new Set(),
  };

  /**
   * @param options `{ jwksUrl }` or `{ issuer }` and the engine's settings
   * ({@link RemoteJwksKeyProviderOptions}). Throws `TypeError`/`RangeError` for bad options and
   * `RemoteJwksError` (`ERR_REMOTE_JWKS_INSECURE_URL`) for a URL that is not `https:`.
   */
  constructor(options: RemoteJwksKeyProviderOptions) {
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
      throw new TypeError(
        `RemoteJwksKeyProvider needs options with a jwksUrl or an issuer, got ${describeType(options)}`,
      );
    }
    // Own properties only (the engine then refuses unknown ones), as every options object is read.
    const own: RemoteJwksSourceOptions = { ...options };
    const { onChange, onStale, onError } = own;
    for (const [name, callback] of [
      ["onChange", onChange],
      ["onStale", onStale],
      ["onError", onError],
    ] as const) {
      if (callback !== undefined && typeof callback !== "function") {
        throw new TypeError(`${name} must be a function, got ${describeType(callback)}`);
      }
    }
    this.#source = new RemoteJwksSource({
      ...own,
      onChange: (change) => this.#emit("change", change, onChange),
      onStale: (event) => this.#emit("stale", event, onStale),
      onError: (error, { during }) =>
        this.#emit("error", { error, during }, onError && ((event) => onError(event.error, { during }))),
    });
    this.jwtVerification = Object.freeze({ issuer: this.#source.status().issuer, algOption: true });
    const local = this.#local.supports();
    this.#supports = Object.freeze({
      ...local,
      features: Object.freeze([...local.features, ProviderFeature.REMOTE]),
    });
  }

  supports(): ProviderSupports {
    return this.#supports;
  }

  // ---- Local keys: lifecycle, publication and utilities -------------------------------------

  async createKey(spec: KeySpec, options?: CallOptions): Promise<KeyRef> {
    return this.#traced("createKey", undefined, undefined, () => this.#local.createKey(spec, options));
  }

  async importKey(spec: KeySpec, material?: KeyInput, options?: ImportKeyOptions): Promise<KeyRef> {
    return this.#traced("importKey", undefined, undefined, () =>
      this.#local.importKey(spec, material, options),
    );
  }

  async rotateKey(kid: string, options?: RotateKeyOptions): Promise<KeyRef> {
    return this.#traced("rotateKey", kid, undefined, () => this.#local.rotateKey(kid, options));
  }

  async activateVersion(kid: string, version: number, options?: CallOptions): Promise<KeyRef> {
    return this.#traced("activateVersion", kid, version, () =>
      this.#local.activateVersion(kid, version, options),
    );
  }

  /** Destroys local keys only; a remote kid is `false` (the identity provider owns its keys). */
  async destroyKey(kid: string, version?: number, options?: CallOptions): Promise<boolean> {
    return this.#traced("destroyKey", kid, version, () => this.#local.destroyKey(kid, version, options));
  }

  /** Exports local keys only; a remote key's public key is `getPublicJwk` or `getRemoteKey`. */
  exportKey(kid: string, options: ExportKeyOptions & { readonly format: "pem" }): Promise<string>;
  exportKey(kid: string, options: ExportKeyOptions & { readonly format: "der" }): Promise<Uint8Array>;
  exportKey(kid: string, options: ExportKeyOptions & { readonly format: "jwk" }): Promise<Jwk>;
  async exportKey(kid: string, options: ExportKeyOptions): Promise<string | Uint8Array | Jwk> {
    return this.#traced("exportKey", kid, options?.version, () =>
      this.#local.exportKey(kid, options as ExportKeyOptions & { readonly format: "jwk" }),
    );
  }

  /** The local keys' JWK Set: remote keys are never republished (read them with `remoteJwks()`). */
  async jwks(options?: JwksOptions): Promise<Jwks> {
    return this.#traced("jwks", undefined, undefined, () => this.#local.jwks(options));
  }

  async randomBytes(n: number, options?: CallOptions): Promise<Uint8Array> {
    return this.#traced("randomBytes", undefined, undefined, () => this.#local.randomBytes(n, options));
  }

  async hkdf(ikm: Uint8Array, options: HkdfOptions): Promise<Uint8Array> {
    return this.#traced("hkdf", undefined, undefined, () => this.#local.hkdf(ikm, options));
  }

  // ---- Reads: the local key when held, else the remote one -----------------------------------

  /**
   * A local key when the provider holds `kid`, else the remote key: a verification-only (or, for
   * RSA-OAEP-256 and X25519 JWKs, encryption-only) `KeyRef` with policy `public_only`, status
   * `primary` for the kid's highest version. An unknown version is `KeyNotFoundError`, never another
   * version. A remote RSA JWK without `alg` serves several algorithms: pass `{ alg }` to say which
   * (without it the read is `ERR_REMOTE_JWKS_AMBIGUOUS_KID`).
   */
  async getKey(kid: string, version?: number, options?: GetKeyOptions & AlgorithmOption): Promise<KeyRef> {
    return this.#traced("getKey", kid, version, async (trace) => {
      const { alg, includeSecret, signal } = readOptions(options, "getKey options", [
        "alg",
        "includeSecret",
        "signal",
      ]);
      assertOptionalBoolean(includeSecret, "includeSecret");
      assertOptionalString(alg, "alg");
      if (await this.#holds(kid)) {
        const ref = await this.#local.getKey(kid, version, {
          ...(includeSecret === undefined ? {} : { includeSecret }),
          ...withSignal(signal),
        });
        assertLocalAlg(ref, alg);
        return ref;
      }
      assertOptionalVersion(version);
      const found = await this.#remote(kid, version, alg, "any", signal);
      trace.version = found.key.version;
      return remoteKeyRef(found.key, found.alg, found.primary, this.#setUrl());
    });
  }

  /**
   * A local key's published JWK when the provider holds `kid`, else the remote JWK as fetched
   * (public members and its own `kid`), with the `alg` and `use` of the algorithm it serves.
   */
  async getPublicJwk(
    kid: string,
    version?: number,
    options?: CallOptions & AlgorithmOption,
  ): Promise<PublicJwk> {
    return this.#traced("getPublicJwk", kid, version, async (trace) => {
      const { alg, signal } = readOptions(options, "getPublicJwk options", ["alg", "signal"]);
      assertOptionalString(alg, "alg");
      if (await this.#holds(kid)) {
        if (alg !== undefined)
          assertLocalAlg(await this.#local.getKey(kid, version, withSignal(signal)), alg);
        return this.#local.getPublicJwk(kid, version, withSignal(signal));
      }
      assertOptionalVersion(version);
      const found = await this.#remote(kid, version, alg, "any", signal);
      trace.version = found.key.version;
      return remotePublicJwk(found.key, found.alg);
    });
  }

  /** The local kid's live versions, or the versions the remote set has for the kid, ascending. */
  async listVersions(kid: string, options?: CallOptions): Promise<number[]> {
    return this.#traced("listVersions", kid, undefined, async () => {
      const { signal } = readOptions(options, "listVersions options", ["signal"]);
      if (await this.#holds(kid)) return this.#local.listVersions(kid, options);
      const usable = await this.#remoteVersions(kid, signal);
      return [...new Set(usable.map((key) => key.version))].sort((a, b) => a - b);
    });
  }

  /**
   * Local kids and the kids of the remote set (those with a usable key), sorted, each once. Fails
   * with the engine's `RemoteJwksError` when no remote set can be served.
   */
  async listKeys(options?: ListKeysOptions): Promise<string[]> {
    return this.#traced("listKeys", undefined, undefined, async () => {
      const { prefix, signal } = readOptions(options, "listKeys options", ["prefix", "signal"]);
      assertOptionalString(prefix, "prefix");
      const kids = new Set(await this.#local.listKeys(options));
      for (const key of await this.#source.keys(withSignal(signal))) {
        if (key.kid !== undefined && key.kid.startsWith(prefix ?? "") && usable(key, "any"))
          kids.add(key.kid);
      }
      return [...kids].sort();
    });
  }

  // ---- Key operations --------------------------------------------------------------------------

  /** Signs with a local key; a remote key is `NotSupportedError` (the provider never holds its private half). */
  async sign(kid: string, data: Uint8Array, options?: KeyOperationOptions): Promise<Uint8Array> {
    return this.#traced("sign", kid, options?.version, async () => {
      if (await this.#holds(kid)) return this.#local.sign(kid, data, options);
      const { version } = readOptions(options, "sign options", ["version", "signal"]);
      assertOptionalVersion(version, "options.version");
      assertBoundedBytes(data, "data", LIMITS.maxMessageBytes);
      throw await this.#publicOnly(kid, version, "sign");
    });
  }

  /**
   * Verifies with a local key, or with the fetched public key of a remote one. A remote key verifies
   * only if its JWK allows it (`use` absent or `"sig"`, `key_ops` absent or with `"verify"`; else
   * `KeyUsageError`); an RSA JWK without `alg` needs `{ alg }`. A bad signature is `false`.
   */
  async verify(
    kid: string,
    data: Uint8Array,
    signature: Uint8Array,
    options?: KeyOperationOptions & AlgorithmOption,
  ): Promise<boolean> {
    return this.#traced("verify", kid, options?.version, async (trace) => {
      const { version, alg, signal } = readOptions(options, "verify options", ["version", "alg", "signal"]);
      assertOptionalString(alg, "alg");
      if (await this.#holds(kid)) {
        if (alg !== undefined)
          assertLocalAlg(await this.#local.getKey(kid, version, withSignal(signal)), alg);
        return this.#local.verify(kid, data, signature, {
          ...(version === undefined ? {} : { version }),
          ...withSignal(signal),
        });
      }
      assertOptionalVersion(version, "options.version");
      assertBoundedBytes(data, "data", LIMITS.maxMessageBytes);
      assertBytes(signature, "signature");
      const found = await this.#remote(kid, version, alg, "verify", signal);
      trace.version = found.key.version;
      return verifyWithKey(found.alg, found.key.publicKey, data, signature);
    });
  }

  /**
   * Encrypts to a local key, or to a remote RSA-OAEP-256 or X25519 key whose JWK allows it, into the
   * keyprovider envelope (the same bytes a local key of that kid and version would make), so the
   * key's holder decrypts it with `decrypt`. The remote kid must be one a keyprovider provider can
   * hold (`NotSupportedError` otherwise).
   */
  async encrypt(kid: string, plaintext: Uint8Array, options?: EncryptOptions): Promise<Uint8Array> {
    return this.#traced("encrypt", kid, options?.version, async (trace) => {
      if (await this.#holds(kid)) return this.#local.encrypt(kid, plaintext, options);
      const { version, aad, signal } = readOptions(options, "encrypt options", ["version", "aad", "signal"]);
      assertOptionalVersion(version, "options.version");
      if (aad !== undefined) assertBytes(aad, "options.aad");
      assertBoundedBytes(plaintext, "plaintext", LIMITS.maxPlaintextBytes);
      const found = await this.#remote(kid, version, undefined, "encrypt", signal);
      trace.version = found.key.version;
      if (!isValidKid(found.key.kid)) {
        throw new NotSupportedError(
          `Remote key ${quoteForMessage(kid)} has a kid no keyprovider provider can hold, so nobody could decrypt a keyprovider envelope made for it`,
        );
      }
      return sealToPublicKey(
        found.alg as "RSA_OAEP_SHA256" | "X25519",
        found.key.kid,
        found.key.version,
        found.key.publicKey,
        plaintext,
        aad,
      );
    });
  }

  /** Decrypts with a local key; a remote key is `NotSupportedError`. */
  async decrypt(kid: string, ciphertext: Uint8Array, options?: DecryptOptions): Promise<Uint8Array> {
    return this.#traced("decrypt", kid, undefined, async () => {
      if (await this.#holds(kid)) return this.#local.decrypt(kid, ciphertext, options);
      const { aad } = readOptions(options, "decrypt options", ["aad", "signal"]);
      if (aad !== undefined) assertBytes(aad, "options.aad");
      assertBytes(ciphertext, "ciphertext");
      throw await this.#publicOnly(kid, undefined, "decrypt");
    });
  }

  /** Agrees with a local X25519 key; a remote key is `NotSupportedError`. */
  async deriveSharedSecret(
    kid: string,
    peerPublicKey: KeyInput,
    options?: KeyOperationOptions,
  ): Promise<Uint8Array> {
    return this.#traced("deriveSharedSecret", kid, options?.version, async () => {
      if (await this.#holds(kid)) return this.#local.deriveSharedSecret(kid, peerPublicKey, options);
      const { version } = readOptions(options, "deriveSharedSecret options", ["version", "signal"]);
      assertOptionalVersion(version, "options.version");
      if (peerPublicKey === undefined) throw new TypeError("deriveSharedSecret needs the peer's public key");
      throw await this.#publicOnly(kid, version, "derive shared secrets");
    });
  }

  // ---- The remote set, on its own -------------------------------------------------------------

  /**
   * A key of the remote set, whatever the provider holds locally: `{ kid, version, alg, purpose }`
   * as {@link RemoteJwksSource.getKey} takes them (`kid` omitted: a JWK without one).
   *
   * @example
   * ```ts
   * const key = await provider.getRemoteKey({ kid: "2024-06", alg: "RS256" });
   * key.publicKey; // a node:crypto KeyObject
   * ```
   */
  async getRemoteKey(selector: RemoteKeySelector, options?: LookupOptions): Promise<RemoteKey> {
    return this.#traced("getRemoteKey", selector?.kid, selector?.version, () =>
      this.#source.getKey(selector, options),
    );
  }

  /**
   * Every key of the remote set that can be served now (including keys used for nothing, whose
   * `verifyAlgs` and `encryptAlgs` are empty), fetching it if needed.
   *
   * @example
   * ```ts
   * for (const key of await provider.listRemoteKeys()) console.log(key.jwk.kid, key.verifyAlgs);
   * ```
   */
  async listRemoteKeys(options?: LookupOptions): Promise<readonly RemoteKey[]> {
    return this.#traced("listRemoteKeys", undefined, undefined, () => this.#source.keys(options));
  }

  /**
   * The remote JWK Set as kept: every fetched key's public members, `kid`, `alg`, `use` and
   * `key_ops`, never a private or symmetric key.
   *
   * @example
   * ```ts
   * const local = createLocalJWKSet(await provider.remoteJwks()); // jose
   * ```
   */
  async remoteJwks(options?: LookupOptions): Promise<RemoteJwkSet> {
    return this.#traced("remoteJwks", undefined, undefined, async () => ({
      keys: (await this.#source.keys(options)).map((key) => ({ ...key.jwk })),
    }));
  }

  /**
   * A key resolver for jose's `jwtVerify(token, resolver)`: remote keys only, selected by the
   * token's `kid` (`"k.2"`: kid `k` version 2; `"k"`: version 1) and `alg` (an RSA JWK without `alg`
   * verifies RS256 or PS256 as the header says). `alg: none` and HMAC tokens are refused; `jwk`,
   * `jku`, `x5u` and `x5c` are never read; an unknown kid costs at most the engine's budgeted
   * kid-miss refetch. Refusals are `InvalidTokenError`; an unreachable set is `RemoteJwksError`.
   *
   * @example
   * ```ts
   * const { payload } = await jwtVerify(token, provider.keyResolver(), { issuer, audience, requiredClaims: ["exp"] });
   * ```
   */
  keyResolver(): RemoteJwksKeyResolver {
    return createKeyResolver(this.#source);
  }

  /**
   * Make sure the remote set is fresh (no request while it is); `force: true` fetches now, even while
   * backing off. Rejects with the `RemoteJwksError` of a failed fetch; the last good set stays in
   * service.
   *
   * @example
   * ```ts
   * await provider.refresh({ force: true }); // after the identity provider announced a rotation
   * ```
   */
  async refresh(options?: RefreshOptions): Promise<void> {
    return this.#source.refresh(options);
  }

  /**
   * A snapshot of the remote set: URL, issuer, `fresh`/`stale`/`empty`, key count, skipped keys,
   * ETag, fetch times, last error, backoff and request count.
   *
   * @example
   * ```ts
   * app.get("/health", (_req, res) => res.json(provider.status()));
   * ```
   */
  status(): RemoteJwksStatus {
    return this.#source.status();
  }

  /**
   * Listen to an event of the remote set: `change` (`{ added, removed }`), `stale` (a refresh failed
   * and the expired set stays in service), `error` (`{ error, during }`). Returns the function that
   * removes the listener. Listeners run synchronously; an exception in one is reported as an
   * `error` event with `during: "callback"`.
   *
   * @example
   * ```ts
   * const off = provider.on("stale", ({ error, staleUntil }) => log.warn(error.code, new Date(staleUntil)));
   * off();
   * ```
   */
  on<E extends keyof RemoteJwksEvents>(event: E, listener: Listener<E>): () => void {
    if (!Object.hasOwn(this.#listeners, event)) {
      throw new TypeError('event must be "change", "stale" or "error"');
    }
    const listeners = this.#listeners[event] as Set<Listener<E>>;
    if (typeof listener !== "function") {
      throw new TypeError(`listener must be a function, got ${describeType(listener)}`);
    }
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }

  /**
   * Stop the remote set's refresh-ahead timer (which is `unref`'d anyway). The provider still works,
   * fetching on demand.
   *
   * @example
   * ```ts
   * process.on("SIGTERM", () => provider.close());
   * ```
   */
  close(): void {
    this.#source.close();
  }

  /** Call the configured callback and every listener; rethrow the first exception so the engine reports it. */
  #emit<E extends keyof RemoteJwksEvents>(
    event: E,
    payload: RemoteJwksEvents[E],
    callback: Listener<E> | undefined,
  ): void {
    let failure: { error: unknown } | undefined;
    for (const listener of [...(callback === undefined ? [] : [callback]), ...this.#listeners[event]]) {
      try {
        listener(payload);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  }

  #traced<T>(
    operation: string,
    kid: unknown,
    version: unknown,
    fn: (trace: OperationTrace) => Promise<T>,
  ): Promise<T> {
    return traced(
      this.name,
      operation,
      typeof kid === "string" ? kid : undefined,
      typeof version === "number" ? version : undefined,
      async (trace) => {
        const result = await fn(trace);
        // A KeyRef says which kid and version the call made or read (a new kid, the primary's number).
        if (isKeyRef(result)) {
          trace.kid = result.kid;
          trace.version = result.version;
        }
        return result;
      },
    );
  }

  /** Whether the kid is a local one (checked before anything remote, so a local kid never reads the remote set). */
  async #holds(kid: unknown): Promise<boolean> {
    if (typeof kid !== "string") throw new TypeError(`kid must be a string, got ${describeType(kid)}`);
    return this.#local.holds(kid);
  }

  /** The remote key a read or an operation uses, the algorithm it is used with, and the kid's primary. */
  async #remote(
    kid: string,
    version: number | undefined,
    alg: string | undefined,
    purpose: KeyPurpose,
    signal: AbortSignal | undefined,
  ): Promise<{ key: RemoteKey & { readonly kid: string }; alg: KeyAlg; primary: number }> {
    if (kid.length === 0 || kid.length > MAX_KID_LENGTH) throw new KeyNotFoundError(kid, version);
    const lookup = withSignal(signal);
    let key: RemoteKey;
    try {
      key = await this.#source.getKey({ kid, version, alg, purpose }, lookup);
    } catch (error) {
      if (KeyNotFoundError.isInstance(error) && purpose !== "any" && alg === undefined) {
        // A key that exists but is for something else is a use the key does not allow.
        const other = (await this.#source.keys(lookup)).find(
          (candidate) => candidate.kid === kid && (version === undefined || candidate.version === version),
        );
        if (other !== undefined) {
          throw new KeyUsageError(
            kid,
            other.version,
            purpose,
            `Remote key ${quoteForMessage(kid)} version ${other.version} does not allow "${purpose}" (its JWK's alg, use or key_ops say so)`,
          );
        }
      }
      throw error;
    }
    const algs = algorithmsFor(key, purpose);
    const chosen = alg === undefined ? (algs.length === 1 ? algs[0] : undefined) : algorithmInfo(alg)?.alg;
    if (chosen === undefined) {
      const url = this.#setUrl();
      throw new RemoteJwksError(
        "ERR_REMOTE_JWKS_AMBIGUOUS_KID",
        `Remote key ${quoteForMessage(kid)} version ${key.version} names no alg and serves ${algs.map((a) => ALGORITHMS[a].jose).join(", ")}; pass { alg } (a token's header alg) to say which`,
        url === undefined ? undefined : { url },
      );
    }
    const versions = (await this.#source.keys(lookup))
      .filter((candidate) => candidate.kid === kid && usable(candidate, "any"))
      .map((candidate) => candidate.version);
    return { key: key as RemoteKey & { readonly kid: string }, alg: chosen, primary: Math.max(...versions) };
  }

  /** The usable remote keys of a kid (after a budgeted refetch if the set has none), or `KeyNotFoundError`. */
  async #remoteVersions(kid: string, signal: AbortSignal | undefined): Promise<RemoteKey[]> {
    if (kid.length === 0 || kid.length > MAX_KID_LENGTH) throw new KeyNotFoundError(kid);
    const lookup = withSignal(signal);
    try {
      await this.#source.getKey({ kid, purpose: "any" }, lookup);
    } catch (error) {
      // Two keys of one version are still versions of the kid.
      if (!RemoteJwksError.isInstance(error) || error.code !== "ERR_REMOTE_JWKS_AMBIGUOUS_KID") throw error;
    }
    return (await this.#source.keys(lookup)).filter((key) => key.kid === kid && usable(key, "any"));
  }

  /** `NotSupportedError` for a private-key operation on a remote key, `KeyNotFoundError` for a kid nobody holds. */
  async #publicOnly(kid: string, version: number | undefined, what: string): Promise<Error> {
    let held: boolean;
    try {
      const keys = kid.length > 0 && kid.length <= MAX_KID_LENGTH ? await this.#source.keys() : [];
      held = keys.some((key) => key.kid === kid && (version === undefined || key.version === version));
    } catch (error) {
      return new KeyNotFoundError(kid, version, { cause: error });
    }
    if (!held) return new KeyNotFoundError(kid, version);
    return new NotSupportedError(
      `Key ${quoteForMessage(kid)} is a key of the remote JWK Set: ${this.name} holds only its public key, so it cannot ${what}`,
    );
  }

  /** The held set's URL for `KeyRef.uri` and messages, without its query (which may carry a credential). */
  #setUrl(): string | undefined {
    const url = this.#source.status().url;
    return url === undefined ? undefined : describeUrl(url);
  }
}

function isKeyRef(value: unknown): value is KeyRef {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as KeyRef).kid === "string" &&
    typeof (value as KeyRef).version === "number" &&
    typeof (value as KeyRef).fingerprint === "string"
  );
}

function withSignal(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}

function usable(key: RemoteKey, purpose: KeyPurpose): boolean {
  return algorithmsFor(key, purpose).length > 0;
}

/** With `alg`, a local key matches only if it is that algorithm (the same filter as for remote keys). */
function assertLocalAlg(ref: KeyRef, alg: string | undefined): void {
  if (alg !== undefined && algorithmInfo(alg)?.alg !== ref.alg) {
    throw new KeyNotFoundError(ref.kid, ref.version);
  }
}
