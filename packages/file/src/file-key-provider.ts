import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { KeyObject } from "node:crypto";
import {
  KeyAlg,
  KeyClass,
  KeyExistsError,
  KeyNotFoundError,
  ProviderFeature,
  StoreIntegrityError,
  describeType,
  isValidKid,
  quoteForMessage,
  type ProviderSupports,
} from "@keyprovider/core";
import {
  KeyProviderBase,
  MAX_KEY_VERSION,
  assertOptionalBoolean,
  b64url,
  generateKeys,
  randomBytes,
  readOptions,
  traced,
  type CreateVersionRequest,
  type ImportVersionRequest,
  type StoredVersion,
  type VersionListing,
  type VersionRecord,
} from "@keyprovider/base";
import type { FileKek } from "./kek.js";
import { Kek } from "./lib/kek.js";
import { headerBytes, newDataKey, newStoreId, unlockHeader, type DataKeys } from "./lib/header.js";
import {
  recordFile,
  readRecord,
  tombstoneFile,
  versionFileKind,
  versionRecord,
  type RecordInput,
} from "./lib/record.js";
import { corrupt, metaString, openFile, parseFile, sealFile, type StoreFile } from "./lib/sealed-file.js";
import {
  StorePaths,
  TEMP_GRACE_MS,
  assertPrivateDirectory,
  checkDirectory,
  claimName,
  emptyQuietly,
  exists,
  makeDirectory,
  namesIn,
  peekIdentity,
  readStoreFile,
  removeQuietly,
  removeStaleTemps,
  replaceWith,
  syncDirectory,
  writeTemp,
} from "./lib/store-fs.js";
import {
  EMPTY_LIST,
  listFile,
  readListFile,
  withPrimary,
  withVersion,
  withoutVersions,
  type VersionList,
} from "./lib/version-list.js";

/**
 * Options of {@link FileKeyProvider}.
 *
 * @example
 * ```ts
 * const options: FileKeyProviderOptions = {
 *   directory: "/var/lib/my-service/keys",
 *   kek: { passphrase: process.env.KEYPROVIDER_PASSPHRASE! },
 * };
 * ```
 */
export interface FileKeyProviderOptions {
  /** The store directory. Created (mode 0700, with its parents) by the first call that needs it. */
  readonly directory: string;
  /** The key-encryption key that wraps the store's data key: a passphrase, 32 bytes, or another provider's key. */
  readonly kek: FileKek;
}

/**
 * Options of {@link FileKeyProvider.rekey}.
 *
 * @example
 * ```ts
 * const options: RekeyOptions = { kek: { passphrase: newPassphrase }, rotateDataKey: true };
 * ```
 */
export interface RekeyOptions {
  /** The new key-encryption key (it may be of another form than the current one). */
  readonly kek: FileKek;
  /**
   * Also replace the data key and re-encrypt every file of the store under the new one. Without
   * it, only the header changes (the data key is re-wrapped, as `cryptsetup luksChangeKey` does).
   */
  readonly rotateDataKey?: boolean;
  readonly signal?: AbortSignal;
}

/** Everything but what composite and remote providers do (mirror, failover, remote). */
const SUPPORTS: ProviderSupports = Object.freeze({
  class: Object.freeze([KeyClass.symmetric, KeyClass.asymmetric]),
  algs: Object.freeze(Object.values(KeyAlg)),
  features: Object.freeze(
    Object.values(ProviderFeature).filter(
      (feature) =>
        feature !== ProviderFeature.MIRROR &&
        feature !== ProviderFeature.FAILOVER &&
        feature !== ProviderFeature.REMOTE,
    ),
  ),
});

const LIST_NAME = /^list\.([1-9][0-9]{0,15})$/;
const VERSION_NAME = /^v([1-9][0-9]{0,9})$/;

/** What this process knows of one kid: its version list and the records it has read. */
interface KidEntry {
  list: VersionList;
  /** The path of the list file that would supersede `list`: the one name a read checks. */
  next: string;
  /**
   * Records by version, each with the identity of the file it was read from and the list entry
   * under which that identity was last checked: records are checked again only when the list changes.
   */
  readonly records: Map<number, CachedRecord>;
}

