import {
  InvalidKeySpecError,
  InvalidKidError,
  KeyExistsError,
  KeyNotFoundError,
  KeyUnavailableError,
  NotSupportedError,
  parseVersionedKid,
  versionedKid,
  type CallOptions,
  type ImportKeyOptions,
  type Jwks,
  type KeyProvider,
  type KeyRef,
  type PublicJwk,
} from "@keyprovider/core";
import type { MappingStore, MirrorMapping } from "../mapping-store.js";
import { copyRequest, isMirrored, sameKey, type MirrorMode } from "./copy-request.js";
import type { Revocations } from "./revocations.js";

/** `{ signal }` when there is one (`exactOptionalPropertyTypes` forbids `{ signal: undefined }`). */
export const withSignal = (signal: AbortSignal | undefined): CallOptions =>
  signal === undefined ? {} : { signal };

/** Where a primary key's copy lives on the secondary, and the mappings that say so. */
export interface Location {
  readonly kid: string;
  readonly version: number | undefined;
  /** The kid's mappings; empty when the copy has the primary's own kid and versions. */
  readonly mappings: readonly MirrorMapping[];
}

export interface Counts {
  kids: number;
  copied: number;
  destroyed: number;
  activated: number;
  failed: number;
}

/** An error of the secondary that says it cannot hold this copy under the primary's kid. */
function refusesKid(error: unknown): boolean {
  return (
    KeyExistsError.isInstance(error) ||
    InvalidKidError.isInstance(error) ||
    NotSupportedError.isInstance(error) ||
    (InvalidKeySpecError.isInstance(error) && error.field === "alg")
  );
}

/** The primary version of a secondary version at `location`, or `undefined` if it is not a copy. */
export function primaryVersion(location: Location, secondaryVersion: number): number | undefined {
  if (location.mappings.length === 0) return secondaryVersion;
  return location.mappings.find(
    (m) => m.secondaryKid === location.kid && m.secondaryVersion === secondaryVersion,
  )?.version;
}

/**
 * Translate secondary kids to primary kids: a mapped home becomes its primary kid, a primary kid
 * that is mapped away (the secondary's key of that name is another key) becomes nothing, and
 * every other kid is the same on both sides.
 */
export function primaryKids(
  mappings: readonly MirrorMapping[],
): (secondaryKid: string) => string | undefined {
  const homes = new Map(mappings.map((m) => [m.secondaryKid, m.kid]));
  const mappedAway = new Set(mappings.map((m) => m.kid));
  return (secondaryKid) =>
    homes.get(secondaryKid) ?? (mappedAway.has(secondaryKid) ? undefined : secondaryKid);
}

/**
 * The secondary's side of a mirror: where each primary key's copy lives (same kid and version, or
 * a mapped home), making and removing copies, and bringing a kid's copies in line with the primary.
 * It never decides whether a failure is acceptable; `MirroredKeyProvider` does.
 */
export class Copies {
  readonly #primary: KeyProvider;
  readonly #secondary: KeyProvider;
  readonly #mode: MirrorMode;
  readonly #mappings: MappingStore;
  readonly #revocations: Revocations;

  constructor(
    primary: KeyProvider,
    secondary: KeyProvider,
    mode: MirrorMode,
    mappings: MappingStore,
    revocations: Revocations,
  ) {
    this.#primary = primary;
    this.#secondary = secondary;
    this.#mode = mode;
    this.#mappings = mappings;
    this.#revocations = revocations;
  }

  /** The secondary's kids under the primary's names (failover of `listKeys`). */
  async listKeys(prefix: string | undefined, signal: AbortSignal | undefined): Promise<string[]> {
    const mappings = await this.#mappings.list();
    if (mappings.length === 0) {
      return this.#secondary.listKeys({ ...(prefix === undefined ? {} : { prefix }), ...withSignal(signal) });
    }
    const primaryKidOf = primaryKids(mappings);
    const kids = new Set<string>();
    for (const kid of await this.#secondary.listKeys(withSignal(signal))) {
      const translated = primaryKidOf(kid);
      if (translated?.startsWith(prefix ?? "") === true) kids.add(translated);
    }
    return [...kids].sort();
  }

  /** The versions of a kid's copies under the primary's numbers (failover of `listVersions`). */
  async listVersions(kid: string, signal: AbortSignal | undefined): Promise<number[]> {
    const location = (await this.locate(kid, undefined))!;
    const versions = await this.#secondary.listVersions(location.kid, withSignal(signal));
    return versions
      .map((v) => primaryVersion(location, v))
      .filter((v): v is number => v !== undefined)
      .sort((a, b) => a - b);
  }

