import {
  InvalidKeySpecError,
  KeyClass,
  NotSupportedError,
  ProviderFeature,
  UnsupportedAlgorithmError,
  quoteForMessage,
  type GetKeyOptions,
  type HkdfOptions,
  type ImportKeyOptions,
  type Jwks,
  type JwksOptions,
  type KeyProvider,
  type KeyRef,
  type KeySpec,
  type ListKeysOptions,
  type ProviderSupports,
  type PublicJwk,
  type RotateKeyOptions,
} from "@keyprovider/core";
import { mayReturnSecret, type SecretOrigin } from "./export-policy.js";
import {
  assertBytes,
  assertKid,
  assertNewKid,
  assertOptionalBoolean,
  assertOptionalString,
  assertOptionalVersion,
  readOptions,
} from "./guards.js";
import { hkdf } from "./hkdf.js";
import { publishedJwk } from "./jwk.js";
import { createKeyRef } from "./key-ref.js";
import type { ImportInput, KeyMaterial } from "./key-material.js";
import { rotationSpec, validateKeySpec, type NormalizedKeySpec } from "./key-spec.js";
import { newKid, randomBytes } from "./random.js";
import { VersionStore } from "./version-store.js";

/**
 * One stored version of a key.
 *
 * @example
 * ```ts
 * const { spec, material, jwk } = record;
 * ```
 */
export interface StoredKeyVersion<M extends KeyMaterial = KeyMaterial> {
  readonly kid: string;
  readonly version: number;
  readonly spec: NormalizedKeySpec;
  readonly material: M;
  /** The published JWK, built once when the version is stored. */
  readonly jwk: PublicJwk | undefined;
}

/**
 * The whole `KeyProvider` lifecycle for providers that hold keys in process memory: argument
 * checks, spec validation against `supports()`, a version store that keeps concurrent rotations
 * distinct and consecutive, the export-policy gate, frozen secret-safe `KeyRef`s, cached JWKs,
 * JWKS filtering, `randomBytes` and `hkdf`. A subclass says what it supports and how to make and
 * parse key material.
 *
 * @example
 * ```ts
 * class MyKeyProvider extends KeyProviderBase {
 *   readonly name = "MyKeyProvider";
 *   supports() {
 *     return { class: ["sym"], algs: ["AES256_GCM"], features: ["create", "rotate", "destroy"] } as const;
 *   }
 *   protected async generateMaterial(spec) { return secretKeyMaterial(randomBytes(32)); }
 *   protected async importMaterial() { throw new NotSupportedError("no imports"); }
 * }
 * ```
 */
export abstract class KeyProviderBase<M extends KeyMaterial = KeyMaterial> implements KeyProvider {
  /** The provider's canonical name, used in error messages. */
  abstract readonly name: string;
  readonly #store = new VersionStore<StoredKeyVersion<M>>();
  #supported: ProviderSupports | undefined;

  abstract supports(): ProviderSupports;

  /** Fresh material for a new key or a rotation; `previous` is the latest version when rotating. */
  protected abstract generateMaterial(spec: NormalizedKeySpec, previous?: M): Promise<M>;

  /** Parse caller bytes into material, refusing what does not fit the spec. */
  protected abstract importMaterial(spec: NormalizedKeySpec, input: ImportInput): Promise<M>;

  async createKey(spec: KeySpec): Promise<KeyRef> {
    this.#require(ProviderFeature.CREATE, "create keys");
    const normalized = this.#admit(spec, "create");
    const material = await this.generateMaterial(normalized);
    let kid = newKid();
    while (this.#store.has(kid)) kid = newKid();
    const record = this.#store.add(kid, 1, (version) => this.#record(kid, version, normalized, material));
    return this.#ref(record, "create");
  }

  async importKey(spec: KeySpec, material?: Uint8Array, options?: ImportKeyOptions): Promise<KeyRef> {
    this.#require(ProviderFeature.IMPORT, "import keys");
    const {
      public: publicBytes,
      kid: chosenKid,
      version,
    } = readOptions(options, "importKey options", ["public", "kid", "version"]);
    if (material !== undefined) assertBytes(material, "material");
    if (publicBytes !== undefined) assertBytes(publicBytes, "options.public");
    if (chosenKid !== undefined) assertNewKid(chosenKid, "options.kid");
    assertOptionalVersion(version, "options.version");
    if (material === undefined && publicBytes === undefined) {
      throw new TypeError("importKey needs material, options.public, or both");
    }
    const normalized = this.#admit(spec, "import");
    const imported = await this.importMaterial(normalized, {
      ...(material === undefined ? {} : { material }),
      ...(publicBytes === undefined ? {} : { public: publicBytes }),
    });
    const stored =
      imported.sizeBits === undefined || imported.sizeBits === normalized.sizeBits
        ? normalized
        : Object.freeze({ ...normalized, sizeBits: imported.sizeBits });
    let kid = chosenKid;
    if (kid === undefined) {
      kid = newKid();
      while (this.#store.has(kid)) kid = newKid();
    } else if (this.#store.has(kid)) {
      const existing = this.#store.get(kid).spec;
      if (existing.alg !== stored.alg || existing.klass !== stored.klass) {
        throw new InvalidKeySpecError(
          "alg",
          `KeySpec.alg: kid ${quoteForMessage(kid)} holds ${existing.klass} ${existing.alg} keys; a new version must be the same, got ${stored.klass} ${stored.alg}`,
        );
      }
    }
    const finalKid = kid;
    const record = this.#store.add(finalKid, version, (chosen) =>
      this.#record(finalKid, chosen, stored, imported),
    );
    return this.#ref(record, "import");
  }

  async rotateKey(kid: string, options?: RotateKeyOptions): Promise<KeyRef> {
    this.#require(ProviderFeature.ROTATE, "rotate keys");
    assertKid(kid);
    const { specOverrides } = readOptions(options, "rotateKey options", ["specOverrides"]);
    const token = this.#store.token(kid);
    const latest = this.#store.get(kid);
    if (latest.material.exportSecret === undefined) {
      // A key imported without its secret (someone else's public key) has no next version we could make.
      throw new NotSupportedError(
        `Key ${quoteForMessage(kid)} was imported without its secret, so ${this.name} cannot make its next version; import it with importKey(spec, material?, { public, kid })`,
      );
    }
    const spec = rotationSpec(latest.spec, specOverrides);
    this.#checkSupported(spec);
    const material = await this.generateMaterial(spec, latest.material);
    // The number is taken only now, synchronously, so parallel rotations stay consecutive; the token
    // refuses a kid that was destroyed (and perhaps re-created) while the material was generated.
    const record = this.#store.add(
      kid,
      undefined,
      (version) => this.#record(kid, version, spec, material),
      token,
    );
    return this.#ref(record, "rotate");
  }

