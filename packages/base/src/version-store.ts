import { KeyExistsError, KeyNotFoundError, quoteForMessage } from "@keyprovider/core";
import { MAX_KEY_VERSION } from "./guards.js";

/** The numbers a kid has used: destroyed ones and the highest ever issued. */
interface Numbers {
  /** Numbers of destroyed versions; never issued again. */
  readonly retired: Set<number>;
  /** The highest version ever issued for this kid. */
  highest: number;
}

interface Entry<T> extends Numbers {
  readonly versions: Map<number, T>;
  /** The version reads without a version use. */
  primary: number;
}

/**
 * Identifies one life of a kid: taken before a slow operation, it lets {@link VersionStore.add}
 * refuse to add to a kid that was destroyed (and perhaps re-created) in the meantime.
 *
 * @example
 * ```ts
 * const token = store.token(kid);
 * const material = await generate();
 * store.add(kid, undefined, make, token);
 * ```
 */
export type VersionStoreToken = object;

/**
 * Versions of keys by kid, for providers that hold keys in process memory.
 *
 * Every mutation is synchronous, so a version number is taken at the moment a record is added:
 * concurrent `rotateKey` calls that generate material in parallel still get distinct, consecutive
 * versions, and one that fails leaves no gap. A destroyed version's number is never issued again
 * (not by rotation, not by an explicit import, not after the whole kid was destroyed and is used
 * again), so a verifier that cached `"<kid>.<n>"` never meets a different key under it. A kid
 * without live versions is gone for every read; only its used numbers are remembered.
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
  /** The used numbers of kids whose every version was destroyed. */
  readonly #destroyed = new Map<string, Numbers>();
  /** Every kid, sorted; kept until a kid is added or removed (jwks() lists them on every call). */
  #sortedKids: readonly string[] | undefined;

  /** Whether the kid exists (has at least one version). */
  has(kid: string): boolean {
    return this.#keys.has(kid);
  }

  /** A version, or the primary; `KeyNotFoundError` if there is none. */
  get(kid: string, version?: number): T {
    const record = this.find(kid, version);
    if (record === undefined) throw new KeyNotFoundError(kid, version);
    return record;
  }

  /** A version, or the primary; `undefined` if there is none. */
  find(kid: string, version?: number): T | undefined {
    const entry = this.#keys.get(kid);
    return entry?.versions.get(version ?? entry.primary);
  }

  /** A version (or the primary) with the kid's primary number, or `undefined`: one lookup, no copies. */
  findWithPrimary(
    kid: string,
    version?: number,
  ): { readonly record: T; readonly primary: number } | undefined {
    const entry = this.#keys.get(kid);
    if (entry === undefined) return undefined;
    const record = entry.versions.get(version ?? entry.primary);
    return record === undefined ? undefined : { record, primary: entry.primary };
  }

  /** The live versions (ascending) and the primary of a kid, or `undefined`. */
  listing(kid: string): { readonly versions: number[]; readonly primary: number } | undefined {
    const entry = this.#keys.get(kid);
    if (entry === undefined) return undefined;
    return { versions: [...entry.versions.keys()].sort((a, b) => a - b), primary: entry.primary };
  }

  /** Make a live version the primary; `false` if it is not live. */
  setPrimary(kid: string, version: number): boolean {
    const entry = this.#keys.get(kid);
    if (entry?.versions.has(version) !== true) return false;
    entry.primary = version;
    return true;
  }

  /** Live versions, ascending; `KeyNotFoundError` for an unknown kid. */
  versions(kid: string): number[] {
    return [...this.#entry(kid).versions.keys()].sort((a, b) => a - b);
  }

  /** Kids, sorted, optionally only those starting with `prefix`. */
  kids(prefix = ""): string[] {
    this.#sortedKids ??= [...this.#keys.keys()].sort();
    return prefix === "" ? [...this.#sortedKids] : this.#sortedKids.filter((kid) => kid.startsWith(prefix));
  }

  /** The current life of `kid`, for {@link add}'s `expected`; `KeyNotFoundError` if there is none. */
  token(kid: string): VersionStoreToken {
    return this.#entry(kid);
  }

  /**
   * Add a version to `kid`, creating the kid if it does not exist. Without `version`, the next
   * number is `highest + 1` (1 for a kid never used; a destroyed kid continues after its highest);
   * with one, it must be neither live nor destroyed, even with the whole kid (`KeyExistsError`). With `expected`, the kid must still be the one the token was taken from
   * (`KeyNotFoundError` otherwise). `make` builds the record for the chosen number and may throw to
   * abort. The new version becomes primary when it is the kid's first, or when `activate` is true
   * (the default) and it is newer than the primary; otherwise it is staged (or back-filled).
   */
  add(
    kid: string,
    version: number | undefined,
    make: (version: number) => T,
    expected?: VersionStoreToken,
    activate = true,
  ): T {
    const entry = this.#keys.get(kid);
    if (expected !== undefined && entry !== expected) throw new KeyNotFoundError(kid);
    const used = entry ?? this.#destroyed.get(kid);
    const chosen = version ?? (used?.highest ?? 0) + 1;
    if (chosen > MAX_KEY_VERSION) {
      throw new RangeError(
        `Key ${quoteForMessage(kid)} has used every version number up to ${MAX_KEY_VERSION}`,
      );
    }
    if (entry?.versions.has(chosen)) throw new KeyExistsError(kid, chosen);
    if (used?.retired.has(chosen)) throw new KeyExistsError(kid, chosen, { retired: true });
    const record = make(chosen);
    if (entry === undefined) {
      this.#sortedKids = undefined;
      this.#keys.set(kid, {
        versions: new Map([[chosen, record]]),
        retired: used?.retired ?? new Set(),
        highest: Math.max(used?.highest ?? 0, chosen),
        primary: chosen,
      });
      this.#destroyed.delete(kid);
    } else {
      entry.versions.set(chosen, record);
      entry.highest = Math.max(entry.highest, chosen);
      if (activate && chosen > entry.primary) entry.primary = chosen;
    }
    return record;
  }

  /**
   * Remove one version, or all; `true` only if something was removed. The last version takes the kid
   * with it (its numbers stay retired). When the primary goes, the newest older live version becomes
   * primary, or else the oldest newer one (the first staged).
   */
  delete(kid: string, version?: number): boolean {
    const entry = this.#keys.get(kid);
    if (entry === undefined) return false;
    if (version !== undefined && !entry.versions.has(version)) return false;
    for (const each of version === undefined ? [...entry.versions.keys()] : [version]) {
      entry.versions.delete(each);
      entry.retired.add(each);
    }
    if (entry.versions.size === 0) {
      // A new life of the kid is a new entry (tokens of this one no longer match), with these numbers.
      this.#sortedKids = undefined;
      this.#keys.delete(kid);
      this.#destroyed.set(kid, { retired: entry.retired, highest: entry.highest });
    } else if (version === entry.primary) {
      const live = [...entry.versions.keys()].sort((a, b) => a - b);
      entry.primary = live.filter((v) => v < version).at(-1) ?? live[0]!;
    }
    return true;
  }

  #entry(kid: string): Entry<T> {
    const entry = this.#keys.get(kid);
    if (entry === undefined) throw new KeyNotFoundError(kid);
    return entry;
  }
}
