import { createSecretKey } from "node:crypto";
import { KeyClass, KeyExistsError, KeyNotFoundError } from "@keyprovider/core";
import { b64url } from "./base64url.js";
import {
  KeyProviderBase,
  type CreateVersionRequest,
  type ImportVersionRequest,
  type StoredVersion,
  type VersionListing,
  type VersionRecord,
} from "./key-provider-base.js";
import { generateKeys } from "./key-generation.js";
import { assertSameKind } from "./key-spec.js";
import { publicRandomBytes } from "./random.js";
import { VersionStore } from "./version-store.js";

/**
 * `KeyProviderBase` over a {@link VersionStore} in process memory: keys are made with `node:crypto`
 * and held as `KeyObject`s, and the key operations run on them. Version numbers are taken
 * synchronously when a record is stored, so concurrent rotations stay distinct and consecutive, and
 * a rotation refuses a kid that was destroyed while its key was being generated. InMemory and Local
 * extend it and only say what they support.
 *
 * @example
 * ```ts
 * class MyVolatileProvider extends InProcessKeyProvider {
 *   readonly name = "MyVolatileProvider";
 *   supports() { return SUPPORTS; }
 * }
 * ```
 */
export abstract class InProcessKeyProvider extends KeyProviderBase {
  readonly #store = new VersionStore<VersionRecord>();

  protected async createVersion(request: CreateVersionRequest): Promise<VersionRecord> {
    const { kid, spec, newKid, activate, signal } = request;
    // Taken before the slow part: a kid destroyed (and perhaps re-created) meanwhile is refused.
    const token = newKid ? undefined : this.#store.token(kid);
    const opaqueLength = request.previous?.secretKey?.symmetricKeySize;
    const keys = await generateKeys(spec, opaqueLength);
    signal?.throwIfAborted();
    if (newKid && this.#store.has(kid)) throw new KeyExistsError(kid, 1);
    return this.#store.add(
      kid,
      undefined,
      (version) =>
        Object.freeze({
          kid,
          version,
          spec,
          ...(keys.publicKey === undefined ? {} : { publicKey: keys.publicKey }),
          secretKey: keys.secretKey,
          scopedId: scopedId(),
        }),
      token,
      activate,
    );
  }

  protected async importVersion(request: ImportVersionRequest): Promise<VersionRecord> {
    const { kid, version, spec, key, newKid, activate, signal } = request;
    signal?.throwIfAborted();
    if (newKid && this.#store.has(kid)) throw new KeyExistsError(kid, 1);
    // Synchronous with the add below, so a concurrent import cannot slip another algorithm in.
    const live = this.#store.find(kid);
    if (live !== undefined) assertSameKind(kid, live.spec, spec);
    const secretKey =
      key.privateKey ??
      key.secret ??
      (key.opaque?.material === undefined ? undefined : createSecretKey(key.opaque.material));
    return this.#store.add(
      kid,
      version,
      (chosen) =>
        Object.freeze({
          kid,
          version: chosen,
          spec,
          ...(key.publicKey === undefined ? {} : { publicKey: key.publicKey }),
          ...(secretKey === undefined ? {} : { secretKey }),
          ...(spec.klass === KeyClass.asymmetric && key.privateKey === undefined ? { publicOnly: true } : {}),
          ...(key.opaque?.public === undefined ? {} : { opaquePublic: key.opaque.public }),
          scopedId: scopedId(),
        }),
      undefined,
      activate,
    );
  }

  protected async readVersion(kid: string, version: number | undefined): Promise<StoredVersion | undefined> {
    return this.#store.findWithPrimary(kid, version);
  }

  protected async listVersionNumbers(kid: string): Promise<VersionListing | undefined> {
    return this.#store.listing(kid);
  }

  protected async listKids(prefix: string): Promise<string[]> {
    return this.#store.kids(prefix);
  }

  protected async destroyVersions(kid: string, version: number | undefined): Promise<boolean> {
    return this.#store.delete(kid, version);
  }

  protected async setPrimary(kid: string, version: number): Promise<void> {
    if (!this.#store.setPrimary(kid, version)) throw new KeyNotFoundError(kid, version);
  }
}

/** A random identifier for a version whose fingerprint must not be a hash of its secret. */
function scopedId(): string {
  return b64url(publicRandomBytes(32));
}
