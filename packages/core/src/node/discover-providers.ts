import { readFile, realpath } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { moduleResolve } from "import-meta-resolve";
import { InvalidProviderError, quoteForMessage } from "../errors.js";
import { definitionProblem, type ProviderDefinition } from "../provider-definition.js";
import { filesUpward, isDirectory, isTrustedUpward } from "./find-up.js";

/**
 * A manifest entry that could not be turned into a provider definition.
 *
 * @example
 * ```ts
 * await discoverProviders({ onInvalid: (p) => log.warn(`${p.packageName}: ${p.reason}`) });
 * ```
 */
export interface DiscoveryProblem {
  /** The installed package whose manifest is at fault. */
  readonly packageName: string;
  /** The provider name in its manifest, if the manifest got that far. */
  readonly providerName: string | undefined;
  /** What is wrong, in a sentence. */
  readonly reason: string;
  /** The underlying error, such as a failed import. */
  readonly cause: unknown;
}

/**
 * A dependency list of a package.json.
 *
 * @example
 * ```ts
 * const fields: DependencyField[] = ["dependencies"];
 * ```
 */
export type DependencyField =
  "dependencies" | "optionalDependencies" | "devDependencies" | "peerDependencies";

/**
 * Options of {@link discoverProviders}.
 *
 * @example
 * ```ts
 * await discoverProviders({ cwd: process.cwd() });
 * ```
 */
export interface DiscoverProvidersOptions {
  /**
   * Where to start looking for the application's package.json: this directory or the nearest one
   * above it that has one, as every Node tool does. Default `process.cwd()`.
   */
  readonly cwd?: string;
  /**
   * Called for each invalid manifest entry, which is then skipped. Without it, the first invalid
   * entry throws `InvalidProviderError`.
   */
  readonly onInvalid?: (problem: DiscoveryProblem) => void;
  /**
   * Which dependency lists of the application's package.json to read. Default: `dependencies`,
   * `optionalDependencies` and `devDependencies` (an application's tests often use a provider such
   * as `inmemory` as a dev dependency).
   */
  readonly dependencyFields?: readonly DependencyField[];
}

/**
 * The package.json field a provider package declares its providers in:
 * `"keyprovider": { "providers": { "<Name>": "<exports subpath>" } }`.
 *
 * @example
 * ```ts
 * const field: ProviderManifest = { providers: { LocalKeyProvider: "." } };
 * ```
 */
export interface ProviderManifest {
  readonly providers: Readonly<Record<string, string>>;
}

const ALL_DEPENDENCY_FIELDS: readonly DependencyField[] = [
  "dependencies",
  "optionalDependencies",
  "devDependencies",
  "peerDependencies",
];
const DEFAULT_DEPENDENCY_FIELDS: readonly DependencyField[] = [
  "dependencies",
  "optionalDependencies",
  "devDependencies",
];
/** npm package names (validate-npm-package-name, new-style): nothing that could walk the file system. */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
/** What `import` in Node matches in an exports map (`default` always matches). */
const ESM_CONDITIONS: ReadonlySet<string> = new Set(["node", "import"]);

/**
 * A provider found by {@link discoverInstalledProviders}, with the package it came from.
 *
 * @example
 * ```ts
 * for (const { definition, packageName, packageVersion } of await discoverInstalledProviders()) {
 *   console.log(definition.name, definition.aliases, `${packageName}@${packageVersion}`);
 * }
 * ```
 */
export interface InstalledProvider {
  readonly definition: ProviderDefinition;
  /** The npm package that declares it, such as `"@keyprovider/local"`. */
  readonly packageName: string;
  /** That package's version, from its package.json. */
  readonly packageVersion: string | undefined;
  /** The package's directory, as Node's resolver found it (symlinks resolved). */
  readonly packageDir: string;
}

/**
 * Find the key providers the application has installed, like Python entry points. The
 * application is the nearest package.json from `cwd` upward; its dependencies are resolved from
 * its directory exactly as `import` in Node resolves them (node_modules lookup, `exports` with the
 * `node`/`import` conditions, `main`, symlinks such as pnpm's store followed), each package's
 * `"keyprovider"` manifest field is read, the named subpaths imported and each checked to be a
 * definition for this API version. Packages without the field are ignored; a subpath that resolves
 * outside its package, through `..` or a symlink, is never imported.
 *
 * @example
 * ```ts
 * import { createRegistry } from "@keyprovider/core";
 * import { discoverProviders } from "@keyprovider/core/node";
 *
 * // From anywhere in the application: scripts/, test/unit/, …
 * const registry = createRegistry({ providers: await discoverProviders() });
 * const provider = await registry.create("local");
 * ```
 */
