import { AsyncLocalStorage } from "node:async_hooks";
import { createHash, type KeyObject } from "node:crypto";
import type { KeyMetadata } from "@aws-sdk/client-kms";
import {
  DecryptionError,
  ExportPolicy,
  InvalidKeySpecError,
  KeyClass,
  KeyExistsError,
  KeyNotFoundError,
  KeyUnavailableError,
  NotSupportedError,
  ProviderFeature,
  ProviderUnavailableError,
  UnsupportedAlgorithmError,
  quoteForMessage,
  type Jwks,
  type JwksOptions,
  type KeyRef,
  type NormalizedKeySpec,
  type ProviderSupports,
  type RotateKeyOptions,
} from "@keyprovider/core";
import {
  ALGORITHMS,
  KeyProviderBase,
  aesGcmOpen,
  aesGcmSeal,
  b64url,
  ecdsaDerToJose,
  envelopeAad,
  parsePublicKey,
  type CreateVersionRequest,
  type Envelope,
  type ImportVersionRequest,
  type StoredVersion,
  type VersionListing,
  type VersionRecord,
} from "@keyprovider/base";
import { KidLocks, SingleFlight, mapBounded, waitFor } from "./lib/concurrency.js";
import { unusableReason } from "./lib/key-checks.js";
import { KmsApi } from "./lib/kms-client.js";
import type { KmsCallContext } from "./lib/kms-errors.js";
import {
  encryptionContext,
  highestVersion,
  parseAlias,
  primaryAlias,
  specFromTags,
  tagKeys,
  tagRecord,
  tagsForSpec,
  versionAlias,
  type KidAliases,
} from "./lib/names.js";
import { resolveOptions, type AwsKmsKeyProviderOptions, type ResolvedOptions } from "./lib/options.js";

/** What KMS said about one key (by key id), kept between calls. */
interface KeyEntry {
  metadata: KeyMetadata | undefined;
  /** When `metadata` was read (clock ms). */
  checkedAt: number;
  tags: Readonly<Record<string, string>> | undefined;
  claimed: ReturnType<typeof specFromTags>;
  /** The public key never changes, so it is kept for the life of the provider. */
  publicKey: KeyObject | undefined;
  record: VersionRecord | undefined;
}

/** The provider's aliases as one `ListAliases` pass saw them. */
interface AliasSnapshot {
  readonly takenAt: number;
  readonly kids: Map<string, KidAliases>;
}

/** An alias this process created, moved or deleted. */
interface AliasWrite {
  readonly at: number;
  readonly kid: string;
  readonly version: number | undefined;
  readonly keyId: string | undefined;
}

/** What a public call that spans several storage hooks is doing. */
interface CallScope {
  readonly kind: "jwks" | "rotate";
  readonly startedAt: number;
  readonly allVersions: boolean;
  /** `jwks()` has paged through the aliases once already. */
  scanned: boolean;
}

/** The primary of a kid whose primary alias matches no single version alias (DESIGN §7.5). */
const NO_PRIMARY = Number.MAX_SAFE_INTEGER;
/** KMS `Sign`, `GenerateMac` and `Encrypt` take at most 4 096 bytes of message. */
const RAW_LIMIT = 4096;
/** KMS `Decrypt` takes ciphertext blobs of at most 6 144 bytes. */
const CIPHERTEXT_LIMIT = 6144;
const RANDOM_CHUNK = 1024;
const CLAIM_ATTEMPTS = 8;
/** Keys a failed create leaves behind are scheduled for deletion after the shortest window. */
const ROLLBACK_WINDOW_DAYS = 7;
const EMPTY = new Uint8Array(0);

const FEATURES: ProviderSupports["features"] = Object.freeze([
  ProviderFeature.CREATE,
  ProviderFeature.ROTATE,
  ProviderFeature.STAGE,
  ProviderFeature.DESTROY,
  ProviderFeature.EXPORT,
  ProviderFeature.JWKS,
  ProviderFeature.SIGN,
  ProviderFeature.ENCRYPT,
  ProviderFeature.HKDF,
  ProviderFeature.RANDOM,
  ProviderFeature.NON_EXPORTABLE,
  ProviderFeature.PERSIST,
]);

function allVersionsOf(options: unknown): boolean {
  try {
    return (options as { allVersions?: unknown } | undefined)?.allVersions === true;
  } catch {
    return false; // the base reports what is wrong with the options
  }
}

/** The version the primary alias points at: the one version alias with the same key, else none. */
function primaryVersion(aliases: KidAliases): number {
  let found: number | undefined;
  for (const [version, keyId] of aliases.versions) {
    if (keyId !== aliases.primary) continue;
    if (found !== undefined) return NO_PRIMARY;
    found = version;
  }
  return found ?? NO_PRIMARY;
}

function applyTo(aliases: KidAliases, write: AliasWrite): void {
  if (write.version === undefined) aliases.primary = write.keyId;
  else if (write.keyId === undefined) aliases.versions.delete(write.version);
  else aliases.versions.set(write.version, write.keyId);
}

function applyWrite(snapshot: AliasSnapshot, write: AliasWrite): void {
  let aliases = snapshot.kids.get(write.kid);
  if (aliases === undefined) {
    if (write.keyId === undefined) return;
    aliases = { primary: undefined, versions: new Map() };
    snapshot.kids.set(write.kid, aliases);
  }
  applyTo(aliases, write);
  if (aliases.primary === undefined && aliases.versions.size === 0) snapshot.kids.delete(write.kid);
}

