import { randomUUID } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { StoreIntegrityError, describeType, isValidKid, versionedKid } from "@keyprovider/core";
import { assertOptionalVersion, assertVersion } from "@keyprovider/base";

/**
 * Where one version of a primary key lives on the secondary when the secondary could not take it
 * under the same kid (see {@link MappingStore}).
 *
 * @example
 * ```ts
 * const mapping: MirrorMapping = { kid: "signing", version: 3, secondaryKid: "9f…e1", secondaryVersion: 3 };
 * ```
 */
export interface MirrorMapping {
  /** The primary's kid. */
  readonly kid: string;
  /** The primary's version. */
  readonly version: number;
  /** The kid the copy has on the secondary; every version of one primary kid maps to the same one. */
  readonly secondaryKid: string;
  /** The version the copy has on the secondary. */
  readonly secondaryVersion: number;
}

/**
 * Where `MirroredKeyProvider` remembers the copies it could not make under the primary's own kid.
 *
 * A mirror copies every version under the same kid and version on the secondary, so nothing needs
 * remembering. Only when the secondary cannot take a kid — it already holds that kid with another
 * key, or it refuses caller-chosen kids — does the copy go to a fresh secondary kid of its own,
 * and the mapping says where. Failover reads, `jwks()` and `destroyKey` translate through it, so
 * a failed-over key always carries the primary's kid. Keep the mappings wherever the secondary's
 * keys live: a mapping lost while its copy survives leaves that copy unreachable by failover.
 * Implementations must be safe to call concurrently.
 *
 * @example
 * ```ts
 * const store: MappingStore = new FileMappingStore("/var/lib/app/mirror-mappings.json");
 * const provider = new MirroredKeyProvider(primary, secondary, { mappingStore: store });
 * ```
 */
export interface MappingStore {
  /** The mapping of one primary version, if there is one. */
  get(kid: string, version: number): Promise<MirrorMapping | undefined>;
  /** Add or replace the mapping of `mapping.kid` / `mapping.version`. */
  set(mapping: MirrorMapping): Promise<void>;
  /** Forget one version's mapping, or every mapping of the kid. */
  delete(kid: string, version?: number): Promise<void>;
  /** Every mapping of one primary kid (or of every kid), sorted by kid and version. */
  list(kid?: string): Promise<MirrorMapping[]>;
}

/**
 * Check that `value` implements {@link MappingStore}; `TypeError` otherwise.
 *
 * @internal
 */
export function assertMappingStore(value: unknown, name: string): asserts value is MappingStore {
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`${name} must be a MappingStore object, got ${describeType(value)}`);
  }
  for (const method of ["get", "set", "delete", "list"]) {
    if (typeof (value as Record<string, unknown>)[method] !== "function") {
      throw new TypeError(`${name} must have a ${method}() method (get, set, delete, list)`);
    }
  }
}

function checked(mapping: MirrorMapping): MirrorMapping {
  if (typeof mapping !== "object" || mapping === null) {
    throw new TypeError(`mapping must be an object, got ${describeType(mapping)}`);
  }
  const { kid, version, secondaryKid, secondaryVersion } = mapping;
  for (const [name, value] of [
    ["mapping.kid", kid],
    ["mapping.secondaryKid", secondaryKid],
  ] as const) {
    if (!isValidKid(value)) {
      throw new TypeError(
        `${name} must be 1-128 characters of A-Z, a-z, 0-9, "_" or "-", got ${describeType(value)}`,
      );
    }
  }
  assertVersion(version, "mapping.version");
  assertVersion(secondaryVersion, "mapping.secondaryVersion");
  return Object.freeze({ kid, version, secondaryKid, secondaryVersion });
}

function byKidAndVersion(a: MirrorMapping, b: MirrorMapping): number {
  return a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : a.version - b.version;
}

/** Mappings keyed by `"<kid>.<version>"`; the operations both stores share. */
class MappingTable {
  readonly #mappings = new Map<string, MirrorMapping>();

  constructor(mappings: Iterable<MirrorMapping> = []) {
    for (const mapping of mappings) this.set(mapping);
  }

  get(kid: string, version: number): MirrorMapping | undefined {
    return this.#mappings.get(versionedKid(kid, version));
  }

  set(mapping: MirrorMapping): void {
    const entry = checked(mapping);
    this.#mappings.set(versionedKid(entry.kid, entry.version), entry);
  }

  delete(kid: string, version: number | undefined): boolean {
    if (version !== undefined) return this.#mappings.delete(versionedKid(kid, version));
    let removed = false;
    for (const [key, mapping] of this.#mappings) {
      if (mapping.kid === kid) removed = this.#mappings.delete(key) || removed;
    }
    return removed;
  }

