// Helpers for tests that install the workspace's packages the way a user gets them: packed by
// pnpm (workspace: ranges rewritten) and installed from the tarballs into an application made in
// a temporary directory outside the workspace.
import { execFile, spawn } from "node:child_process";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";

/** The workspace root. */
export const workspaceRoot = resolve(import.meta.dirname, "../../..");

/** The environment of this process without what npm or pnpm put there for the script running us. */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(npm_|pnpm_)/i.test(name)),
  );
  return { ...env, ...extra };
}

/** Run a command to completion and return its stdout; a failure throws with both outputs. */
export async function run(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = cleanEnv(),
): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(command, [...args], {
      cwd,
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${stdout}\n${stderr}`.slice(0, 20_000), {
      cause: error,
    });
  }
}

/** What a process gave back, whatever its exit status. */
export interface ProcessResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a command with `stdin` (or none) and collect its status and outputs; never throws for a non-zero exit. */
export async function spawnCollect(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly stdin?: Uint8Array | string },
): Promise<ProcessResult> {
  const child = spawn(command, [...args], { cwd: options.cwd, env: options.env, stdio: "pipe" });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  child.stdin.end(options.stdin ?? "");
  const status = await new Promise<number>((resolvePromise, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise(code ?? (signal === null ? -1 : 128)));
  });
  return {
    status,
    stdout: Buffer.concat(stdout).toString("utf8"),
    stderr: Buffer.concat(stderr).toString("utf8"),
  };
}

/**
 * `pnpm pack` the named workspace packages (directory names under packages/, such as `"core"`)
 * into `destination`, all in one pnpm run, and return each tarball's path by directory name.
 * Throws if a package is not built.
 */
export async function packWorkspacePackages(
  names: readonly string[],
  destination: string,
): Promise<Record<string, string>> {
  await mkdir(destination, { recursive: true });
  const filters = names.flatMap((name) => ["--filter", `./packages/${name}`]);
  await run("pnpm", [...filters, "-r", "pack", "--pack-destination", destination], workspaceRoot);
  const files = await readdir(destination);
  return Object.fromEntries(
    names.map((name) => {
      const file = files.find((f) => f.startsWith(`keyprovider-${name}-`) && f.endsWith(".tgz"));
      if (file === undefined) throw new Error(`pnpm pack made no tarball for packages/${name}`);
      return [name, join(destination, file)];
    }),
  );
}

/** Write `value` as formatted JSON, making the directory. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * The package.json of an npm application that installs the given tarballs (by directory name) as
 * dependencies, with overrides so the tarballs' own `@keyprovider/*` ranges, which no registry
 * holds, resolve to the tarballs too; `registryDependencies` (such as a provider's peer SDK) come
 * from the registry.
 */
export function npmApplicationManifest(
  name: string,
  tarballs: Readonly<Record<string, string>>,
  registryDependencies: Readonly<Record<string, string>> = {},
): Record<string, unknown> {
  const packed = Object.fromEntries(
    Object.entries(tarballs).map(([dir, tarball]) => [`@keyprovider/${dir}`, `file:${tarball}`]),
  );
  return {
    name,
    private: true,
    type: "module",
    dependencies: { ...registryDependencies, ...packed },
    overrides: Object.fromEntries(Object.keys(packed).map((dependency) => [dependency, `$${dependency}`])),
  };
}

/** `npm install` in `dir`, quietly and from the cache where it can. */
export async function npmInstall(dir: string): Promise<void> {
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], dir);
}