export async function discoverProviders(
  options: DiscoverProvidersOptions = {},
): Promise<ProviderDefinition[]> {
  return (await discover(options, "discoverProviders")).map((installed) => installed.definition);
}

/**
 * {@link discoverProviders}, with the package each provider came from: what a command that lists
 * the installed providers shows.
 *
 * @example
 * ```ts
 * import { discoverInstalledProviders } from "@keyprovider/core/node";
 *
 * for (const { definition, packageName, packageVersion } of await discoverInstalledProviders()) {
 *   console.log(definition.name, `${packageName}@${packageVersion ?? "?"}`);
 * }
 * ```
 */
export async function discoverInstalledProviders(
  options: DiscoverProvidersOptions = {},
): Promise<InstalledProvider[]> {
  return discover(options, "discoverInstalledProviders");
}

async function discover(options: DiscoverProvidersOptions, caller: string): Promise<InstalledProvider[]> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`${caller}() takes { cwd?, onInvalid?, dependencyFields? }`);
  }
  const { onInvalid, dependencyFields = DEFAULT_DEPENDENCY_FIELDS } = options;
  if (options.cwd !== undefined && typeof options.cwd !== "string") {
    throw new TypeError(`${caller}(): cwd must be a directory path`);
  }
  if (onInvalid !== undefined && typeof onInvalid !== "function") {
    throw new TypeError(`${caller}(): onInvalid must be a function`);
  }
  if (!isDependencyFieldList(dependencyFields)) {
    throw new TypeError(
      `${caller}(): dependencyFields must list some of ${ALL_DEPENDENCY_FIELDS.join(", ")}`,
    );
  }
  const app = await findApplication(resolve(options.cwd ?? process.cwd()), caller);
  const dependencyNames = new Set<string>();
  for (const field of dependencyFields) {
    const deps = app.manifest[field];
    if (typeof deps === "object" && deps !== null) {
      // A name that is not an npm package name (say "../../elsewhere") is not looked up at all.
      for (const name of Object.keys(deps))
        if (PACKAGE_NAME.test(name) && name.length <= 214) dependencyNames.add(name);
    }
  }

  const report = (problem: DiscoveryProblem): void => {
    if (onInvalid === undefined) {
      throw new InvalidProviderError(
        `Installed package ${problem.packageName}${problem.providerName === undefined ? "" : ` (provider ${quoteForMessage(problem.providerName)})`}: ${problem.reason}`,
        { cause: problem.cause },
      );
    }
    onInvalid(problem);
  };

  const parentURL = pathToFileURL(app.path);
  const found = await Promise.all(
    [...dependencyNames].sort().map((packageName) => discoverInPackage(parentURL, packageName)),
  );
  const installed: InstalledProvider[] = [];
  for (const outcome of found.flat()) {
    if ("problem" in outcome) report(outcome.problem);
    else installed.push(outcome.installed);
  }
  const name = (p: InstalledProvider) => p.definition.name;
  return installed.sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
}

function isDependencyFieldList(value: unknown): value is readonly DependencyField[] {
  return (
    Array.isArray(value) &&
    value.every((field: unknown) => ALL_DEPENDENCY_FIELDS.includes(field as DependencyField))
  );
}

interface Application {
  /** The application's package.json. */
  readonly path: string;
  readonly manifest: Readonly<Record<string, unknown>>;
}

/**
 * The nearest package.json from `cwd` upward. One that declares neither a name nor dependencies,
 * such as the `{ "type": "module" }` marker build tools write into `dist/`, is not an application
 * and is passed over.
 */