/**
 * Keys that live in AWS KMS and never leave it: created, rotated by alias, described as `KeyRef`s,
 * published as JWKs, used in place (KMS `Sign`, `GenerateMac`/`VerifyMac`, `Encrypt`/`Decrypt`,
 * `GenerateDataKey`) and destroyed by scheduled deletion.
 *
 * - Version `N` of kid `k` is a KMS key under the alias `alias/<aliasPrefix>/k/vN`; the kid's
 *   primary is the alias `alias/<aliasPrefix>/k`. Keys are tagged with kid, version, alg, RSA size
 *   and label. Version numbers are claimed with `CreateAlias`, so rotations in several processes
 *   get distinct consecutive versions, and a create that fails half-way schedules deletion of the
 *   key it made.
 * - Before a version is used, `DescribeKey` and its tags must show the configured account, a key
 *   of this kid and version, a key spec and usage that fit its algorithm and state `Enabled`
 *   (DESIGN §7.5); otherwise `KeyUnavailableError` with a `reason`, and `jwks()` skips it. What KMS
 *   said is trusted for `stateTtlMs`; public keys are kept for good.
 * - Asymmetric `verify` runs locally against the cached public key (no KMS call).
 *
 * @example
 * ```ts
 * import { KMSClient } from "@aws-sdk/client-kms";
 * import { AwsKmsKeyProvider } from "@keyprovider/aws-kms";
 *
 * const provider = new AwsKmsKeyProvider({ region: "eu-west-1", client: new KMSClient({ region: "eu-west-1" }) });
 * const { kid } = await provider.createKey({ alg: "ES256", label: "id-tokens" });
 * const signature = await provider.sign(kid, new TextEncoder().encode("hello")); // one KMS Sign
 * const jwks = await provider.jwks(); // serve at /.well-known/jwks.json
 * ```
 */
export class AwsKmsKeyProvider extends KeyProviderBase {
  readonly name = "AwsKmsKeyProvider";
  readonly #options: ResolvedOptions;
  readonly #kms: KmsApi;
  readonly #tags: ReturnType<typeof tagKeys>;
  readonly #keys = new Map<string, KeyEntry>();
  #snapshot: AliasSnapshot | undefined;
  #writes: AliasWrite[] = [];
  /** Kids this process created: wholly known without a listing, for `stateTtlMs`. */
  readonly #created = new Map<string, { readonly at: number; readonly aliases: KidAliases }>();
  readonly #scans = new SingleFlight<"scan", AliasSnapshot>();
  readonly #loads = new SingleFlight<string, KeyEntry>();
  readonly #publicKeys = new SingleFlight<string, KeyObject>();
  readonly #locks = new KidLocks();
  readonly #scope = new AsyncLocalStorage<CallScope>();
  readonly #supports: ProviderSupports;