interface CachedRecord {
  readonly identity: string | undefined;
  /** The list entry (`seq`) under which `identity` was last found current. */
  checkedAt: number;
  readonly record: VersionRecord;
}

/** What a new version is made of, before its number is known. */
interface NewVersion {
  readonly kid: string;
  readonly spec: VersionRecord["spec"];
  readonly newKid: boolean;
  /** Exactly this number (an import with `version`). */
  readonly version: number | undefined;
  /** For a rotation: the kid's life when it started; a kid destroyed meanwhile is not revived. */
  readonly life: number | undefined;
  readonly activate: boolean;
  readonly publicKey: KeyObject | undefined;
  readonly secretKey: KeyObject | undefined;
  readonly signal: AbortSignal | undefined;
}

/**
 * Keys that survive a restart: a directory of files, every secret sealed with AES-256-GCM under the
 * store's random data key, itself wrapped by a key-encryption key (a passphrase through scrypt, 32
 * raw bytes, or a key of another provider such as AWS KMS). Every file is authenticated and bound
 * to its kid and version: a record edited, truncated or moved is refused with
 * `StoreIntegrityError` naming it, never served.
 *
 * - Everything `LocalKeyProvider` does (every algorithm, sign/verify/encrypt/decrypt/agree where
 *   the key lives, JWK/JWKS, staged rotation), plus `persist`.
 * - Several processes may share one directory: versions are claimed with exclusive hard links, so
 *   concurrent rotations get distinct consecutive numbers, and every call sees what other
 *   processes did before it (the cache is checked against the files, not a timer).
 * - Destroyed version numbers are never issued again, across restarts (a tombstone stays).
 * - Crash-safe: a process killed at any moment leaves a store that opens; writes are fsynced (the
 *   file, then its directory) before a call resolves.
 * - Files are 0600 in 0700 directories; a directory others can write to, or a symlinked record, is
 *   refused with `InsecureStoreError` saying what to fix.
 *
 * The constructor does no I/O: the first call creates the directory and the store header, or opens
 * it (a wrong KEK is `StoreUnlockError`, and nothing is changed).
 *
 * @example
 * ```ts
 * import { FileKeyProvider } from "@keyprovider/file";
 *
 * const provider = new FileKeyProvider({
 *   directory: "/var/lib/my-service/keys",
 *   kek: { passphrase: process.env.KEYPROVIDER_PASSPHRASE! },
 * });
 * const { kid } = await provider.createKey({ alg: "ES256" });
 * // Another process, or this one after a restart, signs with the same key:
 * const signature = await provider.sign(kid, new TextEncoder().encode("hello"));
 * ```
 */
export class FileKeyProvider extends KeyProviderBase {
  readonly name = "FileKeyProvider";
  /** The store directory, resolved to an absolute path. */
  readonly directory: string;
  #kek: Kek;
  readonly #paths: StorePaths;
  #keys: DataKeys | undefined;
  #opening: Promise<DataKeys> | undefined;
  readonly #kids = new Map<string, KidEntry>();
  /** The tail of each kid's queue of writes in this process. */
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Writes in flight, which a rekey waits for. */
  readonly #writes = new Set<Promise<unknown>>();
  /** Set while a rekey runs: writes wait for it. */
  #rekeying: Promise<void> | undefined;

  constructor(options: FileKeyProviderOptions) {
    super();
    if (typeof options !== "object" || options === null || Array.isArray(options)) {
      throw new TypeError(
        `FileKeyProvider options must be an object { directory, kek }, got ${describeType(options)}; kek is { passphrase }, { key } (32 bytes) or { provider, kid }`,
      );
    }
    const { directory, kek } = readOptions(options, "FileKeyProvider options", ["directory", "kek"]);
    if (typeof directory !== "string" || directory.length === 0) {
      throw new TypeError(
        `FileKeyProvider options.directory must be a non-empty path, got ${describeType(directory)}`,
      );
    }
    this.#kek = Kek.from(kek, "FileKeyProvider options.kek");
    this.directory = resolve(directory);
    this.#paths = new StorePaths(this.directory);
  }

