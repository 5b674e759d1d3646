import { lstat, stat } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * The files named `name` in `start` and in each directory above it, nearest first, as Node tools
 * look for package.json. The caller stops at the first one it accepts.
 */
export async function* filesUpward(start: string, name: string): AsyncGenerator<string> {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, name);
    if (await isFile(candidate)) yield candidate;
    if (dirname(dir) === dir) return;
  }
}

/**
 * Whether a file that was found by looking upward from `start` belongs to someone this process
 * trusts: the user running it, root, or the owner of `start`. A file that another user left in a
 * shared ancestor such as /tmp is not the application's, and using it would let that user choose
 * what gets imported or where secrets go; git refuses such repositories for the same reason
 * (CVE-2022-24765). Without POSIX ownership (Windows) every file is trusted.
 */
export async function isTrustedUpward(file: string, start: string): Promise<boolean> {
  const uid = process.geteuid?.();
  if (uid === undefined) return true;
  // The link and what it points at must both be trusted: a link someone else planted is theirs.
  const [link, target, startOwner] = await Promise.all([
    lstat(file),
    stat(file),
    stat(start).then(
      (s) => s.uid,
      () => undefined,
    ),
  ]);
  const trusted = (owner: number) => owner === uid || owner === 0 || owner === startOwner;
  return trusted(link.uid) && trusted(target.uid);
}

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
