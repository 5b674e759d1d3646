import { setImmediate as pause } from "node:timers/promises";
import { createSecretKey, type KeyObject } from "node:crypto";
import {
  ExportPolicy,
  InvalidKeySpecError,
  KeyAlg,
  KeyClass,
  KeyExistsError,
  KeyNotFoundError,
  ProviderFeature,
  type NormalizedKeySpec,
  type ProviderSupports,
} from "@keyprovider/core";
import {
  KeyProviderBase,
  VersionStore,
  aesGcmOpen,
  aesGcmSeal,
  b64url,
  envelopeAad,
  generateKeys,
  randomBytes,
  rsaOaepUnwrap,
  signWithKey,
  verifyWithKey,
  x25519Agree,
  type CreateVersionRequest,
  type Envelope,
  type ImportVersionRequest,
  type StoredVersion,
  type VersionListing,
  type VersionRecord,
} from "@keyprovider/base";

const SUPPORTS: ProviderSupports = Object.freeze({
  class: [KeyClass.symmetric, KeyClass.asymmetric],
  algs: [
    KeyAlg.ED25519,
    KeyAlg.ECDSA_P256_SHA256,
    KeyAlg.RSA_OAEP_SHA256,
    KeyAlg.X25519,
    KeyAlg.AES256_GCM,
    KeyAlg.HMAC_SHA256,
  ],
  features: [
    ProviderFeature.CREATE,
    ProviderFeature.IMPORT,
    ProviderFeature.ROTATE,
    ProviderFeature.STAGE,
    ProviderFeature.DESTROY,
    ProviderFeature.EXPORT,
    ProviderFeature.JWKS,
    ProviderFeature.SIGN,
    ProviderFeature.ENCRYPT,
    ProviderFeature.DERIVE,
    ProviderFeature.HKDF,
    ProviderFeature.RANDOM,
    ProviderFeature.NON_EXPORTABLE,
  ],
});

/** The operation hooks, by name, as the tests count them. */
export type OperationHook =
  "signWith" | "verifyMacWith" | "sealWith" | "openWith" | "unwrapWith" | "agreeWith";

/**
 * A test-only provider shaped like a KMS: its version records never carry a secret (the secrets sit
 * in a private map, as they would sit in the KMS), every operation runs through the overridden
 * operation hooks, every storage call yields to the event loop like a network round trip, and
 * `secret_when_allowed` is refused. It proves the testkit's networked settings work.
 */
export class SealedKeyProvider extends KeyProviderBase {
  readonly name = "SealedKeyProvider";
  readonly #store = new VersionStore<VersionRecord>();
  readonly #secrets = new WeakMap<VersionRecord, KeyObject>();
  readonly #hookCalls = new Map<OperationHook, number>();

  supports(): ProviderSupports {
    return SUPPORTS;
  }

  /** How often an operation hook ran. */
  hookCalls(hook: OperationHook): number {
    return this.#hookCalls.get(hook) ?? 0;
  }

  protected async createVersion(request: CreateVersionRequest): Promise<VersionRecord> {
    const { kid, spec, newKid, activate, signal } = request;
    refuseExportable(spec);
    const token = newKid ? undefined : this.#store.token(kid);
    await pause();
    const { publicKey, secretKey } = await generateKeys(spec);
    signal?.throwIfAborted();
    if (newKid && this.#store.has(kid)) throw new KeyExistsError(kid, 1);
    return this.#store.add(
      kid,
      undefined,
      (version) => this.#record(kid, version, spec, secretKey, publicKey),
      token,
      activate,
    );
  }

  protected async importVersion(request: ImportVersionRequest): Promise<VersionRecord> {
    const { kid, version, spec, key, newKid, activate, signal } = request;
    refuseExportable(spec);
    await pause();
    signal?.throwIfAborted();
    if (newKid && this.#store.has(kid)) throw new KeyExistsError(kid, 1);
    const secret = key.privateKey ?? key.secret;
    return this.#store.add(
      kid,
      version,
      (chosen) => this.#record(kid, chosen, spec, secret, key.publicKey),
      undefined,
      activate,
    );
  }

