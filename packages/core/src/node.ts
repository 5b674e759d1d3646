import { readFile, realpath, stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidProviderError, quoteForMessage } from "./errors.js";
import { definitionProblem, type ProviderDefinition } from "./provider-definition.js";

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
 * Options of {@link discoverProviders}.
 *
 * @example
 * ```ts
 * await discoverProviders({ cwd: process.cwd() });
 * ```
 */
export interface DiscoverProvidersOptions {
  /** The application directory holding its package.json. Default `process.cwd()`. */
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
  readonly dependencyFields?: readonly (
    "dependencies" | "optionalDependencies" | "devDependencies" | "peerDependencies"
  )[];
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

const DEPENDENCY_FIELDS = ["dependencies", "optionalDependencies", "devDependencies"] as const;
/** npm package names (validate-npm-package-name, new-style): nothing that could walk the file system. */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const CONDITIONS = ["node", "import", "default"] as const;

/**
 * Find the key providers the application has installed, like Python entry points: read the
 * application's package.json dependencies, resolve each from the application's directory, read
 * its `"keyprovider"` manifest field, import the named subpaths and check each is a definition for
 * this API version. Packages without the field are ignored.
 *
 * @example
 * ```ts
 * import { createRegistry } from "@keyprovider/core";
 * import { discoverProviders } from "@keyprovider/core/node";
 *
 * const registry = createRegistry({ providers: await discoverProviders({ cwd: process.cwd() }) });
 * const provider = await registry.create("local");
 * ```
 */
export async function discoverProviders(
  options: DiscoverProvidersOptions = {},
): Promise<ProviderDefinition[]> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const onInvalid = options.onInvalid;
  if (onInvalid !== undefined && typeof onInvalid !== "function") {
    throw new TypeError("discoverProviders(): onInvalid must be a function");
  }
  const appManifest = await readJson(join(cwd, "package.json"));
  if (appManifest === undefined) {
    throw new TypeError(
      `discoverProviders(): no readable package.json in ${cwd}; pass the application's directory as { cwd }`,
    );
  }
  const dependencyNames = new Set<string>();
  for (const field of options.dependencyFields ?? DEPENDENCY_FIELDS) {
    const deps = (appManifest as Record<string, unknown>)[field];
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

  const found = await Promise.all(
    [...dependencyNames].sort().map((packageName) => discoverInPackage(cwd, packageName)),
  );
  const definitions: ProviderDefinition[] = [];
  for (const outcome of found.flat()) {
    if ("problem" in outcome) report(outcome.problem);
    else definitions.push(outcome.definition);
  }
  return definitions.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

type Outcome = { readonly definition: ProviderDefinition } | { readonly problem: DiscoveryProblem };

async function discoverInPackage(cwd: string, packageName: string): Promise<Outcome[]> {
  const packageDir = await findPackageDir(cwd, packageName);
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
        const target = await resolveExport(packageDir, manifest?.["exports"], subpath, manifest);
        if (target === undefined) {
          return problem(
            `its package.json has no import entry for ${JSON.stringify(subpath)} that exists inside the package`,
            providerName,
          );
        }
        let mod: { default?: unknown };
        try {
          mod = (await import(pathToFileURL(target).href)) as { default?: unknown };
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
        return { definition };
      },
    ),
  );
}

/** Node's node_modules lookup: from `cwd` up to the filesystem root. */
async function findPackageDir(cwd: string, packageName: string): Promise<string | undefined> {
  for (let dir = cwd; ; dir = dirname(dir)) {
    const candidate = join(dir, "node_modules", ...packageName.split("/"));
    if (await isFile(join(candidate, "package.json"))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Resolve an exports subpath with the conditions `node`, `import`, `default` (ESM in Node), including
 * `"./*"` patterns. The target must stay inside the package, symlinks resolved.
 */
async function resolveExport(
  packageDir: string,
  exportsField: unknown,
  subpath: string,
  manifest: Record<string, unknown> | undefined,
): Promise<string | undefined> {
  let target: string | undefined;
  if (exportsField === undefined) {
    const main = manifest?.["main"];
    target = subpath === "." ? (typeof main === "string" ? main : "index.js") : subpath;
    if (!target.startsWith("./") && !target.startsWith("../") && !target.startsWith("/"))
      target = `./${target}`;
  } else {
    const map =
      typeof exportsField === "object" &&
      exportsField !== null &&
      !Array.isArray(exportsField) &&
      Object.keys(exportsField).some((key) => key.startsWith("."))
        ? (exportsField as Record<string, unknown>)
        : { ".": exportsField };
    target = pickCondition(map[subpath]) ?? matchPattern(map, subpath);
  }
  if (target === undefined || !target.startsWith("./")) return undefined;
  try {
    const [root, absolute] = await Promise.all([realpath(packageDir), realpath(resolve(packageDir, target))]);
    // An exports target may not escape its package, through ".." or through a symlink.
    return absolute.startsWith(root + sep) ? absolute : undefined;
  } catch {
    return undefined; // the target does not exist
  }
}

/** A `"./dir/*"` exports pattern: the longest matching key wins, its `*` replaced in the target. */
function matchPattern(map: Record<string, unknown>, subpath: string): string | undefined {
  const candidates = Object.keys(map)
    .filter((key) => {
      const star = key.indexOf("*");
      return (
        star !== -1 &&
        subpath.startsWith(key.slice(0, star)) &&
        subpath.endsWith(key.slice(star + 1)) &&
        subpath.length >= key.length - 1
      );
    })
    .sort((a, b) => b.length - a.length);
  const key = candidates[0];
  if (key === undefined) return undefined;
  const star = key.indexOf("*");
  const matched = subpath.slice(star, subpath.length - (key.length - star - 1));
  if (matched.split("/").includes("..")) return undefined;
  return pickCondition(map[key])?.replaceAll("*", matched);
}

function pickCondition(entry: unknown): string | undefined {
  if (typeof entry === "string") return entry;
  if (Array.isArray(entry)) {
    for (const item of entry) {
      const picked = pickCondition(item);
      if (picked !== undefined) return picked;
    }
    return undefined;
  }
  if (typeof entry === "object" && entry !== null) {
    for (const [condition, value] of Object.entries(entry)) {
      if ((CONDITIONS as readonly string[]).includes(condition)) {
        const picked = pickCondition(value);
        if (picked !== undefined) return picked;
      }
    }
  }
  return undefined;
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as unknown;
  } catch {
    return undefined;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
