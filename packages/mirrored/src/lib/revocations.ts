import { parseVersionedKid, type PublicJwk } from "@keyprovider/core";

/**
 * The kids (all of their versions) and versions the primary reported unavailable (disabled, pending
 * deletion): a revocation the secondary must never undo by serving or republishing the copy, even
 * during a later outage of the primary. In memory, like the primary's answer it remembers.
 */
export class Revocations {
  readonly #revoked = new Map<string, { all: boolean; readonly versions: Set<number> }>();

  note(kid: string, version: number | undefined): void {
    let entry = this.#revoked.get(kid);
    if (entry === undefined) {
      entry = { all: false, versions: new Set() };
      this.#revoked.set(kid, entry);
    }
    if (version === undefined) entry.all = true;
    else entry.versions.add(version);
  }

  /** The primary served `kid` (`version`) again: it was re-enabled. */
  forget(kid: string, version: number | undefined): void {
    const entry = this.#revoked.get(kid);
    if (entry === undefined) return;
    entry.all = false;
    if (version !== undefined) entry.versions.delete(version);
    if (entry.versions.size === 0) this.#revoked.delete(kid);
  }

  has(kid: string, version: number | undefined): boolean {
    const entry = this.#revoked.get(kid);
    return entry !== undefined && (entry.all || (version !== undefined && entry.versions.has(version)));
  }

  hasJwk(jwk: PublicJwk): boolean {
    const { kid, version } = parseVersionedKid(jwk.kid);
    return this.has(kid, version);
  }
}