  async destroyKey(kid: string, version?: number): Promise<boolean> {
    this.#require(ProviderFeature.DESTROY, "destroy keys");
    assertKid(kid);
    assertOptionalVersion(version);
    return this.#store.delete(kid, version);
  }

  async getKey(kid: string, version?: number, options?: GetKeyOptions): Promise<KeyRef> {
    assertKid(kid);
    assertOptionalVersion(version);
    const { includeSecret } = readOptions(options, "getKey options", ["includeSecret"]);
    assertOptionalBoolean(includeSecret, "includeSecret");
    return this.#ref(this.#store.get(kid, version), "get", includeSecret);
  }

  async listVersions(kid: string): Promise<number[]> {
    assertKid(kid);
    return this.#store.versions(kid);
  }

  async listKeys(options?: ListKeysOptions): Promise<string[]> {
    const { prefix } = readOptions(options, "listKeys options", ["prefix"]);
    assertOptionalString(prefix, "prefix");
    return this.#store.kids(prefix);
  }

  async getPublicJwk(kid: string, version?: number): Promise<PublicJwk> {
    this.#require(ProviderFeature.JWKS, "publish JWKs");
    assertKid(kid);
    assertOptionalVersion(version);
    const record = this.#store.get(kid, version);
    if (record.jwk === undefined) {
      throw new NotSupportedError(
        `Key ${quoteForMessage(kid)} is ${record.spec.klass === KeyClass.opaque ? "opaque" : "symmetric"} (${record.spec.alg}); only asymmetric keys have a public JWK`,
      );
    }
    return { ...record.jwk };
  }

  async jwks(options?: JwksOptions): Promise<Jwks> {
    this.#require(ProviderFeature.JWKS, "publish JWKs");
    const { prefixKids, allVersions } = readOptions(options, "jwks options", ["prefixKids", "allVersions"]);
    assertOptionalString(prefixKids, "prefixKids");
    assertOptionalBoolean(allVersions, "allVersions");
    const keys: PublicJwk[] = [];
    for (const kid of this.#store.kids(prefixKids)) {
      const versions = allVersions === true ? this.#store.versions(kid) : [undefined];
      for (const version of versions) {
        const jwk = this.#store.get(kid, version).jwk;
        if (jwk !== undefined) keys.push({ ...jwk });
      }
    }
    return { keys };
  }

  async randomBytes(n: number): Promise<Uint8Array> {
    return randomBytes(n);
  }

  async hkdf(ikm: Uint8Array, options: HkdfOptions): Promise<Uint8Array> {
    return hkdf(ikm, options);
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

  #require(feature: ProviderFeature, what: string): void {
    const supported = (this.#supported ??= this.supports());
    if (!supported.features.includes(feature)) {
      throw new NotSupportedError(`${this.name} cannot ${what}`);
    }
  }

  #record(kid: string, version: number, spec: NormalizedKeySpec, material: M): StoredKeyVersion<M> {
    const jwk =
      material.publicJwk === undefined ? undefined : publishedJwk(material.publicJwk, kid, version, spec.alg);
    return Object.freeze({ kid, version, spec, material, jwk });
  }

  #ref(record: StoredKeyVersion<M>, origin: SecretOrigin, includeSecret?: boolean): KeyRef {
    const { spec, material } = record;
    const secret =
      material.exportSecret !== undefined && mayReturnSecret(spec.exportPolicy, origin, includeSecret)
        ? material.exportSecret()
        : undefined;
    const ref = createKeyRef({
      kid: record.kid,
      version: record.version,
      type: spec.type,
      uses: spec.uses,
      exportPolicy: spec.exportPolicy,
      alg: spec.alg,
      public: material.public,
      material: secret,
      tags: spec.tags,
      fingerprint: material.fingerprint,
    });
    secret?.fill(0); // createKeyRef kept its own copy
    return ref;
  }
}