  list(kid: string | undefined): MirrorMapping[] {
    const all = [...this.#mappings.values()];
    return (kid === undefined ? all : all.filter((mapping) => mapping.kid === kid)).sort(byKidAndVersion);
  }
}

function assertLookup(kid: unknown, version: unknown): void {
  if (typeof kid !== "string") throw new TypeError(`kid must be a string, got ${describeType(kid)}`);
  assertOptionalVersion(version);
}

/**
 * The default {@link MappingStore}: mappings in process memory, gone when the process exits. Fine
 * when the secondary is itself in memory; otherwise use a store that lives as long as the
 * secondary's keys ({@link FileMappingStore}, or your database).
 *
 * @example
 * ```ts
 * const store = new InMemoryMappingStore();
 * await store.set({ kid: "signing", version: 1, secondaryKid: "0b…9c", secondaryVersion: 1 });
 * await store.list("signing"); // [{ kid: "signing", version: 1, secondaryKid: "0b…9c", secondaryVersion: 1 }]
 * ```
 */
export class InMemoryMappingStore implements MappingStore {
  readonly #table = new MappingTable();

  async get(kid: string, version: number): Promise<MirrorMapping | undefined> {
    assertLookup(kid, version);
    return this.#table.get(kid, version);
  }

  async set(mapping: MirrorMapping): Promise<void> {
    this.#table.set(mapping);
  }

  async delete(kid: string, version?: number): Promise<void> {
    assertLookup(kid, version);
    this.#table.delete(kid, version);
  }

  async list(kid?: string): Promise<MirrorMapping[]> {
    if (kid !== undefined) assertLookup(kid, undefined);
    return this.#table.list(kid);
  }
}

/** The file's format: `{ "format": 1, "mappings": [ { kid, version, secondaryKid, secondaryVersion } ] }`. */
const FILE_FORMAT = 1;

/**
 * A {@link MappingStore} in one JSON file, so mappings survive a restart and a new provider
 * instance finds them. The file is `{ "format": 1, "mappings": [...] }`, written with mode 0600 to
 * a temporary file that is then renamed over it, so a crash never leaves half a file. Every call
 * reads the file afresh and the calls of one store are serialized; several processes may read it,
 * but let only one write it. A file that is not a mapping file is refused with
 * `StoreIntegrityError`, never overwritten.
 *
 * @example
 * ```ts
 * import { FileMappingStore, MirroredKeyProvider } from "@keyprovider/mirrored";
 *
 * const mappingStore = new FileMappingStore("/var/lib/app/mirror-mappings.json");
 * const provider = new MirroredKeyProvider(primary, secondary, { mappingStore });
 * ```
 */
export class FileMappingStore implements MappingStore {
  readonly #path: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    if (typeof path !== "string" || path.length === 0) {
      throw new TypeError(`FileMappingStore: path must be a non-empty string, got ${describeType(path)}`);
    }
    this.#path = path;
  }

  /** The file's path. */
  get path(): string {
    return this.#path;
  }

  async get(kid: string, version: number): Promise<MirrorMapping | undefined> {
    assertLookup(kid, version);
    return this.#run(async () => (await this.#load()).get(kid, version));
  }

  async set(mapping: MirrorMapping): Promise<void> {
    checked(mapping);
    return this.#run(async () => {
      const table = await this.#load();
      table.set(mapping);
      await this.#save(table);
    });
  }

  async delete(kid: string, version?: number): Promise<void> {
    assertLookup(kid, version);
    return this.#run(async () => {
      const table = await this.#load();
      if (table.delete(kid, version)) await this.#save(table);
    });
  }

  async list(kid?: string): Promise<MirrorMapping[]> {
    if (kid !== undefined) assertLookup(kid, undefined);
    return this.#run(async () => (await this.#load()).list(kid));
  }

  /** Run one operation after the previous ones of this store, whatever their outcome. */
  #run<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation, operation);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #load(): Promise<MappingTable> {
    let text: string;
    try {
      text = await readFile(this.#path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return new MappingTable();
      throw error;
    }
    const corrupt = (why: string) =>
      new StoreIntegrityError(`The mirror mapping file is not usable: ${why}`, { record: this.#path });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw corrupt("it is not JSON");
    }
    const { format, mappings } = (parsed ?? {}) as { format?: unknown; mappings?: unknown };
    if (format !== FILE_FORMAT) throw corrupt(`its format is not ${FILE_FORMAT}`);
    if (!Array.isArray(mappings)) throw corrupt('"mappings" is not an array');
    try {
      return new MappingTable(mappings as MirrorMapping[]);
    } catch {
      throw corrupt("an entry is not a mapping of a kid and version");
    }
  }

  async #save(table: MappingTable): Promise<void> {
    const temporary = `${this.#path}.${randomUUID()}.tmp`;
    const body = JSON.stringify({ format: FILE_FORMAT, mappings: table.list(undefined) }, null, 2);
    try {
      await writeFile(temporary, `${body}\n`, { mode: 0o600, flag: "wx" });
      await rename(temporary, this.#path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
}