  /**
   * Copy one version to the secondary (under the same kid and version, or under its mapped kid).
   * Returns `false` when the secondary already holds it. Where the secondary cannot take the kid
   * and holds none of its versions, the copy gets a fresh secondary kid and a mapping.
   */
  async copy(ref: KeyRef, activate: boolean, signal: AbortSignal | undefined): Promise<boolean> {
    const request = copyRequest(ref, this.#mode);
    if (request === undefined) return false;
    const mappings = await this.#mappings.list(ref.kid);
    const home = mappings[0]?.secondaryKid;
    const mapped = mappings.find((m) => m.version === ref.version);
    const targetKid = home ?? ref.kid;
    const targetVersion = mapped?.secondaryVersion ?? ref.version;
    const options: ImportKeyOptions = {
      ...(request.public === undefined ? {} : { public: request.public }),
      ...(request.format === undefined ? {} : { format: request.format }),
      version: ref.version,
      activate,
      ...withSignal(signal),
    };
    const remember = (copy: KeyRef) =>
      this.#mappings.set({
        kid: ref.kid,
        version: ref.version,
        secondaryKid: copy.kid,
        secondaryVersion: copy.version,
      });
    if (await this.#holds(targetKid, targetVersion, ref, signal)) return false; // a retried write, a resync
    try {
      const copy = await this.#secondary.importKey(request.spec, request.material, {
        ...options,
        kid: targetKid,
      });
      if (home !== undefined) await remember(copy);
      return true;
    } catch (error) {
      if (home !== undefined || !refusesKid(error) || (await this.#holdsCopies(ref.kid, signal))) throw error;
      // The secondary cannot take this kid (another key holds it, or it names its own keys): the
      // copy gets a kid of the secondary's choosing, and the mapping says where it went.
      await remember(await this.#secondary.importKey(request.spec, request.material, options));
      return true;
    }
  }

  /** Whether the secondary holds a copy of `ref` as `kid` / `version`. */
  async #holds(kid: string, version: number, ref: KeyRef, signal: AbortSignal | undefined): Promise<boolean> {
    let existing: KeyRef;
    try {
      // Opaque keys are compared by their bytes, so the secret is read where the original carries one.
      existing = await this.#secondary.getKey(kid, version, {
        ...(ref.material === undefined ? {} : { includeSecret: true }),
        ...withSignal(signal),
      });
    } catch (error) {
      if (KeyNotFoundError.isInstance(error)) return false;
      throw error;
    }
    try {
      return sameKey(existing, ref);
    } finally {
      existing.material?.fill(0);
    }
  }

  /** Whether the secondary holds any version of `kid` that is a copy of the primary's same version. */
  async #holdsCopies(kid: string, signal: AbortSignal | undefined): Promise<boolean> {
    let versions: number[];
    try {
      versions = await this.#secondary.listVersions(kid, withSignal(signal));
    } catch (error) {
      if (KeyNotFoundError.isInstance(error)) return false;
      throw error;
    }
    for (const version of versions) {
      const [copy, original] = await Promise.all([
        this.#secondary.getKey(kid, version, withSignal(signal)),
        this.#primary.getKey(kid, version, withSignal(signal)).catch(() => undefined),
      ]);
      if (original !== undefined && sameKey(copy, original)) return true;
    }
    return false;
  }

  /** Remove the copy of one version (or of the whole kid) from the secondary. */
  async destroyCopy(
    kid: string,
    version: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<boolean> {
    const mappings = await this.#mappings.list(kid);
    if (mappings.length === 0) return this.#secondary.destroyKey(kid, version, withSignal(signal));
    let removed = false;
    if (version === undefined) {
      // Only the mapped kid is the mirror's: the secondary's own `kid`, if any, is another key.
      for (const secondaryKid of new Set(mappings.map((m) => m.secondaryKid))) {
        removed = (await this.#secondary.destroyKey(secondaryKid, undefined, withSignal(signal))) || removed;
      }
    } else {
      for (const mapping of mappings.filter((m) => m.version === version)) {
        removed =
          (await this.#secondary.destroyKey(
            mapping.secondaryKid,
            mapping.secondaryVersion,
            withSignal(signal),
          )) || removed;
      }
    }
    await this.#mappings.delete(kid, version);
    return removed;
  }

  /** Where the secondary keeps `kid`; `undefined` for a version of a mapped kid that was never copied. */
  async locate(kid: string, version: number | undefined): Promise<Location | undefined> {
    const mappings = await this.#mappings.list(kid);
    const [first] = mappings;
    if (first === undefined) return { kid, version, mappings };
    if (version === undefined) return { kid: first.secondaryKid, version: undefined, mappings };
    const mapping = mappings.find((m) => m.version === version);
    return mapping === undefined
      ? undefined
      : { kid: mapping.secondaryKid, version: mapping.secondaryVersion, mappings };
  }

  /**
   * Bring one kid's copies in line with the primary: missing versions, destroyed ones, revoked ones
   * (the primary answers `KeyUnavailableError`: the failover side must not hold what the system of
   * record refuses to serve, or a restarted process would serve it in the next outage), the pointer.
   */
  async syncKid(kid: string, counts: Counts, signal: AbortSignal | undefined): Promise<void> {
    let versions: number[];
    try {
      versions = await this.#primary.listVersions(kid, withSignal(signal));
    } catch (error) {
      if (KeyUnavailableError.isInstance(error)) {
        await this.#removeRevoked(kid, error.version, counts, signal);
        return;
      }
      if (!KeyNotFoundError.isInstance(error)) throw error;
      versions = []; // destroyed since listKeys
    }
    let pointer: number | undefined;
    let mirrored = false;
    for (const version of versions) {
      let ref: KeyRef;
      try {
        ref = await this.#primary.getKey(kid, version, {
          includeSecret: this.#mode === "full",
          ...withSignal(signal),
        });
      } catch (error) {
        if (!KeyUnavailableError.isInstance(error)) throw error;
        await this.#removeRevoked(kid, error.version ?? version, counts, signal);
        continue;
      }
      try {
        if (ref.status === "primary") pointer = ref.version;
        mirrored ||= isMirrored(ref, this.#mode);
        if (await this.copy(ref, false, signal)) counts.copied += 1;
      } finally {
        ref.material?.fill(0);
      }
    }
    // A kid the mode does not mirror has no copies; a secondary kid of that name is not the mirror's.
    if (versions.length > 0 && !mirrored) return;
    const location = (await this.locate(kid, undefined))!;
    let copies: number[];
    try {
      copies = await this.#secondary.listVersions(location.kid, withSignal(signal));
    } catch (error) {
      if (!KeyNotFoundError.isInstance(error)) throw error;
      copies = [];
    }
    for (const copy of copies) {
      const original = primaryVersion(location, copy);
      if (original !== undefined && versions.includes(original)) continue;
      if (await this.#secondary.destroyKey(location.kid, copy, withSignal(signal))) counts.destroyed += 1;
      if (original !== undefined) await this.#mappings.delete(kid, original);
    }
    // Every copy of a version the primary does not hold is gone now.
    this.#revocations.clearDestroyed(kid);
    if (pointer === undefined) return;
    const target = await this.locate(kid, pointer);
    if (target?.version === undefined) return;
    const current = await this.#secondary.getKey(target.kid, undefined, withSignal(signal));
    if (current.version !== target.version) {
      await this.#secondary.activateVersion(target.kid, target.version, withSignal(signal));
      counts.activated += 1;
    }
  }

  /** Remove the copies of a version (or kid) the primary revoked, and remember the revocation. */
  async #removeRevoked(
    kid: string,
    version: number | undefined,
    counts: Counts,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    this.#revocations.note(kid, version);
    if (await this.destroyCopy(kid, version, signal)) counts.destroyed += 1;
    if (version === undefined) this.#revocations.clearDestroyed(kid);
  }

  /** Destroy the secondary's kids that are neither a primary kid nor the mapped home of one. */
  async prune(
    primaryKids: ReadonlySet<string>,
    counts: Counts,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const keep = new Set(primaryKids);
    const orphans = new Set<string>();
    for (const mapping of await this.#mappings.list()) {
      if (primaryKids.has(mapping.kid)) keep.add(mapping.secondaryKid);
      else orphans.add(mapping.kid);
    }
    for (const kid of await this.#secondary.listKeys(withSignal(signal))) {
      if (keep.has(kid)) continue;
      if (await this.#secondary.destroyKey(kid, undefined, withSignal(signal))) counts.destroyed += 1;
    }
    for (const kid of orphans) await this.#mappings.delete(kid);
    // A kid the primary does not hold has no copy left anywhere on the secondary.
    for (const kid of this.#revocations.destroyedKids()) {
      if (!primaryKids.has(kid)) this.#revocations.clearDestroyed(kid);
    }
  }

  /** The secondary's JWK Set under the primary's kids, without what the primary revoked. */
  async secondaryJwks(
    query: { readonly prefixKids?: string; readonly allVersions?: boolean },
    signal: AbortSignal | undefined,
  ): Promise<Jwks> {
    const mappings = await this.#mappings.list();
    if (mappings.length === 0) {
      const set = await this.#secondary.jwks({ ...query, ...withSignal(signal) });
      return { keys: set.keys.filter((jwk) => !this.#revocations.hasJwk(jwk)) };
    }
    const { allVersions } = query;
    const set = await this.#secondary.jwks({
      ...(allVersions === undefined ? {} : { allVersions }),
      ...withSignal(signal),
    });
    const primaryKidOf = primaryKids(mappings);
    const keys: PublicJwk[] = [];
    for (const jwk of set.keys) {
      const { kid: secondaryKid, version: secondaryVersion } = parseVersionedKid(jwk.kid);
      const mapping = mappings.find(
        (m) => m.secondaryKid === secondaryKid && m.secondaryVersion === secondaryVersion,
      );
      const kid = mapping?.kid ?? primaryKidOf(secondaryKid);
      // A mapped kid's other versions, or a foreign key under a kid that is mapped away, are not ours.
      if (kid === undefined || (mapping === undefined && kid !== secondaryKid)) continue;
      if (!kid.startsWith(query.prefixKids ?? "")) continue;
      const translated = mapping === undefined ? jwk : { ...jwk, kid: versionedKid(kid, mapping.version) };
      if (!this.#revocations.hasJwk(translated)) keys.push(translated);
    }
    return { keys };
  }
}