  protected async readVersion(kid: string, version: number | undefined): Promise<StoredVersion | undefined> {
    await pause();
    const listing = this.#store.listing(kid);
    const record = this.#store.find(kid, version);
    return record === undefined || listing === undefined ? undefined : { record, primary: listing.primary };
  }

  protected async listVersionNumbers(kid: string): Promise<VersionListing | undefined> {
    await pause();
    return this.#store.listing(kid);
  }

  protected async listKids(prefix: string): Promise<string[]> {
    await pause();
    return this.#store.kids(prefix);
  }

  protected async destroyVersions(kid: string, version: number | undefined): Promise<boolean> {
    await pause();
    return this.#store.delete(kid, version);
  }

  protected async setPrimary(kid: string, version: number): Promise<void> {
    await pause();
    if (!this.#store.setPrimary(kid, version)) throw new KeyNotFoundError(kid, version);
  }

  protected override async signWith(record: VersionRecord, data: Uint8Array): Promise<Uint8Array> {
    return signWithKey(record.spec.alg, this.#secret(record, "signWith"), data);
  }

  protected override async verifyMacWith(
    record: VersionRecord,
    data: Uint8Array,
    tag: Uint8Array,
  ): Promise<boolean> {
    return verifyWithKey(record.spec.alg, this.#secret(record, "verifyMacWith"), data, tag);
  }

  protected override async sealWith(
    record: VersionRecord,
    plaintext: Uint8Array,
    aad: Uint8Array | undefined,
  ): Promise<Pick<Envelope, "wrappedKey" | "nonce" | "body">> {
    const key = this.#secret(record, "sealWith");
    const wrappedKey = new Uint8Array(0);
    const associated = envelopeAad(
      { alg: record.spec.alg, kid: record.kid, version: record.version, wrappedKey },
      aad,
    );
    return { wrappedKey, ...aesGcmSeal(key, plaintext, associated) };
  }

  protected override async openWith(
    record: VersionRecord,
    envelope: Envelope,
    aad: Uint8Array | undefined,
  ): Promise<Uint8Array> {
    return aesGcmOpen(
      this.#secret(record, "openWith"),
      envelope.nonce,
      envelope.body,
      envelopeAad(envelope, aad),
    );
  }

  protected override async unwrapWith(record: VersionRecord, wrappedKey: Uint8Array): Promise<Uint8Array> {
    return rsaOaepUnwrap(this.#secret(record, "unwrapWith"), wrappedKey);
  }

  protected override async agreeWith(record: VersionRecord, peer: KeyObject): Promise<Uint8Array> {
    return x25519Agree(this.#secret(record, "agreeWith"), peer);
  }

  #record(
    kid: string,
    version: number,
    spec: NormalizedKeySpec,
    secret: KeyObject | undefined,
    publicKey: KeyObject | undefined,
  ): VersionRecord {
    const record: VersionRecord = Object.freeze({
      kid,
      version,
      spec,
      ...(publicKey === undefined ? {} : { publicKey }),
      ...(spec.klass === KeyClass.asymmetric && secret === undefined ? { publicOnly: true } : {}),
      uri: `sealed://keys/${kid}/v${version}`,
      backendTags: { "sealed:region": "test-1" },
      scopedId: `sealed:${b64url(randomBytes(16))}`,
    });
    if (secret !== undefined)
      this.#secrets.set(record, secret.type === "secret" ? createSecretKey(secret.export()) : secret);
    return record;
  }

  #secret(record: VersionRecord, hook: OperationHook): KeyObject {
    this.#hookCalls.set(hook, (this.#hookCalls.get(hook) ?? 0) + 1);
    const secret = this.#secrets.get(record);
    if (secret === undefined)
      throw new Error(`SealedKeyProvider holds no secret for ${record.kid} v${record.version}`);
    return secret;
  }
}

function refuseExportable(spec: NormalizedKeySpec): void {
  if (spec.exportPolicy === ExportPolicy.SECRET_WHEN_ALLOWED) {
    throw new InvalidKeySpecError(
      "exportPolicy",
      'KeySpec.exportPolicy: SealedKeyProvider never lets a secret out; use "none" or "public_only"',
    );
  }
}