async function findApplication(cwd: string, caller: string): Promise<Application> {
  for await (const path of filesUpward(cwd, "package.json")) {
    const manifest = await readJson(path);
    if (typeof manifest !== "object" || manifest === null || Array.isArray(manifest)) {
      throw new TypeError(`${caller}(): ${path} is not a readable package.json`);
    }
    const fields = manifest as Record<string, unknown>;
    if (typeof fields["name"] !== "string" && !ALL_DEPENDENCY_FIELDS.some((f) => fields[f] !== undefined)) {
      continue;
    }
    if (dirname(path) !== cwd && !(await isTrustedUpward(path, cwd))) {
      throw new TypeError(
        `${caller}(): the nearest package.json above ${cwd}, ${path}, belongs to another user, so it is not taken as the application's; pass the application's directory as { cwd }`,
      );
    }
    return { path, manifest: fields };
  }
  throw new TypeError(
    `${caller}(): no readable package.json in ${cwd} or above it; pass the application's directory as { cwd }`,
  );
}

type Outcome = { readonly installed: InstalledProvider } | { readonly problem: DiscoveryProblem };

async function discoverInPackage(parentURL: URL, packageName: string): Promise<Outcome[]> {
  const packageDir = await findPackageDir(dirname(fileURLToPath(parentURL)), packageName);
  if (packageDir === undefined) return []; // declared but not installed (e.g. an optional dependency)
  const manifest = (await readJson(join(packageDir, "package.json"))) as Record<string, unknown> | undefined;
  const field = manifest?.["keyprovider"];
  if (field === undefined) return [];
  const problem = (reason: string, providerName?: string, cause?: unknown): Outcome => ({
    problem: { packageName, providerName, reason, cause },
  });
  const providers =
    typeof field === "object" && field !== null ? (field as { providers?: unknown }).providers : undefined;
  if (typeof providers !== "object" || providers === null || Array.isArray(providers)) {
    return [problem(`its "keyprovider" field must be { "providers": { "<Name>": "<exports subpath>" } }`)];
  }
  return Promise.all(
    Object.entries(providers as Record<string, unknown>).map(
      async ([providerName, subpath]): Promise<Outcome> => {
        if (typeof subpath !== "string" || (subpath !== "." && !subpath.startsWith("./"))) {
          return problem(
            `the manifest maps it to ${JSON.stringify(subpath)}, which is not an exports subpath such as "." or "./provider"`,
            providerName,
          );
        }
        const specifier = `${packageName}${subpath.slice(1)}`;
        let target: URL;
        try {
          target = moduleResolve(specifier, parentURL, new Set(ESM_CONDITIONS), false);
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          return problem(
            `import ${JSON.stringify(specifier)} does not resolve from the application${typeof code === "string" ? ` (${code})` : ""}`,
            providerName,
            err,
          );
        }
        if (!(await isInside(target, packageDir))) {
          return problem(
            `its package.json has no import entry for ${JSON.stringify(subpath)} that exists inside the package`,
            providerName,
          );
        }
        let mod: { default?: unknown };
        try {
          mod = (await import(target.href)) as { default?: unknown };
        } catch (err) {
          return problem(`importing ${JSON.stringify(subpath)} failed`, providerName, err);
        }
        const why = definitionProblem(mod.default);
        if (why !== undefined) return problem(`its default export is unusable: ${why}`, providerName);
        const definition = mod.default as ProviderDefinition;
        if (definition.name !== providerName) {
          return problem(
            `the manifest names it ${JSON.stringify(providerName)}, but the definition is named ${JSON.stringify(definition.name)}`,
            providerName,
          );
        }
        const version = manifest?.["version"];
        return {
          installed: {
            definition,
            packageName,
            packageVersion: typeof version === "string" ? version : undefined,
            packageDir: await realpath(packageDir),
          },
        };
      },
    ),
  );
}

/**
 * The directory Node's resolver takes a bare import of `packageName` from: the first
 * `node_modules/<name>` directory from `appDir` up to the filesystem root. Its manifest is the one
 * the resolver reads, so the `keyprovider` field comes from the package that gets imported.
 */
async function findPackageDir(appDir: string, packageName: string): Promise<string | undefined> {
  for (let dir = appDir; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", ...packageName.split("/"));
    if (await isDirectory(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Whether a resolved module is a file inside the package, both with symlinks resolved (the
 * resolver already returns the real path; pnpm's store is reached through the package's own link).
 */
async function isInside(target: URL, packageDir: string): Promise<boolean> {
  if (target.protocol !== "file:") return false; // a builtin such as node:fs shadowing the name
  try {
    const [root, absolute] = await Promise.all([realpath(packageDir), realpath(fileURLToPath(target))]);
    return absolute.startsWith(root + sep);
  } catch {
    return false;
  }
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as unknown;
  } catch {
    return undefined;
  }
}