  supports(): ProviderSupports {
    return SUPPORTS;
  }

  /**
   * Change the key-encryption key. By default only the header is rewritten: the data key is
   * wrapped under the new KEK and no record is touched, so it takes one write however many keys
   * the store holds (LUKS-like; a copy of the old header still opens with the old KEK, see the
   * README). With `rotateDataKey: true`, a new data key is made and every record, tombstone and
   * version list is re-encrypted under it; the old data key is then dropped from the header.
   *
   * Other processes that have the store open keep working with the data key they hold. A data-key
   * rotation should run while no other process writes to the store; run it again if it was
   * interrupted (the header keeps the old data key until every file has moved to the new one).
   *
   * @example
   * ```ts
   * await provider.rekey({ kek: { passphrase: newPassphrase } });
   * await provider.rekey({ kek: { provider: kms, kid: "store-kek" }, rotateDataKey: true });
   * ```
   */
  async rekey(options: RekeyOptions): Promise<void> {
    return traced(this.name, "rekey", undefined, undefined, async () => {
      if (options === undefined) throw new TypeError("rekey options are required: { kek, rotateDataKey? }");
      const { kek, rotateDataKey, signal } = readOptions(options, "rekey options", [
        "kek",
        "rotateDataKey",
        "signal",
      ]);
      const next = Kek.from(kek, "rekey options.kek");
      assertOptionalBoolean(rotateDataKey, "rekey options.rotateDataKey");
      await this.#unlock();
      await this.#exclusively(async () => {
        const keys = this.#keys!;
        if (rotateDataKey !== true) {
          await this.#writeHeader(next, keys, signal);
          this.#kek = next;
          return;
        }
        const fresh = newDataKey();
        const both: DataKeys = {
          storeId: keys.storeId,
          current: fresh.id,
          keys: new Map([[fresh.id, fresh.key], ...keys.keys]),
        };
        await this.#writeHeader(next, both, signal);
        this.#kek = next;
        this.#keys = both;
        await this.#resealAll(both);
        const only: DataKeys = {
          storeId: keys.storeId,
          current: fresh.id,
          keys: new Map([[fresh.id, fresh.key]]),
        };
        await this.#writeHeader(next, only, signal);
        this.#keys = only;
      });
    });
  }

  protected async createVersion(request: CreateVersionRequest): Promise<VersionRecord> {
    const { kid, spec, newKid, activate, signal } = request;
    await this.#unlock();
    // Taken before the slow part, as the in-memory store does: a kid destroyed meanwhile stays destroyed.
    const life = newKid ? undefined : (await this.#kid(kid))?.list;
    if (life !== undefined && life.live.length === 0) throw new KeyNotFoundError(kid);
    const keys = await generateKeys(spec);
    signal?.throwIfAborted();
    return this.#addVersion({
      kid,
      spec,
      newKid,
      version: undefined,
      life: life?.life,
      activate,
      publicKey: keys.publicKey,
      secretKey: keys.secretKey,
      signal,
    });
  }

  protected async importVersion(request: ImportVersionRequest): Promise<VersionRecord> {
    const { kid, version, spec, key, newKid, activate, signal } = request;
    await this.#unlock();
    signal?.throwIfAborted();
    return this.#addVersion({
      kid,
      spec,
      newKid,
      version,
      life: undefined,
      activate,
      publicKey: key.publicKey,
      secretKey: key.privateKey ?? key.secret,
      signal,
    });
  }

  protected async readVersion(kid: string, version: number | undefined): Promise<StoredVersion | undefined> {
    if (this.#keys === undefined) await this.#unlock();
    // The hot path of every operation: no await at all when the cached list and record are current.
    const entry = this.#current(kid) ?? (await this.#loadKid(kid));
    if (entry === undefined) return undefined;
    const { list } = entry;
    const wanted = version ?? list.primary;
    if (!list.live.includes(wanted)) return undefined;
    const record = this.#cachedRecord(kid, entry, wanted) ?? (await this.#record(kid, entry, wanted));
    return record === undefined ? undefined : { record, primary: entry.list.primary };
  }

  protected async listVersionNumbers(kid: string): Promise<VersionListing | undefined> {
    await this.#unlock();
    const list = (await this.#kid(kid))?.list;
    if (list === undefined || list.live.length === 0) return undefined;
    return { versions: [...list.live], primary: list.primary };
  }

  protected async listKids(prefix: string): Promise<string[]> {
    await this.#unlock();
    const kids: string[] = [];
    for (const name of namesIn(this.#paths.keys)) {
      if (!name.startsWith(prefix) || !isValidKid(name)) continue;
      const list = (await this.#kid(name))?.list;
      if (list !== undefined && list.live.length > 0) kids.push(name);
    }
    return kids.sort();
  }

  protected async destroyVersions(kid: string, version: number | undefined): Promise<boolean> {
    await this.#unlock();
    if ((await this.#kid(kid)) === undefined) return false;
    return this.#write(kid, async () => {
      let gone: readonly number[] = [];
      const next = await this.#commit(kid, (list) => {
        if (version === undefined ? list.live.length === 0 : !list.live.includes(version)) return undefined;
        gone = version === undefined ? list.live : [version];
        return withoutVersions(list, version);
      });
      if (next === undefined) return false;
      // Committed: the versions are gone for every reader. Now take their material off the disk,
      // with any left by a destroy that a crash interrupted.
      await this.#shred(kid, [...new Set([...gone, ...(await this.#unshredded(kid, next, gone))])]);
      return true;
    });
  }

  protected async setPrimary(kid: string, version: number): Promise<void> {
    await this.#unlock();
    await this.#write(kid, () =>
      this.#commit(kid, (list) => {
        if (!list.live.includes(version)) throw new KeyNotFoundError(kid, version);
        return list.primary === version ? undefined : withPrimary(list, version);
      }),
    );
  }

  // ---- opening ----------------------------------------------------------------------------------

  /** The data keys, opening the store (creating it if new) on first use. */
  async #unlock(): Promise<DataKeys> {
    if (this.#keys !== undefined) return this.#keys;
    this.#opening ??= this.#open().then(
      (keys) => {
        this.#keys = keys;
        return keys;
      },
      (error: unknown) => {
        this.#opening = undefined; // a KEK provider that was unavailable may answer next time
        throw error;
      },
    );
    return this.#opening;
  }

  async #open(): Promise<DataKeys> {
    const paths = this.#paths;
    await makeDirectory(paths.root, true);
    assertPrivateDirectory(await stat(paths.root), paths.root, paths.root);
    let header = readStoreFile(paths.header, "header");
    if (header === undefined) {
      const made = await this.#create();
      if (made !== undefined) return made;
      header = readStoreFile(paths.header, "header"); // another process made it first
      if (header === undefined)
        throw new StoreIntegrityError(`The key store ${paths.root} has no header`, { record: "header" });
    }
    const keys = await unlockHeader(header.bytes, this.#kek, paths.root, undefined);
    // Unlocked: only now is anything written (missing directories, cleaning of leftovers).
    await this.#prepareDirectories();
    await removeStaleTemps(paths.tmp);
    return keys;
  }

  /** Make a new store's header; `undefined` if another process made one first. */
  async #create(): Promise<DataKeys | undefined> {
    const paths = this.#paths;
    const foreign = namesIn(paths.root).filter((name) => name !== "keys" && name !== "tmp");
    if (foreign.length > 0 || namesIn(paths.keys).length > 0) {
      throw new StoreIntegrityError(
        `${paths.root} has no key store header but is not empty (${foreign.length > 0 ? `it holds ${quoteForMessage(foreign[0])}` : "keys/ holds keys"}): point FileKeyProvider at a new or empty directory, or restore the header from a backup`,
        { record: "header" },
      );
    }
    await this.#prepareDirectories();
    const { id, key } = newDataKey();
    const keys: DataKeys = { storeId: newStoreId(), current: id, keys: new Map([[id, key]]) };
    const temp = await writeTemp(paths.tmp, await headerBytes(this.#kek, keys, undefined));
    let claimed: boolean;
    try {
      claimed = await claimName(temp, paths.header);
    } finally {
      await removeQuietly(temp);
    }
    if (!claimed) return undefined;
    await syncDirectory(paths.root);
    return keys;
  }

  async #prepareDirectories(): Promise<void> {
    const paths = this.#paths;
    let made = false;
    for (const [path, display] of [
      [paths.keys, "keys"],
      [paths.tmp, "tmp"],
    ] as const) {
      made = (await makeDirectory(path)) || made;
      checkDirectory(path, display);
    }
    if (made) await syncDirectory(paths.root);
  }

  // ---- reading ----------------------------------------------------------------------------------

  /**
   * What this process knows of `kid`, brought up to date: two `lstat`s show whether the list file it
   * read is still the newest (its own file exists, the next one does not); otherwise the kid is
   * read again. `undefined` if the kid has no version list.
   */
  async #kid(kid: string): Promise<KidEntry | undefined> {
    return this.#current(kid) ?? this.#loadKid(kid);
  }

  /**
   * The cached entry of `kid` if it is still current, synchronously; else `undefined`. List names
   * are never freed (a superseded list is emptied, not removed), so the entry is current exactly
   * when the next name does not exist yet: one `access` call.
   */
  #current(kid: string): KidEntry | undefined {
    const entry = this.#kids.get(kid);
    return entry !== undefined && !exists(entry.next) ? entry : undefined;
  }

  async #loadKid(kid: string): Promise<KidEntry | undefined> {
    const dir = this.#paths.kid(kid);
    let emptied: number | undefined;
    for (;;) {
      if (checkDirectory(dir, `keys/${kid}`) === undefined) {
        this.#kids.delete(kid);
        return undefined;
      }
      const seqs = namesIn(dir)
        .map((name) => LIST_NAME.exec(name)?.[1])
        .filter((seq) => seq !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
      const seq = seqs.at(-1);
      if (seq === undefined) {
        this.#kids.delete(kid); // being created, or a create that a crash interrupted: no version yet
        return undefined;
      }
      const list = await this.#readList(kid, seq);
      if (list === undefined) {
        // Emptied because a newer list was committed since we looked: look again. The newest list
        // is never emptied, so finding it empty twice means it was damaged.
        if (emptied === seq)
          corrupt(`keys/${kid}/list.${seq}`, "is empty, but it is the newest version list");
        emptied = seq;
        continue;
      }
      return this.#remember(kid, list);
    }
  }

  /** Keep a list state of `kid` if it is newer than the one known; forget records no longer live. */
  #remember(kid: string, list: VersionList): KidEntry {
    let entry = this.#kids.get(kid);
    if (entry === undefined) {
      entry = { list, next: this.#paths.list(kid, list.seq + 1), records: new Map() };
      this.#kids.set(kid, entry);
    } else if (list.seq > entry.list.seq) {
      entry.list = list;
      entry.next = this.#paths.list(kid, list.seq + 1);
      for (const version of entry.records.keys())
        if (!list.live.includes(version)) entry.records.delete(version);
    }
    return entry;
  }

  /** A list file, authenticated; `undefined` if it has been emptied (superseded). */
  async #readList(kid: string, seq: number): Promise<VersionList | undefined> {
    const path = this.#paths.list(kid, seq);
    const display = `keys/${kid}/list.${seq}`;
    const read = readStoreFile(path, display);
    if (read === undefined) return corrupt(display, "disappeared; list files are never removed");
    if (read.bytes.length === 0) return undefined;
    const file = parseFile(read.bytes, display);
    openFile(file, await this.#keyFor(file, display), display);
    return readListFile(file, kid, seq, display);
  }

  /**
   * A live version's cached record if its file is still the one it was read from. A record file
   * changes only along with the list (a destroy), so its identity is checked again only when the
   * list has moved on.
   */
  #cachedRecord(kid: string, entry: KidEntry, version: number): VersionRecord | undefined {
    const cached = entry.records.get(version);
    if (cached === undefined) return undefined;
    if (cached.checkedAt === entry.list.seq) return cached.record;
    if (cached.identity !== peekIdentity(this.#paths.version(kid, version), `keys/${kid}/v${version}`))
      return undefined;
    cached.checkedAt = entry.list.seq;
    return cached.record;
  }

  /** A live version's record, read from its file and decrypted. */
  async #record(kid: string, entry: KidEntry, version: number): Promise<VersionRecord | undefined> {
    const path = this.#paths.version(kid, version);
    const display = `keys/${kid}/v${version}`;
    const read = readStoreFile(path, display);
    if (read === undefined) {
      if ((await this.#loadKid(kid))?.list.live.includes(version) !== true) return undefined; // destroyed meanwhile
      return corrupt(display, "is missing, but the version list says the version is live");
    }
    const file = parseFile(read.bytes, display);
    const plaintext = openFile(file, await this.#keyFor(file, display), display);
    if (versionFileKind(file, kid, version, display) === "tombstone") {
      if ((await this.#loadKid(kid))?.list.live.includes(version) !== true) return undefined; // destroyed meanwhile
      return corrupt(display, "is a tombstone, but the version list says the version is live");
    }
    const record = readRecord(file, plaintext, display);
    entry.records.set(version, { identity: read.identity, checkedAt: entry.list.seq, record });
    return record;
  }

  /** The data key a file is sealed with; the header is read again if another process rotated it. */
  async #keyFor(file: StoreFile, display: string): Promise<KeyObject> {
    const id = metaString(file, "key", display);
    let key = this.#keys?.keys.get(id);
    if (key === undefined) {
      const header = readStoreFile(this.#paths.header, "header");
      if (header !== undefined) {
        this.#keys = await unlockHeader(header.bytes, this.#kek, this.#paths.root, undefined);
        key = this.#keys.keys.get(id);
      }
    }
    return key ?? corrupt(display, "is sealed with a data key the store header does not hold");
  }

  // ---- writing ----------------------------------------------------------------------------------

  /** Run a write of `kid` after the earlier writes of this process to it (other kids run alongside). */
  async #write<T>(kid: string, run: () => Promise<T>): Promise<T> {
    while (this.#rekeying !== undefined) await this.#rekeying.catch(() => undefined);
    const previous = this.#queues.get(kid);
    const current = previous === undefined ? run() : previous.then(run, run);
    const tail = current.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(kid, tail);
    this.#writes.add(tail);
    void tail.then(() => {
      this.#writes.delete(tail);
      if (this.#queues.get(kid) === tail) this.#queues.delete(kid);
    });
    return current;
  }

  /** Run `work` with no write of this process in flight. */
  async #exclusively(work: () => Promise<void>): Promise<void> {
    while (this.#rekeying !== undefined) await this.#rekeying.catch(() => undefined);
    const running = (async () => {
      await Promise.all([...this.#writes]);
      await work();
    })();
    this.#rekeying = running;
    try {
      await running;
    } finally {
      this.#rekeying = undefined;
    }
  }

  /**
   * Change a kid's version list: `decide` gets the newest state and returns the next (or
   * `undefined` for no change; it may throw). The next state is claimed as `list.<seq + 1>` with an
   * exclusive link; if another writer claimed it first, `decide` runs again on theirs. The name of a
   * superseded list is kept (its file is emptied, not removed): a writer that decided on an old
   * state can never claim a name that was freed, so no update is lost.
   */
  async #commit(
    kid: string,
    decide: (list: VersionList) => VersionList | undefined,
  ): Promise<VersionList | undefined> {
    const keys = this.#keys!;
    for (;;) {
      const entry = await this.#kid(kid);
      const next = decide(entry?.list ?? EMPTY_LIST);
      if (next === undefined) return undefined;
      const temp = await writeTemp(
        this.#paths.tmp,
        listFile(kid, next, keys.current, keys.keys.get(keys.current)!),
      );
      let claimed: boolean;
      try {
        claimed = await claimName(temp, this.#paths.list(kid, next.seq));
      } finally {
        await removeQuietly(temp);
      }
      if (!claimed) continue;
      await syncDirectory(this.#paths.kid(kid));
      this.#remember(kid, next);
      if (next.seq > 1) await emptyQuietly(this.#paths.list(kid, next.seq - 1));
      return next;
    }
  }

  /** Write a new version: claim its number with its record file, then commit it to the list. */
  async #addVersion(request: NewVersion): Promise<VersionRecord> {
    const { kid } = request;
    return this.#write(kid, async () => {
      const keys = this.#keys!;
      const paths = this.#paths;
      const dir = paths.kid(kid);
      if (await makeDirectory(dir)) {
        await syncDirectory(paths.keys);
      } else if (request.newKid) {
        throw new KeyExistsError(kid, 1); // a random kid collided; the base draws another
      } else {
        checkDirectory(dir, `keys/${kid}`);
      }
      const current = (await this.#kid(kid))?.list ?? EMPTY_LIST;
      assertAlive(kid, current, request.life);
      const scopedId = b64url(randomBytes(32));
      let version = request.version ?? current.highest + 1;
      let input: RecordInput;
      for (;;) {
        if (
          request.version !== undefined &&
          (current.live.includes(version) || current.destroyed.includes(version))
        ) {
          throw new KeyExistsError(kid, version, { retired: current.destroyed.includes(version) });
        }
        if (version > MAX_KEY_VERSION) {
          throw new RangeError(
            `Key ${quoteForMessage(kid)} has used every version number up to ${MAX_KEY_VERSION}`,
          );
        }
        request.signal?.throwIfAborted();
        input = {
          kid,
          version,
          spec: request.spec,
          publicKey: request.publicKey,
          secretKey: request.secretKey,
          scopedId,
        };
        const temp = await writeTemp(
          paths.tmp,
          recordFile(input, keys.current, keys.keys.get(keys.current)!),
        );
        let claimed: boolean;
        try {
          claimed = await claimName(temp, paths.version(kid, version));
        } finally {
          await removeQuietly(temp);
        }
        if (claimed) break;
        if (request.version !== undefined) {
          const retired = (await this.#kid(kid))?.list.destroyed.includes(version) === true;
          throw new KeyExistsError(kid, version, { retired });
        }
        await this.#shredIfAbandoned(kid, version);
        version += 1;
      }
      await syncDirectory(dir);
      try {
        await this.#commit(kid, (list) => {
          assertAlive(kid, list, request.life);
          return withVersion(list, input.version, request.activate);
        });
      } catch (error) {
        await this.#shred(kid, [input.version]); // claimed but never listed: leave no material behind
        throw error;
      }
      const record = versionRecord(input);
      const entry = this.#kids.get(kid);
      entry?.records.set(input.version, {
        identity: peekIdentity(paths.version(kid, input.version), `keys/${kid}/v${input.version}`),
        checkedAt: entry.list.seq,
        record,
      });
      return record;
    });
  }

  /**
   * Replace version files with tombstones: the kid and number stay taken, the key material goes.
   * The directory is synced once after all of them.
   */
  async #shred(kid: string, versions: readonly number[]): Promise<void> {
    if (versions.length === 0) return;
    const keys = this.#keys!;
    for (const version of versions) {
      const bytes = tombstoneFile(kid, version, keys.current, keys.keys.get(keys.current)!);
      const temp = await writeTemp(this.#paths.tmp, bytes);
      try {
        await replaceWith(temp, this.#paths.version(kid, version));
      } catch (error) {
        await removeQuietly(temp);
        throw error;
      }
      this.#kids.get(kid)?.records.delete(version);
    }
    await syncDirectory(this.#paths.kid(kid));
  }

  /**
   * Destroyed versions (other than `except`) whose files still hold a record: a destroy that a
   * crash interrupted between its commit and its tombstone, or a record copied back over its
   * tombstone. Neither is ever served (the list says destroyed); this takes the material away.
   */
  async #unshredded(kid: string, list: VersionList, except: readonly number[]): Promise<number[]> {
    const found: number[] = [];
    for (const version of list.destroyed) {
      if (except.includes(version)) continue;
      const display = `keys/${kid}/v${version}`;
      let read;
      try {
        read = readStoreFile(this.#paths.version(kid, version), display);
      } catch {
        read = undefined; // refused (a symlink, loose permissions): reading will say so
      }
      if (read === undefined) continue;
      let kind: unknown;
      try {
        kind = parseFile(read.bytes, display).meta["type"];
      } catch {
        kind = undefined;
      }
      if (kind !== "tombstone") found.push(version);
    }
    return found;
  }

  /**
   * A number whose record file exists but that no list mentions is either being committed by
   * another writer right now or was claimed by a process that died before committing it. Past the
   * grace period it is the latter: its material is removed (the number stays taken).
   */
  async #shredIfAbandoned(kid: string, version: number): Promise<void> {
    const path = this.#paths.version(kid, version);
    const stats = await stat(path).catch(() => undefined);
    if (stats === undefined || Date.now() - stats.mtimeMs <= TEMP_GRACE_MS) return;
    const list = (await this.#kid(kid))?.list ?? EMPTY_LIST;
    if (list.live.includes(version) || list.destroyed.includes(version)) return;
    await this.#shred(kid, [version]);
  }

  // ---- rekey ------------------------------------------------------------------------------------

  async #writeHeader(kek: Kek, keys: DataKeys, signal: AbortSignal | undefined): Promise<void> {
    const temp = await writeTemp(this.#paths.tmp, await headerBytes(kek, keys, signal));
    try {
      await replaceWith(temp, this.#paths.header);
    } catch (error) {
      await removeQuietly(temp);
      throw error;
    }
    await syncDirectory(this.#paths.root);
  }

  /** Re-encrypt every version file and the newest version list of every kid under the current data key. */
  async #resealAll(keys: DataKeys): Promise<void> {
    const current = keys.keys.get(keys.current)!;
    for (const kid of namesIn(this.#paths.keys)) {
      if (!isValidKid(kid)) continue;
      const dir = this.#paths.kid(kid);
      if (checkDirectory(dir, `keys/${kid}`) === undefined) continue;
      const names = namesIn(dir);
      const lists = names
        .map((name) => LIST_NAME.exec(name)?.[1])
        .filter((seq) => seq !== undefined)
        .map(Number);
      const newest = Math.max(0, ...lists);
      for (const name of names) {
        const isList = LIST_NAME.exec(name);
        if (isList !== null && Number(isList[1]) !== newest) {
          await emptyQuietly(`${dir}/${name}`);
          continue;
        }
        if (isList === null && VERSION_NAME.exec(name) === null) continue;
        const display = `keys/${kid}/${name}`;
        const read = readStoreFile(`${dir}/${name}`, display);
        if (read === undefined) continue;
        const file = parseFile(read.bytes, display);
        const id = metaString(file, "key", display);
        if (id === keys.current) continue;
        const plaintext = openFile(file, await this.#keyFor(file, display), display);
        try {
          const temp = await writeTemp(
            this.#paths.tmp,
            sealFile({ ...file.meta, key: keys.current }, current, plaintext),
          );
          await replaceWith(temp, `${dir}/${name}`);
        } finally {
          plaintext.fill(0);
        }
      }
      await syncDirectory(dir);
    }
  }
}

function assertAlive(kid: string, list: VersionList, life: number | undefined): void {
  if (life !== undefined && (list.live.length === 0 || list.life !== life)) throw new KeyNotFoundError(kid);
}
