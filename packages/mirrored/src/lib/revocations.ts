import { parseVersionedKid, type PublicJwk } from "@keyprovider/core";

/** Why the secondary must not serve a copy: the primary revoked the key, or it was destroyed through the mirror. */
export type Refusal = "revoked" | "destroyed";

/** Kids (all of their versions) and single versions. */
class Marks {
  readonly #marks = new Map<string, { all: boolean; readonly versions: Set<number> }>();

  add(kid: string, version: number | undefined): void {
    let entry = this.#marks.get(kid);
    if (entry === undefined) {
      entry = { all: false, versions: new Set() };
      this.#marks.set(kid, entry);
    }
    if (version === undefined) entry.all = true;
    else entry.versions.add(version);
  }

  /** Lift the version's mark and, with `all`, the whole-kid mark. */
  remove(kid: string, version: number | undefined, all: boolean): void {
    const entry = this.#marks.get(kid);
    if (entry === undefined) return;
    if (all) entry.all = false;
    if (version !== undefined) entry.versions.delete(version);
    if (!entry.all && entry.versions.size === 0) this.#marks.delete(kid);
  }

  /** Lift every mark of the kid. */
  clear(kid: string): void {
    this.#marks.delete(kid);
  }

  has(kid: string, version: number | undefined): boolean {
    const entry = this.#marks.get(kid);
    return entry !== undefined && (entry.all || (version !== undefined && entry.versions.has(version)));
  }

  kids(): string[] {
    return [...this.#marks.keys()];
  }
}

/**
 * What the secondary must never serve or republish, even during a later outage of the primary:
 *
 * - **revoked**: kids and versions the primary reported unavailable (disabled, pending deletion).
 *   Lifted when the primary serves them again (re-enabled).
 * - **destroyed**: versions and kids destroyed through the mirror whose copy could not be removed
 *   (the secondary failed). Lifted only once the copy is known to be gone: a later `destroyKey`
 *   or `resync()` removed it.
 *
 * In memory, like the primary's answers it remembers; `resync()` removes the copies of both, so a
 * restarted process does not depend on it.
 */
export class Revocations {
  readonly #revoked = new Marks();
  readonly #destroyed = new Marks();

  note(kid: string, version: number | undefined): void {
    this.#revoked.add(kid, version);
  }

  /** The primary served `kid` (`version`) again: it was re-enabled. */
  forget(kid: string, version: number | undefined): void {
    this.#revoked.remove(kid, version, true);
  }

  /** `kid` (`version`) was destroyed through the mirror and its copy may still exist. */
  noteDestroyed(kid: string, version: number | undefined): void {
    this.#destroyed.add(kid, version);
  }

  /** The copies of `kid` (`version`; without one, of every destroyed version) are known to be gone. */
  clearDestroyed(kid: string, version?: number): void {
    if (version === undefined) this.#destroyed.clear(kid);
    // A whole-kid mark stays: the kid's other copies may still be there.
    else this.#destroyed.remove(kid, version, false);
  }

  /** The kids with a destroyed mark. */
  destroyedKids(): string[] {
    return this.#destroyed.kids();
  }

  refusal(kid: string, version: number | undefined): Refusal | undefined {
    if (this.#destroyed.has(kid, version)) return "destroyed";
    return this.#revoked.has(kid, version) ? "revoked" : undefined;
  }

  has(kid: string, version: number | undefined): boolean {
    return this.refusal(kid, version) !== undefined;
  }

  hasJwk(jwk: PublicJwk): boolean {
    const { kid, version } = parseVersionedKid(jwk.kid);
    return this.has(kid, version);
  }
}
