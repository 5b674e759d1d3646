import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { inspect } from "node:util";
import { InvalidConfigError } from "../errors.js";
import { filesUpward, isTrustedUpward } from "./find-up.js";
import { isPlainObject, mapJson, memberPath, where } from "./json-members.js";
import { assertNoLiteralSecrets } from "./literal-secrets.js";

/**
 * The name of the configuration file {@link loadConfig} looks for.
 *
 * @example
 * ```ts
 * await writeFile(join(appDir, CONFIG_FILE_NAME), JSON.stringify({ provider: "local" }));
 * ```
 */
export const CONFIG_FILE_NAME = "keyprovider.config.json";

/**
 * The environment variable that names a configuration file when no `path` is given.
 *
 * @example
 * ```ts
 * process.env[CONFIG_PATH_VARIABLE] = "/etc/keyprovider/keyprovider.config.json";
 * ```
 */
export const CONFIG_PATH_VARIABLE = "KEYPROVIDER_CONFIG";

/**
 * Environment variables as `process.env` holds them.
 *
 * @example
 * ```ts
 * const env: Environment = { KEK_PASSPHRASE: "…" };
 * ```
 */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Options of {@link loadConfig}.
 *
 * @example
 * ```ts
 * await loadConfig({ cwd: appDir, env: { KEK_PASSPHRASE: passphrase } });
 * ```
 */
export interface LoadConfigOptions {
  /** Where to look for `keyprovider.config.json`, upward, and what a relative `path` is relative to. Default `process.cwd()`. */
  readonly cwd?: string;
  /** The config file to read, instead of `KEYPROVIDER_CONFIG` or looking upward. */
  readonly path?: string;
  /** Where `KEYPROVIDER_CONFIG` and every `{ "$env": "NAME" }` are read from. Default `process.env`. */
  readonly env?: Environment;
}

/**
 * Options of {@link parseConfig}.
 *
 * @example
 * ```ts
 * parseConfig({ provider, options }, { source: "--options", env: process.env });
 * ```
 */
export interface ParseConfigOptions {
  /** Where the document came from, for error messages: a path or a label such as `"--options"`. */
  readonly source: string;
  /** Where every `{ "$env": "NAME" }` is read from. Default `process.env`. */
  readonly env?: Environment;
}

/**
 * A configuration ready for `registry.create(config.provider, config.options)`. `JSON.stringify`
 * and `util.inspect` show it as written, with `{ "$env": "NAME" }` in place of the values read
 * from the environment, so logging it leaks nothing; `options` itself holds the real values.
 *
 * @example
 * ```ts
 * const config = await loadConfig();
 * const provider = await registry.create(config.provider, config.options);
 * console.log(config); // { provider: 'file', options: { kek: { passphrase: { '$env': 'KEK_PASSPHRASE' } } }, … }
 * ```
 */
export interface LoadedConfig {
  /** The provider's name or alias, as the registry knows it. */
  readonly provider: string;
  /** Its options with every `{ "$env": "NAME" }` replaced by that variable; `undefined` if the config has none. */
  readonly options: Readonly<Record<string, unknown>> | undefined;
  /** Where it came from: the config file's absolute path, or the `source` given to {@link parseConfig}. */
  readonly source: string;
  /** The config file's absolute path; `undefined` for a document given to {@link parseConfig}. */
  readonly path: string | undefined;
}

const TOP_LEVEL_MEMBERS: ReadonlySet<string> = new Set(["provider", "options"]);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Read `keyprovider.config.json`: `{ "provider": "<name>", "options": { … } }`. The file is the
 * one at `path` if given, else the one `KEYPROVIDER_CONFIG` names, else the nearest one from `cwd`
 * upward (a file found above `cwd` that belongs to another user than this process's, root or the
 * owner of `cwd` is refused, as git refuses such repositories). Then {@link parseConfig}: the shape
 * is checked, literal secrets are refused, and each `{ "$env": "NAME" }` in `options`, at any
 * depth, is replaced by that environment variable.
 *
 * Every failure is an `InvalidConfigError` whose `reason` says which: `not_found`, `untrusted`,
 * `invalid_json`, `invalid_shape`, `missing_env`, `literal_secret`. Messages name the file, the
 * member and the variable, never a value.
 *
 * @example
 * ```ts
 * import { loadConfig } from "@keyprovider/core/node";
 *
 * // keyprovider.config.json:
 * // { "provider": "file", "options": { "directory": "keys", "kek": { "passphrase": { "$env": "KEK_PASSPHRASE" } } } }
 * const config = await loadConfig();
 * config.provider; // "file"
 * ```
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("loadConfig() takes { cwd?, path?, env? }");
  }
  const cwd = resolve(optionalString(options.cwd, "cwd") ?? process.cwd());
  const env = environment(options.env, "loadConfig");
  const { path, namedBy } = await locate(cwd, optionalString(options.path, "path"), env);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new InvalidConfigError(
      "not_found",
      path,
      `Cannot read the keyprovider configuration ${path}${typeof code === "string" ? ` (${code})` : ""}${namedBy === undefined ? "" : `, named by ${namedBy}`}`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (err) {
    // V8's message quotes the text around the error, which may be a secret: only the position is kept.
    throw new InvalidConfigError(
      "invalid_json",
      path,
      `${path} is not valid JSON${jsonErrorLocation(text, err)}`,
    );
  }
  return resolveConfig(document, path, path, env);
}

