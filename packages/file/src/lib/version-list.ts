// The authenticated per-kid version list: which versions are live, which are destroyed, the
// highest number ever issued and the primary. Each change is a new file `list.<seq>` claimed with an
// exclusive link, so concurrent writers (threads of one process or several processes) are ordered,
// and a record copied back over its tombstone stays destroyed: the list says so.
import type { KeyObject } from "node:crypto";
import { corrupt, metaInteger, metaIntegers, metaString, sealFile, type StoreFile } from "./sealed-file.js";
import { STORE_FORMAT } from "./sealed-file.js";

/** One state of a kid's versions. */
export interface VersionList {
  /** The sequence number of the file holding this state; 0 before the first. */
  readonly seq: number;
  /** Counts the kid's lives: a kid whose last version was destroyed and then gets a new one starts another. */
  readonly life: number;
  /** The highest version number ever issued (live or destroyed). */
  readonly highest: number;
  /** The primary version; 0 when no version is live. */
  readonly primary: number;
  /** Live versions, ascending. */
  readonly live: readonly number[];
  /** Destroyed versions, ascending. */
  readonly destroyed: readonly number[];
}

/** The state of a kid with no list file yet. */
export const EMPTY_LIST: VersionList = Object.freeze({
  seq: 0,
  life: 0,
  highest: 0,
  primary: 0,
  live: [],
  destroyed: [],
});

const ascending = (values: Iterable<number>) => [...new Set(values)].sort((a, b) => a - b);

/**
 * Add a live version. It becomes primary when it is the kid's only live version, or when `activate`
 * is set and it is newer than the primary; otherwise it is staged (or back-filled).
 */
export function withVersion(list: VersionList, version: number, activate: boolean): VersionList {
  const first = list.live.length === 0;
  return {
    seq: list.seq + 1,
    life: first ? list.life + 1 : list.life,
    highest: Math.max(list.highest, version),
    primary: first || (activate && version > list.primary) ? version : list.primary,
    live: ascending([...list.live, version]),
    destroyed: list.destroyed,
  };
}

/**
 * Destroy one live version, or all (`undefined`). When the primary goes, the newest older live
 * version becomes primary, or else the oldest newer one.
 */
export function withoutVersions(list: VersionList, version: number | undefined): VersionList {
  const gone = version === undefined ? list.live : [version];
  const live = list.live.filter((v) => !gone.includes(v));
  let primary = list.primary;
  if (live.length === 0) primary = 0;
  else if (gone.includes(primary)) primary = live.filter((v) => v < list.primary).at(-1) ?? live[0]!;
  return { ...list, seq: list.seq + 1, primary, live, destroyed: ascending([...list.destroyed, ...gone]) };
}

/** Make a live version primary. */
export function withPrimary(list: VersionList, version: number): VersionList {
  return { ...list, seq: list.seq + 1, primary: version };
}

/** The file of a list state, sealed (authenticated) under the data key `keyId`. */
export function listFile(kid: string, list: VersionList, keyId: string, key: KeyObject): Buffer {
  const meta = {
    format: STORE_FORMAT,
    type: "versions",
    kid,
    seq: list.seq,
    key: keyId,
    life: list.life,
    highest: list.highest,
    primary: list.primary,
    live: list.live,
    destroyed: list.destroyed,
  };
  return sealFile(meta, key, new Uint8Array(0));
}

/** Read an authenticated list file of `kid` named `list.<seq>`; anything inconsistent is refused. */
export function readListFile(file: StoreFile, kid: string, seq: number, record: string): VersionList {
  if (file.meta["type"] !== "versions" || metaString(file, "kid", record) !== kid) {
    corrupt(record, `is not the version list of kid ${kid}`);
  }
  if (metaInteger(file, "seq", record) !== seq) corrupt(record, `is not entry ${seq} of the version list`);
  const list: VersionList = {
    seq,
    life: metaInteger(file, "life", record),
    highest: metaInteger(file, "highest", record),
    primary: metaInteger(file, "primary", record),
    live: metaIntegers(file, "live", record),
    destroyed: metaIntegers(file, "destroyed", record),
  };
  const top = Math.max(0, ...list.live, ...list.destroyed);
  const consistent =
    list.highest >= top &&
    list.live.every((v) => !list.destroyed.includes(v)) &&
    (list.live.length === 0 ? list.primary === 0 : list.live.includes(list.primary));
  if (!consistent) corrupt(record, "is inconsistent");
  return list;
}
