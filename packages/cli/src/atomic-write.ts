import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Replace `path` with `content` so that a reader (a web server serving the JWKS) sees the old file
 * or the new one, never a partial one: write a temporary file in the same directory (a rename is
 * atomic only within one file system), flush it, set its mode, then rename it over `path`.
 */
export async function writeFileAtomically(path: string, content: string, mode: number): Promise<void> {
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
      await file.writeFile(content, "utf8");
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

/** Make the rename durable. Not every platform can open a directory (Windows cannot); that is fine. */
async function syncDirectory(directory: string): Promise<void> {
  try {
    const handle = await open(directory, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The file is in place either way; only its durability across a power cut is not promised.
  }
}