  /**
   * Validates the options (wrong types are `TypeError`, values out of range `RangeError`) and builds
   * a `KMSClient` unless one is given. No network call, no credentials needed yet.
   */
  constructor(options: AwsKmsKeyProviderOptions) {
    super();
    this.#options = resolveOptions(options);
    this.#kms = new KmsApi(this.#options);
    this.#tags = tagKeys(this.#options.tagPrefix);
    const algs = this.#options.algorithms;
    this.#supports = Object.freeze({
      class: Object.freeze(
        [KeyClass.symmetric, KeyClass.asymmetric].filter((klass) =>
          algs.some((alg) => ALGORITHMS[alg].klass === klass),
        ),
      ),
      algs,
      features: FEATURES,
    });
  }

  supports(): ProviderSupports {
    return this.#supports;
  }

  override jwks(options?: JwksOptions): Promise<Jwks> {
    const scope: CallScope = {
      kind: "jwks",
      startedAt: this.#now(),
      allVersions: allVersionsOf(options),
      scanned: false,
    };
    return this.#scope.run(scope, () => super.jwks(options));
  }

  override rotateKey(kid: string, options?: RotateKeyOptions): Promise<KeyRef> {
    const scope: CallScope = { kind: "rotate", startedAt: this.#now(), allVersions: false, scanned: false };
    return this.#scope.run(scope, () => super.rotateKey(kid, options));
  }

  // ---- storage hooks ------------------------------------------------------------------------

  protected async createVersion(request: CreateVersionRequest): Promise<VersionRecord> {
    const { kid, spec, newKid, activate, signal } = request;
    if (spec.exportPolicy === ExportPolicy.SECRET_WHEN_ALLOWED) {
      throw new InvalidKeySpecError(
        "exportPolicy",
        'KeySpec.exportPolicy: keys of AwsKmsKeyProvider never leave KMS; use "none" or "public_only"',
      );
    }
    tagsForSpec(this.#options.tagPrefix, spec, kid, 1); // refuse bad tags before any KMS call
    return this.#locks.run(kid, async () => {
      let version = 1;
      let previousPrimary: string | undefined;
      if (!newKid) {
        const aliases = await this.#aliasesOf(kid, signal);
        if (aliases?.primary === undefined) throw new KeyNotFoundError(kid);
        previousPrimary = aliases.primary;
        version = (await this.#highestIssued(kid, aliases, signal)) + 1;
      }
      signal?.throwIfAborted();
      const { keySpec, keyUsage } = ALGORITHMS[spec.alg].kms;
      const createdAt = this.#now();
      const kmsKeySpec = keySpec(spec.sizeBits);
      const metadata = await this.#kms
        .createKey(
          {
            KeySpec: kmsKeySpec as never,
            KeyUsage: keyUsage,
            Description: `keyprovider key ${kid}`,
            Tags: tagsForSpec(this.#options.tagPrefix, spec, kid, version),
            ...(this.#options.keyPolicy === undefined ? {} : { Policy: this.#options.keyPolicy }),
          },
          { kid, version },
        )
        .catch((error: unknown) => {
          // A region (or a KMS-compatible API) without this key spec: say which, and how to opt out.
          if (
            (error as { cause?: { errorName?: unknown } }).cause?.errorName ===
            "UnsupportedOperationException"
          ) {
            throw new UnsupportedAlgorithmError(
              spec.alg,
              `This KMS does not make ${kmsKeySpec} keys (${spec.alg}); leave ${spec.alg} out of the algorithms option`,
              { cause: (error as { cause: unknown }).cause },
            );
          }
          throw error;
        });
      const keyId = metadata.KeyId!;
      try {
        signal?.throwIfAborted();
        version = await this.#claimVersion(kid, version, keyId, newKid, signal);
        const context = { kid, version };
        if (newKid || activate) {
          const primary = primaryAlias(this.#options.aliasPrefix, kid);
          await this.#kms.pointAlias(newKid ? "create" : "update", primary, keyId, context, signal);
          this.#journal(kid, undefined, keyId);
        }
        if (newKid) this.#rememberCreated(kid, keyId);
        // CreateKey answered the metadata, and the tags are the ones written: nothing to ask again.
        const tags = tagRecord(tagsForSpec(this.#options.tagPrefix, spec, kid, version));
        Object.assign(this.#entry(keyId), {
          metadata,
          checkedAt: createdAt,
          tags,
          claimed: specFromTags(this.#options.tagPrefix, tags),
        });
        return await this.#versionRecord(kid, version, keyId, signal);
      } catch (error) {
        throw await this.#rollBack(kid, keyId, previousPrimary, error);
      }
    });
  }

  protected async importVersion(_request: ImportVersionRequest): Promise<VersionRecord> {
    throw new NotSupportedError("AwsKmsKeyProvider creates keys inside KMS; it does not import them");
  }

  protected async readVersion(
    kid: string,
    version: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<StoredVersion | undefined> {
    try {
      return await this.#read(kid, version, signal);
    } catch (error) {
      // jwks() publishes what can be used and skips the rest (DESIGN §7.5).
      if (
        this.#scope.getStore()?.kind === "jwks" &&
        (KeyUnavailableError.isInstance(error) || KeyNotFoundError.isInstance(error))
      ) {
        return undefined;
      }
      throw error;
    }
  }

  protected async listVersionNumbers(
    kid: string,
    signal: AbortSignal | undefined,
  ): Promise<VersionListing | undefined> {
    const scope = this.#scope.getStore();
    const aliases =
      scope?.kind === "rotate"
        ? await this.#aliasesOf(kid, signal)
        : scope?.scanned === true
          ? this.#snapshot?.kids.get(kid)
          : (await this.#scan(signal)).kids.get(kid);
    if (aliases?.primary === undefined) return undefined;
    const versions = [...aliases.versions.keys()].sort((a, b) => a - b);
    const primary = primaryVersion(aliases);
    if (scope?.kind !== "rotate") return { versions, primary };
    // A rotation continues from the newest version that can be used; newer unusable ones are skipped.
    let unusable: KeyUnavailableError | undefined;
    for (let i = versions.length - 1; i >= 0; i -= 1) {
      const version = versions[i]!;
      try {
        await this.#versionRecord(kid, version, aliases.versions.get(version)!, signal);
        return { versions: versions.slice(0, i + 1), primary };
      } catch (error) {
        if (!KeyUnavailableError.isInstance(error)) throw error;
        unusable ??= error;
      }
    }
    throw unusable ?? new KeyNotFoundError(kid);
  }

  protected async listKids(prefix: string, signal: AbortSignal | undefined): Promise<string[]> {
    const snapshot = await this.#scan(signal);
    const kids = [...snapshot.kids]
      .filter(([kid, aliases]) => aliases.primary !== undefined && kid.startsWith(prefix))
      .map(([kid]) => kid)
      .sort();
    const scope = this.#scope.getStore();
    if (scope?.kind === "jwks") {
      scope.scanned = true;
      await this.#prefetch(snapshot, kids, scope.allVersions, signal);
    }
    return kids;
  }

  protected async destroyVersions(
    kid: string,
    version: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    return this.#locks.run(kid, async () => {
      const aliases = (await this.#scan(signal)).kids.get(kid);
      if (aliases === undefined) return false;
      if (version === undefined) {
        // Versions first, the primary last: a destroy cut short is finished by calling it again.
        for (const [each, keyId] of [...aliases.versions].sort(([a], [b]) => a - b)) {
          await this.#retire(kid, each, keyId, signal);
        }
        if (aliases.primary !== undefined) {
          await this.#ignoreMissing(
            this.#kms.deleteAlias(primaryAlias(this.#options.aliasPrefix, kid), { kid }, signal),
          );
          this.#journal(kid, undefined, undefined);
        }
        return true;
      }
      const keyId = aliases.versions.get(version);
      if (keyId === undefined) return false;
      const remaining = [...aliases.versions.keys()].filter((v) => v !== version).sort((a, b) => a - b);
      if (aliases.primary === keyId) await this.#movePrimary(kid, version, remaining, aliases, signal);
      const highestLeft = remaining.at(-1);
      if (highestLeft !== undefined && version > highestLeft) {
        await this.#markIssued(kid, version, keyId, highestLeft, aliases.versions.get(highestLeft)!, signal);
      }
      await this.#retire(kid, version, keyId, signal);
      return true;
    });
  }

  protected async setPrimary(kid: string, version: number, signal: AbortSignal | undefined): Promise<void> {
    await this.#locks.run(kid, async () => {
      const aliases = await this.#aliasesOf(kid, signal);
      const keyId = aliases?.versions.get(version);
      if (aliases?.primary === undefined || keyId === undefined) throw new KeyNotFoundError(kid, version);
      await this.#versionRecord(kid, version, keyId, signal); // only a usable version becomes primary
      if (aliases.primary === keyId) return;
      await this.#kms.pointAlias(
        "update",
        primaryAlias(this.#options.aliasPrefix, kid),
        keyId,
        { kid, version },
        signal,
      );
      this.#journal(kid, undefined, keyId);
    });
  }

  // ---- key operations inside KMS ------------------------------------------------------------

  protected override async signWith(
    record: VersionRecord,
    data: Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    const info = ALGORITHMS[record.spec.alg];
    const scheme = info.signature!.scheme;
    const raw = data.byteLength >= 1 && data.byteLength <= RAW_LIMIT;
    if (scheme === "hmac") {
      this.#assertRaw(raw, data, "KMS GenerateMac");
      return this.#use(record, (keyId, context) =>
        this.#kms.generateMac(
          { KeyId: keyId, MacAlgorithm: info.kms.macAlgorithm as never, Message: data },
          context,
          signal,
        ),
      );
    }
    if (scheme === "eddsa") {
      // KMS's DIGEST form of Ed25519 is Ed25519ph, a different signature EdDSA verifiers reject.
      this.#assertRaw(
        raw,
        data,
        "KMS signs Ed25519 (ED25519_SHA_512) only over RAW messages, and its DIGEST form is Ed25519ph, which EdDSA verifiers reject; KMS Sign",
      );
    }
    const message = raw
      ? { Message: data, MessageType: "RAW" as const }
      : { Message: createHash(info.signature!.hash!).update(data).digest(), MessageType: "DIGEST" as const };
    const signature = await this.#use(record, (keyId, context) =>
      this.#kms.sign(
        { KeyId: keyId, SigningAlgorithm: info.kms.signingAlgorithm as never, ...message },
        context,
        signal,
      ),
    );
    return scheme === "ecdsa" ? ecdsaDerToJose(signature, info.curve!.bytes) : new Uint8Array(signature);
  }

  protected override async verifyMacWith(
    record: VersionRecord,
    data: Uint8Array,
    tag: Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    this.#assertRaw(data.byteLength >= 1 && data.byteLength <= RAW_LIMIT, data, "KMS VerifyMac");
    const macAlgorithm = ALGORITHMS[record.spec.alg].kms.macAlgorithm as never;
    return this.#use(record, (keyId, context) =>
      this.#kms.verifyMac(
        { KeyId: keyId, MacAlgorithm: macAlgorithm, Message: data, Mac: tag },
        context,
        signal,
      ),
    );
  }

  protected override async sealWith(
    record: VersionRecord,
    plaintext: Uint8Array,
    aad: Uint8Array | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Pick<Envelope, "wrappedKey" | "nonce" | "body">> {
    const { kid, version } = record;
    if (plaintext.byteLength >= 1 && plaintext.byteLength <= RAW_LIMIT) {
      const body = await this.#use(record, (keyId, context) =>
        this.#kms.encrypt(
          {
            KeyId: keyId,
            Plaintext: plaintext,
            EncryptionContext: encryptionContext(kid, version, "direct", aad),
            EncryptionAlgorithm: "SYMMETRIC_DEFAULT",
          },
          context,
          signal,
        ),
      );
      return { wrappedKey: EMPTY, nonce: EMPTY, body };
    }
    // Beyond what Encrypt takes: a fresh data key from KMS seals the message here (AES-256-GCM).
    const dataKey = await this.#use(record, (keyId, context) =>
      this.#kms.generateDataKey(
        {
          KeyId: keyId,
          KeySpec: "AES_256",
          EncryptionContext: encryptionContext(kid, version, "data-key", aad),
        },
        context,
        signal,
      ),
    );
    try {
      const wrappedKey = dataKey.ciphertextBlob;
      const sealed = aesGcmSeal(
        dataKey.plaintext,
        plaintext,
        envelopeAad({ alg: record.spec.alg, kid, version, wrappedKey }, aad),
      );
      return { wrappedKey, ...sealed };
    } finally {
      dataKey.plaintext.fill(0);
    }
  }

  protected override async openWith(
    record: VersionRecord,
    envelope: Envelope,
    aad: Uint8Array | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    const { kid, version } = record;
    const direct = envelope.wrappedKey.byteLength === 0;
    const blob = direct ? envelope.body : envelope.wrappedKey;
    if (
      (direct && envelope.nonce.byteLength !== 0) ||
      blob.byteLength === 0 ||
      blob.byteLength > CIPHERTEXT_LIMIT
    ) {
      throw new DecryptionError();
    }
    const opened = await this.#use(record, (keyId, context) =>
      this.#kms.decrypt(
        {
          KeyId: keyId, // Decrypt always names the key (DESIGN §7.5)
          CiphertextBlob: blob,
          EncryptionContext: encryptionContext(kid, version, direct ? "direct" : "data-key", aad),
          EncryptionAlgorithm: "SYMMETRIC_DEFAULT",
        },
        context,
        signal,
      ),
    );
    if (direct) return new Uint8Array(opened);
    try {
      if (opened.byteLength !== 32) throw new DecryptionError();
      return aesGcmOpen(opened, envelope.nonce, envelope.body, envelopeAad(envelope, aad));
    } finally {
      opened.fill(0);
    }
  }

  protected override async unwrapWith(
    record: VersionRecord,
    wrappedKey: Uint8Array,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    if (wrappedKey.byteLength === 0 || wrappedKey.byteLength > CIPHERTEXT_LIMIT) throw new DecryptionError();
    const contentKey = await this.#use(record, (keyId, context) =>
      this.#kms.decrypt(
        { KeyId: keyId, CiphertextBlob: wrappedKey, EncryptionAlgorithm: "RSAES_OAEP_SHA_256" },
        context,
        signal,
      ),
    );
    if (contentKey.byteLength !== 32) {
      contentKey.fill(0);
      throw new DecryptionError();
    }
    return new Uint8Array(contentKey);
  }

  protected override async generateRandom(n: number, signal: AbortSignal | undefined): Promise<Uint8Array> {
    if (this.#options.randomSource === "local") return super.generateRandom(n, signal);
    const sizes = Array.from({ length: Math.ceil(n / RANDOM_CHUNK) }, (_, i) =>
      Math.min(RANDOM_CHUNK, n - i * RANDOM_CHUNK),
    );
    const chunks = await mapBounded(sizes, this.#options.maxConcurrency, (size) =>
      this.#kms.generateRandom(size, signal),
    );
    const out = new Uint8Array(n);
    chunks.forEach((chunk, i) => out.set(chunk, i * RANDOM_CHUNK));
    return out;
  }

  // ---- aliases ------------------------------------------------------------------------------

  #now(): number {
    return this.#options.clock();
  }

  /**
   * One pass of `ListAliases` over the account (100 a page), keeping this provider's aliases. The
   * newest pass is kept for point reads, with this process's own alias writes of the last
   * `stateTtlMs` laid over it (a pass that started before a write, or an eventually consistent
   * listing, must not undo it).
   */
  async #scan(signal: AbortSignal | undefined): Promise<AliasSnapshot> {
    const takenAt = this.#now();
    const kids = new Map<string, KidAliases>();
    let marker: string | undefined;
    do {
      const page = await this.#kms.listAliases(marker, signal);
      for (const { AliasName, TargetKeyId } of page.aliases) {
        if (AliasName === undefined || TargetKeyId === undefined) continue;
        const parsed = parseAlias(this.#options.aliasPrefix, AliasName);
        if (parsed === undefined) continue;
        let aliases = kids.get(parsed.kid);
        if (aliases === undefined) {
          aliases = { primary: undefined, versions: new Map() };
          kids.set(parsed.kid, aliases);
        }
        if (parsed.version === undefined) aliases.primary = TargetKeyId;
        else aliases.versions.set(parsed.version, TargetKeyId);
      }
      marker = page.nextMarker;
    } while (marker !== undefined);
    const snapshot: AliasSnapshot = { takenAt, kids };
    const now = this.#now();
    this.#writes = this.#writes.filter((write) => now - write.at < this.#options.stateTtlMs);
    for (const write of this.#writes) applyWrite(snapshot, write);
    if (this.#snapshot === undefined || this.#snapshot.takenAt <= takenAt) this.#snapshot = snapshot;
    return snapshot;
  }

  /** A kid this process just created is wholly known: its reads need no listing for `stateTtlMs`. */
  #rememberCreated(kid: string, keyId: string): void {
    const now = this.#now();
    for (const [known, { at }] of this.#created) {
      if (now - at >= this.#options.stateTtlMs) this.#created.delete(known);
    }
    this.#created.set(kid, { at: now, aliases: { primary: keyId, versions: new Map([[1, keyId]]) } });
  }

  /** Record an alias this process changed, in the current listing and in every later one for a while. */
  #journal(kid: string, version: number | undefined, keyId: string | undefined): void {
    const write: AliasWrite = { at: this.#now(), kid, version, keyId };
    this.#writes = this.#writes.filter((earlier) => write.at - earlier.at < this.#options.stateTtlMs);
    this.#writes.push(write);
    if (this.#snapshot !== undefined) applyWrite(this.#snapshot, write);
    const created = this.#created.get(kid);
    if (created !== undefined) applyTo(created.aliases, write);
  }

  /**
   * The aliases of one kid for a point read: from the last listing while it is younger than
   * `stateTtlMs`; a kid it does not hold counts as missing while the listing is younger than
   * `notFoundTtlMs`, so random kids cost at most one shared listing per that time.
   */
  async #aliasesOf(kid: string, signal: AbortSignal | undefined): Promise<KidAliases | undefined> {
    const scope = this.#scope.getStore();
    if (scope?.scanned === true) return this.#snapshot?.kids.get(kid);
    const snapshot = this.#snapshot;
    if (snapshot !== undefined) {
      const age = this.#now() - snapshot.takenAt;
      const aliases = snapshot.kids.get(kid);
      if (
        age < this.#options.stateTtlMs &&
        (aliases?.primary !== undefined || age < this.#options.notFoundTtlMs)
      ) {
        return aliases;
      }
    }
    const created = this.#created.get(kid);
    if (created !== undefined) {
      if (this.#now() - created.at < this.#options.stateTtlMs) return created.aliases;
      this.#created.delete(kid);
    }
    // Shared by every read that needs it, so it runs without any one caller's signal.
    await waitFor(
      this.#scans.run("scan", () => this.#scan(undefined)),
      signal,
    );
    return this.#snapshot?.kids.get(kid);
  }

  // ---- keys ---------------------------------------------------------------------------------

  #entry(keyId: string): KeyEntry {
    let entry = this.#keys.get(keyId);
    if (entry === undefined) {
      entry = {
        metadata: undefined,
        checkedAt: -Infinity,
        tags: undefined,
        claimed: undefined,
        publicKey: undefined,
        record: undefined,
      };
      this.#keys.set(keyId, entry);
    }
    return entry;
  }

  #fresh(entry: KeyEntry): boolean {
    if (entry.metadata === undefined) return false;
    const scope = this.#scope.getStore();
    if (scope !== undefined && entry.checkedAt >= scope.startedAt) return true;
    return this.#now() - entry.checkedAt < this.#options.stateTtlMs;
  }

  /** A key's metadata (re-read after `stateTtlMs`) and tags (read once: they name its identity). */
  async #loadKey(keyId: string, context: KmsCallContext, signal: AbortSignal | undefined): Promise<KeyEntry> {
    const entry = this.#entry(keyId);
    if (this.#fresh(entry) && entry.tags !== undefined) return entry;
    return waitFor(
      this.#loads.run(keyId, async () => {
        const startedAt = this.#now();
        const [metadata, tags] = await Promise.all([
          this.#fresh(entry) ? undefined : this.#kms.describeKey(keyId, context),
          entry.tags === undefined ? this.#kms.listResourceTags(keyId, context) : undefined,
        ]);
        if (metadata !== undefined) {
          entry.metadata = metadata;
          entry.checkedAt = startedAt;
        }
        if (tags !== undefined) {
          entry.tags = tagRecord(tags);
          entry.claimed = specFromTags(this.#options.tagPrefix, entry.tags);
        }
        return entry;
      }),
      signal,
    );
  }

  /** The record of a version whose key passes the checks of DESIGN §7.5, or `KeyUnavailableError`. */
  async #versionRecord(
    kid: string,
    version: number,
    keyId: string,
    signal: AbortSignal | undefined,
  ): Promise<VersionRecord> {
    const context = { kid, version };
    let entry: KeyEntry;
    try {
      entry = await this.#loadKey(keyId, context, signal);
    } catch (error) {
      if (KeyNotFoundError.isInstance(error)) this.#snapshot = undefined; // the listing was out of date
      throw error;
    }
    const reason = this.#unusable(entry, kid, version);
    if (reason !== undefined) throw new KeyUnavailableError(kid, version, reason);
    const spec = entry.claimed!.spec;
    if (entry.record !== undefined) return entry.record;
    let publicKey: KeyObject | undefined;
    if (spec.klass === KeyClass.asymmetric) {
      publicKey =
        entry.publicKey ??
        (await waitFor(
          this.#publicKeys.run(keyId, () => this.#fetchPublicKey(keyId, spec, context)),
          signal,
        ));
    }
    const arn = entry.metadata!.Arn ?? keyId;
    entry.record ??= Object.freeze({
      kid,
      version,
      spec,
      ...(publicKey === undefined ? {} : { publicKey }),
      uri: arn,
      backendTags: Object.freeze({
        "kms:key_id": entry.metadata!.KeyId ?? keyId,
        "kms:region": this.#options.region,
      }),
      // Symmetric keys never leave KMS: their fingerprint is a hash of the key ARN, never of the secret.
      ...(spec.klass === KeyClass.asymmetric
        ? {}
        : { scopedId: b64url(createHash("sha256").update(`keyprovider/aws-kms:${arn}`).digest()) }),
    });
    return entry.record;
  }

  async #fetchPublicKey(keyId: string, spec: NormalizedKeySpec, context: KmsCallContext): Promise<KeyObject> {
    const der = await this.#kms.getPublicKey(keyId, context);
    let publicKey: KeyObject;
    try {
      publicKey = parsePublicKey(spec, der, { format: "der" });
    } catch {
      throw new KeyUnavailableError(context.kid!, context.version, "spec_mismatch");
    }
    this.#entry(keyId).publicKey = publicKey;
    return publicKey;
  }

  async #read(
    kid: string,
    version: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<StoredVersion | undefined> {
    const aliases = await this.#aliasesOf(kid, signal);
    if (aliases?.primary === undefined) return undefined;
    const primary = primaryVersion(aliases);
    const target = version ?? primary;
    if (target === NO_PRIMARY) throw new KeyUnavailableError(kid, undefined, "identity_mismatch");
    const keyId = aliases.versions.get(target);
    if (keyId === undefined) return undefined;
    return { record: await this.#versionRecord(kid, target, keyId, signal), primary };
  }

  /** Why a loaded key cannot serve as this version (DESIGN §7.5), or `undefined`. */
  #unusable(entry: KeyEntry, kid: string, version: number): string | undefined {
    const checked = { metadata: entry.metadata!, claimed: entry.claimed };
    return unusableReason(checked, kid, version, this.#options.expectedAccountId);
  }

  /** Fetch what `jwks()` will publish, `maxConcurrency` keys at a time; failures surface in the read after. */
  async #prefetch(
    snapshot: AliasSnapshot,
    kids: readonly string[],
    allVersions: boolean,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const work: [string, number, string][] = [];
    for (const kid of kids) {
      const aliases = snapshot.kids.get(kid)!;
      const primary = primaryVersion(aliases);
      for (const [version, keyId] of aliases.versions) {
        if (allVersions || version >= primary) work.push([kid, version, keyId]);
      }
    }
    await mapBounded(work, this.#options.maxConcurrency, ([kid, version, keyId]) =>
      this.#versionRecord(kid, version, keyId, signal).catch(() => undefined),
    );
  }

  /** Run an operation on a version's key; a key KMS reports disabled or gone is checked again next time. */
  async #use<T>(
    record: VersionRecord,
    fn: (keyId: string, context: KmsCallContext) => Promise<T>,
  ): Promise<T> {
    try {
      return await fn(record.uri!, { kid: record.kid, version: record.version });
    } catch (error) {
      if (KeyUnavailableError.isInstance(error) || KeyNotFoundError.isInstance(error)) {
        const keyId = record.backendTags?.["kms:key_id"];
        const entry = keyId === undefined ? undefined : this.#keys.get(keyId);
        if (entry !== undefined) entry.checkedAt = -Infinity;
        if (KeyNotFoundError.isInstance(error)) this.#snapshot = undefined;
      }
      throw error;
    }
  }

  #assertRaw(raw: boolean, data: Uint8Array, what: string): void {
    if (!raw) {
      throw new NotSupportedError(
        `${what} takes messages of 1 to ${RAW_LIMIT} bytes; this one is ${data.byteLength} bytes`,
      );
    }
  }

  // ---- writes -------------------------------------------------------------------------------

  /**
   * Claim `alias/<prefix>/<kid>/v<version>` for the new key. `CreateAlias` fails when the name is
   * taken: another process rotated at the same time. Then the key is re-tagged with the number
   * after the highest there is now (its version tag always matches its alias) and claimed again.
   */
  async #claimVersion(
    kid: string,
    first: number,
    keyId: string,
    newKid: boolean,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    let version = first;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.#kms.pointAlias(
          "create",
          versionAlias(this.#options.aliasPrefix, kid, version),
          keyId,
          { kid, version },
          signal,
        );
        this.#journal(kid, version, keyId);
        return version;
      } catch (error) {
        if (!KeyExistsError.isInstance(error) || newKid) throw error;
        if (attempt >= CLAIM_ATTEMPTS) {
          throw new ProviderUnavailableError(
            `Could not claim a version number for key ${quoteForMessage(kid)} in ${CLAIM_ATTEMPTS} attempts: other processes are rotating it at the same time; try again`,
            { cause: error, retryable: true },
          );
        }
        const current = (await this.#scan(signal)).kids.get(kid);
        version = Math.max(version, highestVersion(current)) + 1;
        await this.#kms.tagResource(
          keyId,
          [{ TagKey: this.#tags.version, TagValue: String(version) }],
          { kid, version },
          signal,
        );
      }
    }
  }

  /**
   * The highest version number ever issued for a kid: its highest version alias, or the mark a
   * destroyed newer version left on that version's key. Read fresh (another process may have
   * written it), so a destroyed number is never issued again.
   */
  async #highestIssued(kid: string, aliases: KidAliases, signal: AbortSignal | undefined): Promise<number> {
    const highest = highestVersion(aliases);
    const keyId = aliases.versions.get(highest);
    if (keyId === undefined) return highest;
    return Math.max(highest, await this.#issuedMark(kid, highest, keyId, signal));
  }

  async #issuedMark(
    kid: string,
    version: number,
    keyId: string,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const tags = tagRecord(await this.#kms.listResourceTags(keyId, { kid, version }, signal));
    const mark = Number(tags[this.#tags.issued] ?? 0);
    return Number.isSafeInteger(mark) && mark > 0 ? mark : 0;
  }

  /** Destroying the highest version: leave its number (or a higher mark it held) on the next key down. */
  async #markIssued(
    kid: string,
    destroyed: number,
    destroyedKeyId: string,
    holder: number,
    holderKeyId: string,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (!(await this.#isOurs(kid, holder, holderKeyId, signal))) return;
    const mark = Math.max(destroyed, await this.#issuedMark(kid, destroyed, destroyedKeyId, signal));
    await this.#kms.tagResource(
      holderKeyId,
      [{ TagKey: this.#tags.issued, TagValue: String(mark) }],
      { kid, version: holder },
      signal,
    );
  }

  /** Repoint the primary when its version goes: the newest older usable version, else the oldest newer. */
  async #movePrimary(
    kid: string,
    destroyed: number,
    remaining: readonly number[],
    aliases: KidAliases,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const candidates = [
      ...remaining.filter((v) => v < destroyed).reverse(),
      ...remaining.filter((v) => v > destroyed),
    ];
    const name = primaryAlias(this.#options.aliasPrefix, kid);
    for (const candidate of candidates) {
      const keyId = aliases.versions.get(candidate)!;
      try {
        await this.#versionRecord(kid, candidate, keyId, signal);
      } catch (error) {
        if (KeyUnavailableError.isInstance(error) || KeyNotFoundError.isInstance(error)) continue;
        throw error;
      }
      await this.#kms.pointAlias("update", name, keyId, { kid, version: candidate }, signal);
      this.#journal(kid, undefined, keyId);
      return;
    }
    await this.#ignoreMissing(this.#kms.deleteAlias(name, { kid }, signal));
    this.#journal(kid, undefined, undefined);
  }

  /** Whether a key is this provider's version (so its deletion may be scheduled), whatever its state. */
  async #isOurs(
    kid: string,
    version: number,
    keyId: string,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    let entry: KeyEntry;
    try {
      entry = await this.#loadKey(keyId, { kid, version }, signal);
    } catch (error) {
      if (KeyNotFoundError.isInstance(error)) return false;
      throw error;
    }
    return this.#unusable(entry, kid, version) !== "identity_mismatch";
  }

  /** Destroy one version: schedule deletion of its key (if it is ours), then delete its alias. */
  async #retire(kid: string, version: number, keyId: string, signal: AbortSignal | undefined): Promise<void> {
    const context = { kid, version };
    if (await this.#isOurs(kid, version, keyId, signal)) {
      try {
        await this.#kms.scheduleKeyDeletion(keyId, this.#options.deletionWindowDays, context, signal);
      } catch (error) {
        // Already pending deletion (an earlier destroy was cut short) or gone: nothing left to do.
        if (!KeyUnavailableError.isInstance(error) && !KeyNotFoundError.isInstance(error)) throw error;
      }
    }
    await this.#ignoreMissing(
      this.#kms.deleteAlias(versionAlias(this.#options.aliasPrefix, kid, version), context, signal),
    );
    this.#journal(kid, version, undefined);
    const entry = this.#keys.get(keyId);
    if (entry !== undefined) entry.checkedAt = -Infinity;
  }

  async #ignoreMissing(call: Promise<void>): Promise<void> {
    try {
      await call;
    } catch (error) {
      if (!KeyNotFoundError.isInstance(error)) throw error;
    }
  }

  /**
   * Undo a create that failed after `CreateKey` (or was aborted): put back or delete every alias
   * that points at the new key, and schedule its deletion after 7 days. Runs without the caller's
   * signal. Returns the error to throw: the original one. If the rollback itself fails, a process
   * warning names the key (an ARN, no secret) so it can be deleted by hand.
   */
  async #rollBack(
    kid: string,
    keyId: string,
    previousPrimary: string | undefined,
    error: unknown,
  ): Promise<unknown> {
    const problems: string[] = [];
    try {
      const names: string[] = [];
      let marker: string | undefined;
      do {
        const page = await this.#kms.listAliases(marker, undefined, keyId);
        for (const alias of page.aliases) if (alias.AliasName !== undefined) names.push(alias.AliasName);
        marker = page.nextMarker;
      } while (marker !== undefined);
      for (const name of names) {
        const parsed = parseAlias(this.#options.aliasPrefix, name);
        if (parsed !== undefined && parsed.version === undefined && previousPrimary !== undefined) {
          await this.#kms.pointAlias("update", name, previousPrimary, { kid });
          this.#journal(parsed.kid, undefined, previousPrimary);
        } else {
          await this.#ignoreMissing(this.#kms.deleteAlias(name, { kid }));
          if (parsed !== undefined) this.#journal(parsed.kid, parsed.version, undefined);
        }
      }
    } catch (failure) {
      problems.push(`its aliases could not be removed (${(failure as Error).message})`);
    }
    try {
      await this.#kms.scheduleKeyDeletion(keyId, ROLLBACK_WINDOW_DAYS, { kid });
    } catch (failure) {
      if (!KeyUnavailableError.isInstance(failure)) {
        problems.push(`its deletion could not be scheduled (${(failure as Error).message})`);
      }
    }
    this.#keys.delete(keyId);
    if (problems.length > 0) {
      process.emitWarning(
        `AwsKmsKeyProvider: creating a version of key ${quoteForMessage(kid)} failed, and cleaning up KMS key ${keyId} failed too: ${problems.join("; ")}. Schedule its deletion by hand.`,
        { code: "KEYPROVIDER_KMS_ORPHAN" },
      );
    }
    return error;
  }
}
