import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Replace `path` with `content` so that a reader sees the old file or the new one, never a partial
 * one, and the new one survives a crash once this resolves: write a temporary file in the same
 * directory (a rename is atomic only within one file system), set its mode, fsync it, rename it
 * over `path`, then fsync the directory. A missing directory is an error that names it.
 *
 * @example
 * ```ts
 * import { writeFileAtomically } from "@keyprovider/core/node";
 *
 * await writeFileAtomically("public/.well-known/jwks.json", JSON.stringify(await provider.jwks()), { mode: 0o644 });
 * ```
 */
export async function writeFileAtomically(
  path: string,
  content: string | Uint8Array,
  options: { readonly mode: number },
): Promise<void> {
  const { mode } = options;
  const directory = dirname(path);
  const temporary = join(
    directory,
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`,
  );
  const file = await open(temporary, "wx", mode).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
    throw Object.assign(new Error(`Cannot write ${path}: the directory ${directory} does not exist`), {
      code: error.code,
      cause: error,
    });
  });
  try {
    try {
      await file.writeFile(content);
      await file.chmod(mode); // the mode given to open() is narrowed by the umask
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(directory);
}

/**
 * Make a rename durable. Platforms that cannot open or sync a directory (Windows) say so with one
 * of a few codes, which are passed over; an I/O error is not.
 */
async function syncDirectory(directory: string): Promise<void> {
  let handle;
  try {
    handle = await open(directory, "r");
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "ENOTSUP") throw error;
  } finally {
    await handle?.close();
  }
}