/**
 * Check and resolve a configuration document that is already in memory, as {@link loadConfig}
 * does after reading the file: the `keyprovider` command uses it for `--provider` and `--options`.
 *
 * @example
 * ```ts
 * import { parseConfig } from "@keyprovider/core/node";
 *
 * const config = parseConfig(
 *   { provider: "file", options: { directory: "keys", kek: { passphrase: { $env: "KEK_PASSPHRASE" } } } },
 *   { source: "--options" },
 * );
 * ```
 */
export function parseConfig(document: unknown, options: ParseConfigOptions): LoadedConfig {
  if (typeof options !== "object" || options === null || typeof options.source !== "string") {
    throw new TypeError("parseConfig() takes (document, { source, env? })");
  }
  return resolveConfig(document, options.source, undefined, environment(options.env, "parseConfig"));
}

async function locate(
  cwd: string,
  path: string | undefined,
  env: Environment,
): Promise<{ readonly path: string; readonly namedBy?: string }> {
  if (path !== undefined) return { path: resolve(cwd, path) };
  const named = env[CONFIG_PATH_VARIABLE];
  if (named !== undefined && named !== "")
    return { path: resolve(cwd, named), namedBy: CONFIG_PATH_VARIABLE };
  for await (const found of filesUpward(cwd, CONFIG_FILE_NAME)) {
    if (dirname(found) !== cwd && !(await isTrustedUpward(found, cwd))) {
      throw new InvalidConfigError(
        "untrusted",
        found,
        `${found}, the nearest ${CONFIG_FILE_NAME} above ${cwd}, belongs to another user, so it is not used; name the file with { path } or ${CONFIG_PATH_VARIABLE} if it is meant`,
      );
    }
    return { path: found };
  }
  throw new InvalidConfigError(
    "not_found",
    cwd,
    `No ${CONFIG_FILE_NAME} in ${cwd} or above it; create one ({ "provider": "<name>", "options": { … } }), or name one with { path } or ${CONFIG_PATH_VARIABLE}`,
  );
}

function resolveConfig(
  document: unknown,
  source: string,
  path: string | undefined,
  env: Environment,
): LoadedConfig {
  const shapeError = (member: string, message: string) =>
    new InvalidConfigError("invalid_shape", source, `${where(member, source)} ${message}`, { member });
  if (!isPlainObject(document)) {
    throw shapeError("", `must be a JSON object: { "provider": "<name>", "options": { … } }`);
  }
  for (const member of Object.keys(document)) {
    if (!TOP_LEVEL_MEMBERS.has(member)) {
      throw shapeError(
        memberPath("", member),
        `is not a configuration member; only "provider" and "options" are`,
      );
    }
  }
  const { provider, options: written } = document;
  if (typeof provider !== "string" || provider === "") {
    throw shapeError("provider", 'must be the name of a provider, such as "local" or "LocalKeyProvider"');
  }
  if (written !== undefined && !isPlainObject(written)) {
    throw shapeError("options", "must be a JSON object of the provider's options");
  }
  assertNoLiteralSecrets(document, source);

  const missing: { readonly member: string; readonly variable: string }[] = [];
  const options =
    written === undefined
      ? undefined
      : (mapJson(
          written,
          (value, member) => {
            const variable = envReference(value, member, shapeError);
            if (variable === undefined) return undefined;
            const found = env[variable];
            if (found === undefined || found === "") missing.push({ member, variable });
            return { replacement: found };
          },
          source,
          "options",
        ) as Record<string, unknown>);
  const first = missing[0];
  if (first !== undefined) {
    const list = missing.map(({ member, variable }) => `${variable} (for ${member})`).join(", ");
    throw new InvalidConfigError(
      "missing_env",
      source,
      `${source} reads ${missing.length === 1 ? "an environment variable that is" : "environment variables that are"} not set or empty: ${list}; set ${missing.length === 1 ? "it" : "them"} in the environment of this process`,
      { member: first.member },
    );
  }

  // As written, which holds no secret: literal secrets were refused, and { "$env" } stays a reference.
  const asWritten = { provider, options: written, source, path };
  const config: LoadedConfig = { provider, options, source, path };
  Object.defineProperties(config, {
    toJSON: { value: () => asWritten },
    [inspect.custom]: {
      value: (depth: number, inspectOptions: object) => inspect(asWritten, { ...inspectOptions, depth }),
    },
  });
  return Object.freeze(config);
}

/** The variable a `{ "$env": "NAME" }` names, or `undefined` for any other value. */
function envReference(
  value: unknown,
  member: string,
  shapeError: (member: string, message: string) => InvalidConfigError,
): string | undefined {
  if (!isPlainObject(value) || !Object.hasOwn(value, "$env")) return undefined;
  const name = value["$env"];
  if (Object.keys(value).length !== 1 || typeof name !== "string" || !ENV_NAME.test(name)) {
    throw shapeError(
      member,
      `must be { "$env": "VARIABLE_NAME" }: exactly that one member, naming an environment variable (letters, digits, "_")`,
    );
  }
  return name;
}

function environment(env: unknown, caller: string): Environment {
  if (env === undefined) return process.env;
  if (typeof env !== "object" || env === null) {
    throw new TypeError(`${caller}(): env must be an object of environment variables, such as process.env`);
  }
  return env as Environment;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value !== undefined && typeof value !== "string")
    throw new TypeError(`loadConfig(): ${name} must be a path`);
  return value;
}

/** " at line L, column C" from a JSON.parse error, or "" if V8 did not say where. */
function jsonErrorLocation(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : "";
  if (/Unexpected end of JSON input/.test(message)) return " (it ends too early)";
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position === undefined) return "";
  const before = text.replace(/^\uFEFF/, "").slice(0, Number(position));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return ` at line ${line}, column ${column}`;
}
