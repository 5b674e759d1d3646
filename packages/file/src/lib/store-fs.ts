// Filesystem primitives of the store: private modes, no symlinks, temp-then-link claims,
// temp-then-rename replacements, and fsync of the file and then of its directory.
import { Buffer } from "node:buffer";
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  lstatSync,
  openSync,
  readSync,
  readdirSync,
  type Stats,
} from "node:fs";
import { link, mkdir, open, rename, rm, stat, unlink } from "node:fs/promises";
import { getRandomValues } from "node:crypto";
import { join, relative, sep } from "node:path";
import { InsecureStoreError } from "@keyprovider/core";
import { MAX_FILE_BYTES, corrupt } from "./sealed-file.js";

const POSIX = process.platform !== "win32";
const DIRECTORY_MODE = 0o700;
const FILE_MODE = 0o600;
/** How old a leftover temp file must be before it is removed: far longer than any write takes. */
export const TEMP_GRACE_MS = 60_000;

/** The layout of a store directory. */
export class StorePaths {
  readonly root: string;
  readonly header: string;
  readonly keys: string;
  readonly tmp: string;

  constructor(root: string) {
    this.root = root;
    this.header = join(root, "header");
    this.keys = join(root, "keys");
    this.tmp = join(root, "tmp");
  }

  kid(kid: string): string {
    return join(this.keys, kid);
  }

  version(kid: string, version: number): string {
    return join(this.keys, kid, `v${version}`);
  }

  list(kid: string, seq: number): string {
    return join(this.keys, kid, `list.${seq}`);
  }

  /** A path relative to the store, with "/" separators: how errors name a file. */
  name(path: string): string {
    return relative(this.root, path).split(sep).join("/") || ".";
  }
}

/** The identity of a file's current contents: a replaced or rewritten file has another one. */
export function identityOf(stats: Stats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, "0")}`;
}

function uid(): number | undefined {
  return POSIX && typeof process.getuid === "function" ? process.getuid() : undefined;
}

/**
 * Refuse a directory of the store that others could write to or that is not ours, with what to
 * run, as ssh does with ~/.ssh. `display` is how the message names it.
 */
export function assertPrivateDirectory(stats: Stats, path: string, display: string): void {
  if (!stats.isDirectory()) {
    throw new InsecureStoreError(path, `The key store path ${display} is not a directory`);
  }
  if (!POSIX) return;
  if ((stats.mode & 0o022) !== 0) {
    throw new InsecureStoreError(
      path,
      `Bad permissions: the key store directory ${display} is writable by group or others (mode ${octal(stats.mode)}), so they could replace its files. Run: chmod 700 ${path}`,
    );
  }
  const me = uid();
  if (me !== undefined && stats.uid !== me && stats.uid !== 0) {
    throw new InsecureStoreError(
      path,
      `Bad ownership: the key store directory ${display} belongs to uid ${stats.uid}, not to this process's user (uid ${me}) or root. Run: chown ${me} ${path}`,
    );
  }
}

function assertPrivateFile(stats: Stats, path: string, display: string): void {
  if (!stats.isFile()) {
    throw new InsecureStoreError(
      path,
      `The key store entry ${display} is not a regular file; a store holds regular files only`,
    );
  }
  if (POSIX && (stats.mode & 0o077) !== 0) {
    throw new InsecureStoreError(
      path,
      `Bad permissions: the key store file ${display} is accessible by group or others (mode ${octal(stats.mode)}). Run: chmod 600 ${path}`,
    );
  }
}

function symlinkError(path: string, display: string): InsecureStoreError {
  return new InsecureStoreError(
    path,
    `The key store entry ${display} is a symbolic link; a store holds regular files and directories only, so a link cannot point it at a file someone else controls. Replace the link with the file itself (or restore it from a backup)`,
  );
}

/** The code of a Node.js system error, or undefined. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

// Reads are synchronous on purpose: a store's files are a few hundred bytes on a local disk, read
// once per process (a record is then cached); a synchronous open/fstat/read/close takes tens of
// microseconds where a trip through libuv's thread pool takes hundreds, so a cold open of a large
// store is several times faster. Writes, which fsync, stay asynchronous.

/** Check one directory of the store (never a symlink); `undefined` if it does not exist. */
export function checkDirectory(path: string, display: string): Stats | undefined {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (stats === undefined) return undefined;
  if (stats.isSymbolicLink()) throw symlinkError(path, display);
  assertPrivateDirectory(stats, path, display);
  return stats;
}

