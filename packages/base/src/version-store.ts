import { KeyExistsError, KeyNotFoundError } from "@keyprovider/core";

interface Entry<T> {
  readonly versions: Map<number, T>;
  /** The highest version ever issued for this kid; versions are never reused while it lives. */
  highest: number;
}

/**
 * Versions of keys by kid, for providers that hold keys in process memory.
 *
 * Every mutation is synchronous, so a version number is taken at the moment a record is added:
 * concurrent `rotateKey` calls that generate material in parallel still get distinct, consecutive
 * versions, and one that fails leaves no gap. A destroyed version's number is not issued again
 * while its kid exists, so a verifier that cached `"<kid>.<n>"` never meets a different key under it.
 *
 * @example
 * ```ts
 * const store = new VersionStore<Record>();
 * store.add(kid, undefined, (version) => ({ version }));   // version 1
 * store.add(kid, undefined, (version) => ({ version }));   // version 2
 * store.get(kid);                                          // the version 2 record
 * ```
 */
export class VersionStore<T> {
  readonly #keys = new Map<string, Entry<T>>();

  /** Whether the kid exists (has at least one version). */
  has(kid: string): boolean {
    return this.#keys.has(kid);
  }

  /** A version, or the latest; `KeyNotFoundError` if there is none. */
  get(kid: string, version?: number): T {
    const entry = this.#entry(kid);
    const wanted = version ?? this.#latest(entry);
    const record = entry.versions.get(wanted);
    if (record === undefined) throw new KeyNotFoundError(kid, version);
    return record;
  }

  /** Live versions, ascending; `KeyNotFoundError` for an unknown kid. */
  versions(kid: string): number[] {
    return [...this.#entry(kid).versions.keys()].sort((a, b) => a - b);
  }

  /** Kids, sorted, optionally only those starting with `prefix`. */
  kids(prefix = ""): string[] {
    const kids: string[] = [];
    for (const kid of this.#keys.keys()) if (kid.startsWith(prefix)) kids.push(kid);
    return kids.sort();
  }

  /**
   * Add a version to `kid`, creating the kid if it does not exist. Without `version`, the next
   * number is `highest + 1` (1 for a new kid); with one, it must not be live (`KeyExistsError`).
   * `make` builds the record for the chosen number and may throw to abort.
   */
  add(kid: string, version: number | undefined, make: (version: number) => T): T {
    const entry = this.#keys.get(kid);
    const chosen = version ?? (entry?.highest ?? 0) + 1;
    if (entry?.versions.has(chosen)) throw new KeyExistsError(kid, chosen);
    const record = make(chosen);
    if (entry === undefined) {
      this.#keys.set(kid, { versions: new Map([[chosen, record]]), highest: chosen });
    } else {
      entry.versions.set(chosen, record);
      entry.highest = Math.max(entry.highest, chosen);
    }
    return record;
  }

  /** Remove one version, or all; `true` only if something was removed. The last version takes the kid with it. */
  delete(kid: string, version?: number): boolean {
    const entry = this.#keys.get(kid);
    if (entry === undefined) return false;
    if (version === undefined) return this.#keys.delete(kid);
    const removed = entry.versions.delete(version);
    if (entry.versions.size === 0) this.#keys.delete(kid);
    return removed;
  }

  #entry(kid: string): Entry<T> {
    const entry = this.#keys.get(kid);
    if (entry === undefined) throw new KeyNotFoundError(kid);
    return entry;
  }

  #latest(entry: Entry<T>): number {
    let latest = 0;
    for (const version of entry.versions.keys()) if (version > latest) latest = version;
    return latest;
  }
}