/** A file's bytes and identity. */
export interface FileRead {
  readonly bytes: Buffer;
  readonly identity: string;
}

/**
 * Read a whole store file without following a symlink, after checking it is a private regular
 * file; `undefined` if it does not exist.
 */
export function readStoreFile(path: string, display: string): FileRead | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (POSIX ? constants.O_NOFOLLOW : 0));
  } catch (error) {
    const code = errnoCode(error);
    if (code === "ENOENT") return undefined;
    if (code === "ELOOP") throw symlinkError(path, display);
    throw error;
  }
  try {
    const stats = fstatSync(fd);
    assertPrivateFile(stats, path, display);
    if (stats.size > MAX_FILE_BYTES) {
      corrupt(display, `is ${stats.size} bytes, far larger than any file a store writes`);
    }
    const bytes = Buffer.alloc(stats.size);
    let offset = 0;
    while (offset < bytes.length) {
      const read = readSync(fd, bytes, offset, bytes.length - offset, offset);
      if (read === 0) break;
      offset += read;
    }
    return {
      bytes: offset === bytes.length ? bytes : bytes.subarray(0, offset),
      identity: identityOf(stats),
    };
  } finally {
    closeSync(fd);
  }
}

/**
 * The identity of a file, checked without following links, synchronously (the hot path of every
 * read: a syscall of a microsecond or two); `undefined` if it does not exist.
 */
export function peekIdentity(path: string, display: string): string | undefined {
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (stats === undefined) return undefined;
  if (stats.isSymbolicLink()) throw symlinkError(path, display);
  return identityOf(stats);
}

/** Whether a path exists: the cheapest probe there is (an `access` call, no Stats object). */
export function exists(path: string): boolean {
  return existsSync(path);
}

/** fsync a directory, so the names created or replaced in it survive a power loss. */
export async function syncDirectory(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY);
  } catch (error) {
    if (!POSIX) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    // Some platforms and filesystems cannot fsync a directory; the data itself was synced.
    if (!["EINVAL", "EISDIR", "EPERM", "ENOTSUP"].includes(errnoCode(error) ?? "")) throw error;
  } finally {
    await handle.close();
  }
}

/** Create a private directory; `false` if it already existed. */
export async function makeDirectory(path: string, recursive = false): Promise<boolean> {
  try {
    const made = await mkdir(path, { mode: DIRECTORY_MODE, recursive });
    return recursive ? made !== undefined : true;
  } catch (error) {
    if (errnoCode(error) === "EEXIST") return false;
    throw error;
  }
}

/** Write bytes to a new private temp file in `tmp` and fsync it; returns its path. */
export async function writeTemp(tmp: string, bytes: Uint8Array): Promise<string> {
  const name = `${process.pid}-${Buffer.from(getRandomValues(new Uint8Array(9))).toString("base64url")}.tmp`;
  const path = join(tmp, name);
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(path).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return path;
}

/**
 * Give a synced temp file its final name only if that name is free: a hard link fails with
 * EEXIST instead of replacing, so exactly one writer claims a name. `false` if it was taken.
 */
export async function claimName(temp: string, path: string): Promise<boolean> {
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if (errnoCode(error) === "EEXIST") return false;
    throw error;
  }
}

/** Put a synced temp file in place of `path`, atomically (readers see the old file or the new one). */
export async function replaceWith(temp: string, path: string): Promise<void> {
  await rename(temp, path);
}

/**
 * Empty a file, keeping its name (a superseded version list), never through a symlink; failures
 * are ignored (an unemptied old list is only a few hundred bytes of authenticated history).
 */
export async function emptyQuietly(path: string): Promise<void> {
  try {
    const handle = await open(path, constants.O_WRONLY | (POSIX ? constants.O_NOFOLLOW : 0));
    try {
      await handle.truncate(0);
    } finally {
      await handle.close();
    }
  } catch {
    // already gone, or not ours to touch
  }
}

/** Remove a file, ignoring one that is already gone. */
export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true }).catch(() => undefined);
}

/** Names in a directory; an empty list if it does not exist. */
export function namesIn(path: string): string[] {
  try {
    return readdirSync(path);
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return [];
    throw error;
  }
}

/** Remove temp files older than the grace period (left by a process that died while writing). */
export async function removeStaleTemps(tmp: string, now = Date.now()): Promise<void> {
  for (const name of namesIn(tmp)) {
    const path = join(tmp, name);
    const stats = await stat(path).catch(() => undefined);
    if (stats !== undefined && now - stats.mtimeMs > TEMP_GRACE_MS) await removeQuietly(path);
  }
}
