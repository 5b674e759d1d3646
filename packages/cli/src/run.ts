import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { InvalidConfigError, KeyProviderError, type ProviderDefinition } from "@keyprovider/core";
import { CONFIG_PATH_VARIABLE, type DiscoveryProblem, type LoadedConfig } from "@keyprovider/core/node";
import { UsageError, isParseArgsError } from "./arguments.js";
import {
  COMMANDS,
  assertRequiredFlags,
  commandHelp,
  flagText,
  indent,
  inputReader,
  synopsis,
  type Command,
  type CommandOutput,
  type Flag,
  type FlagValues,
} from "./commands.js";
import { ExitCode } from "./exit-code.js";
import { fieldLines } from "./output.js";
import {
  assertUsableFromShell,
  openProvider,
  selectConfig,
  type Place,
  type ProviderSelection,
} from "./provider.js";

/**
 * Where `runKeyprovider` reads and writes, and which providers it may use. Every member defaults to
 * what the `keyprovider` bin has: the process's streams, directory and environment, and the
 * providers the application installed.
 *
 * @example
 * ```ts
 * import file from "@keyprovider/file";
 *
 * const out: string[] = [];
 * const options: RunKeyproviderOptions = { stdout: { write: (text) => out.push(text) }, providers: [file] };
 * ```
 */
export interface RunKeyproviderOptions {
  /** Results: one JSON document with `--json`, else text. Default `process.stdout`. */
  readonly stdout?: TextSink;
  /** Errors, usage and warnings. Default `process.stderr`. */
  readonly stderr?: TextSink;
  /** The message for `sign` and `verify` without `--in`. Default `process.stdin`. */
  readonly stdin?: AsyncIterable<Uint8Array | string>;
  /**
   * The application's directory, or one below it: where the providers and the config are found,
   * and what `--in` and `--out` paths are relative to. Default `process.cwd()`.
   */
  readonly cwd?: string;
  /** Where `KEYPROVIDER_CONFIG` and every `{ "$env": "NAME" }` are read. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The provider definitions to choose from, instead of discovering the ones the application at
   * `cwd` installed: for an application that bundles its code (bundlers cannot discover) and runs
   * keyprovider's commands as its own.
   */
  readonly providers?: readonly ProviderDefinition[];
}

/**
 * Something text is written to, such as `process.stdout`.
 *
 * @example
 * ```ts
 * const sink: TextSink = { write: (text) => void chunks.push(text) };
 * ```
 */
export interface TextSink {
  write(text: string): unknown;
}

const GLOBAL_FLAGS: Readonly<Record<string, Flag & { readonly short?: string }>> = {
  config: {
    type: "string",
    value: "PATH",
    help: `the config file (default: the one ${CONFIG_PATH_VARIABLE} names, else the nearest keyprovider.config.json upward)`,
  },
  provider: { type: "string", value: "NAME", help: "a provider by name or alias, instead of a config file" },
  options: {
    type: "string",
    value: "JSON",
    help: 'its options as a JSON object; secrets as { "$env": "NAME" }, never literal',
  },
  json: { type: "boolean", help: "print exactly one JSON document on stdout, for scripts" },
  help: { type: "boolean", short: "h", help: "help for keyprovider or for a command" },
};

const VERSION: string = (() => {
  try {
    const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return typeof manifest.version === "string" ? manifest.version : "unknown";
  } catch {
    return "unknown";
  }
})();

/**
 * Run the `keyprovider` command with `args` (what follows `keyprovider` on the command line) and
 * return its exit status; what the `keyprovider` bin does with `process.argv.slice(2)`.
 *
 * The provider is the one `--provider NAME [--options JSON]` names, or `--config PATH`, or
 * `keyprovider.config.json` (`KEYPROVIDER_CONFIG`, else the nearest one from `cwd` upward), built
 * from the providers the application at `cwd` has installed. Options on the command line get the
 * same checks as the file: a literal secret is refused, `{ "$env": "NAME" }` is read from `env`.
 * Every command runs in its own process, so a provider that keeps keys only in memory (`local`,
 * `inmemory`) is refused for every command but `providers`, with a message naming providers that
 * persist keys (`file`, `aws-kms`). Nothing private is printed but the JWK of `jwk --private`.
 *
 * @example
 * ```ts
 * import { runKeyprovider } from "@keyprovider/cli";
 *
 * // The same as `keyprovider jwks --out public/.well-known/jwks.json` in the application's directory.
 * const status = await runKeyprovider(["jwks", "--out", "public/.well-known/jwks.json"]);
 * process.exitCode = status;
 * ```
 */
export async function runKeyprovider(
  args: readonly string[],
  options: RunKeyproviderOptions = {},
): Promise<ExitCode> {
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === "string")) {
    throw new TypeError("runKeyprovider() takes the command line as an array of strings");
  }
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      "runKeyprovider(args, options): options must be { stdout?, stderr?, stdin?, cwd?, env?, providers? }",
    );
  }
  if (options.providers !== undefined && !Array.isArray(options.providers)) {
    throw new TypeError("runKeyprovider(): providers must be an array of provider definitions");
  }
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const stdin = options.stdin ?? process.stdin;
  const place: Place = {
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
    providers: options.providers,
  };
  args = withDashValues(args);
  const json = args.includes("--json");
  let command: Command | undefined;
  try {
    const found = findCommand(args);
    if (found.name === undefined || found.name === "help") {
      const topic = found.name === "help" ? found.next : undefined;
      if (found.name === undefined && found.version) {
        stdout.write(
          json
            ? `${JSON.stringify({ name: "keyprovider", version: VERSION })}\n`
            : `keyprovider ${VERSION}\n`,
        );
        return ExitCode.OK;
      }
      if (found.name === undefined && !found.help)
        throw new UsageError("Which command? keyprovider needs one");
      const helped = topic === undefined ? undefined : commandNamed(topic);
      if (topic !== undefined && helped === undefined) {
        throw new UsageError(`${JSON.stringify(topic.slice(0, 40))} is not a keyprovider command`);
      }
      stdout.write(`${helped === undefined ? topHelp() : commandHelp(helped)}\n`);
      return ExitCode.OK;
    }
    command = commandNamed(found.name);
    if (command === undefined) {
      throw new UsageError(`${JSON.stringify(found.name.slice(0, 40))} is not a keyprovider command`);
    }
    const parsed = parseArgs({
      args: [...args],
      options: { ...parseArgsConfig(GLOBAL_FLAGS), ...parseArgsConfig(command.flags) },
      allowPositionals: true,
      strict: true,
    });
    const values = parsed.values as FlagValues;
    if (values["help"] === true) {
      stdout.write(`${commandHelp(command)}\n`);
      return ExitCode.OK;
    }
    const given = parsed.positionals.slice(1); // the first is the command's name
    if (given.length < command.arguments.length) {
      throw new UsageError(`${command.name} needs <${command.arguments[given.length] ?? "argument"}>`);
    }
    if (given.length > command.arguments.length) {
      throw new UsageError(
        `${command.name} takes no argument ${JSON.stringify(given[command.arguments.length]?.slice(0, 40))}`,
      );
    }
    assertRequiredFlags(command, values);
    const output = await execute(command, values, given, place, { stdin, stderr }, (problem) =>
      warn(stderr, json, problem),
    );
    stdout.write(`${json ? JSON.stringify(output.json, null, 2) : output.text}\n`);
    return output.exitCode ?? ExitCode.OK;
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      const usage =
        command === undefined
          ? topUsage()
          : `${synopsis(command)}\nRun \`keyprovider ${command.name} --help\` for more.`;
      stderr.write(
        json
          ? `${JSON.stringify({ error: { code: "ERR_USAGE", message: error.message, usage } })}\n`
          : `keyprovider: ${error.message}\n\nUsage: ${usage}\n`,
      );
      return ExitCode.USAGE;
    }
    stderr.write(
      json ? `${JSON.stringify({ error: errorJson(error) })}\n` : `keyprovider: ${errorLine(error)}\n`,
    );
    return ExitCode.ERROR;
  }
}

async function execute(
  command: Command,
  flags: FlagValues,
  args: readonly string[],
  place: Place,
  streams: { readonly stdin: AsyncIterable<Uint8Array | string>; readonly stderr: TextSink },
  onInvalid: (problem: DiscoveryProblem) => void,
): Promise<CommandOutput> {
  const selection: ProviderSelection = {
    config: string(flags["config"]),
    provider: string(flags["provider"]),
    options: string(flags["options"]),
  };
  if (command.access === "none") {
    const run = command.prepare(flags, args);
    return run({ place, onInvalid, config: () => optionalConfig(selection, place) });
  }
  const run = command.prepare(flags, args);
  const config = await selectConfig(selection, place);
  const provider = await openProvider(config, place, onInvalid);
  assertUsableFromShell(provider, config, command.access);
  return run({ provider, place, input: inputReader(place.cwd, streams.stdin, streams.stderr) });
}

/** The configuration for `providers`: none is fine, unless one was asked for. */
async function optionalConfig(selection: ProviderSelection, place: Place): Promise<LoadedConfig | undefined> {
  const asked =
    selection.config !== undefined ||
    selection.provider !== undefined ||
    selection.options !== undefined ||
    (place.env[CONFIG_PATH_VARIABLE] ?? "") !== "";
  try {
    return await selectConfig(selection, place);
  } catch (error) {
    if (!asked && InvalidConfigError.isInstance(error) && error.reason === "not_found") return undefined;
    throw error;
  }
}

/** Every option of every command, and the global ones. */
function everyFlag(): Record<string, Flag & { readonly short?: string }> {
  const flags: Record<string, Flag & { readonly short?: string }> = { ...GLOBAL_FLAGS };
  for (const command of COMMANDS) Object.assign(flags, command.flags);
  flags["version"] = { type: "boolean", help: "" }; // before a command, --version is keyprovider's
  return flags;
}

/**
 * `--signature -Xy…` as `--signature=-Xy…`. parseArgs refuses a value that starts with a dash as
 * ambiguous, but a base64url signature starts with one once in 64: the word after an option that
 * takes a value is its value, unless it is itself one of keyprovider's options (`--prefix --json`
 * stays a missing value) or `--`.
 */
function withDashValues(args: readonly string[]): readonly string[] {
  const flags = everyFlag();
  const isOption = (word: string) =>
    word === "--" ||
    Object.hasOwn(flags, /^--([^=]+)/.exec(word)?.[1] ?? "") ||
    Object.values(flags).some((flag) => flag.short !== undefined && word === `-${flag.short}`);
  const joined: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const word = args[i]!;
    const name = /^--([^=]+)$/.exec(word)?.[1];
    const next = args[i + 1];
    if (
      name !== undefined &&
      flags[name]?.type === "string" &&
      next?.startsWith("-") === true &&
      !isOption(next)
    ) {
      joined.push(`${word}=${next}`);
      i += 1;
    } else {
      joined.push(word);
    }
  }
  return joined;
}

/** The first word that is not an option or an option's value; and whether --help or --version came before it. */
function findCommand(args: readonly string[]): {
  readonly name: string | undefined;
  readonly next: string | undefined;
  readonly help: boolean;
  readonly version: boolean;
} {
  const { tokens } = parseArgs({
    args: [...args],
    options: parseArgsConfig(everyFlag()),
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const words = tokens.filter((token) => token.kind === "positional").map((token) => token.value);
  const first = tokens.findIndex((token) => token.kind === "positional");
  const before = first < 0 ? tokens : tokens.slice(0, first);
  const flagged = (name: string) => before.some((token) => token.kind === "option" && token.name === name);
  return { name: words[0], next: words[1], help: flagged("help"), version: flagged("version") };
}

type ParseArgsOptions = NonNullable<ParseArgsConfig["options"]>;

function parseArgsConfig(
  flags: Readonly<Record<string, Flag & { readonly short?: string }>>,
): ParseArgsOptions {
  return Object.fromEntries(
    Object.entries(flags).map(([name, flag]) => [
      name,
      {
        type: flag.type,
        ...(flag.multiple === true ? { multiple: true } : {}),
        ...(flag.short === undefined ? {} : { short: flag.short }),
      },
    ]),
  );
}

function commandNamed(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}

function topUsage(): string {
  return "keyprovider <command> [options]\nRun `keyprovider --help` for the commands.";
}

function topHelp(): string {
  const globals = [
    ...Object.entries(GLOBAL_FLAGS).map(([name, flag]) => [flagText(name, flag), flag.help] as const),
    ["--version", "print keyprovider's version"] as const,
  ];
  return [
    `keyprovider ${VERSION}: operate the keys of any installed key provider, by name, from a config file`,
    "",
    "Usage: keyprovider <command> [options]",
    "",
    "Commands:",
    indent(fieldLines(COMMANDS.map((command) => [command.name, command.summary] as const))),
    "",
    "Choosing the provider (every command):",
    indent(fieldLines(globals)),
    "",
    "keyprovider.config.json holds the provider's name and options, never a secret:",
    indent(
      '{ "provider": "file", "options": { "directory": "keys", "kek": { "passphrase": { "$env": "KEK_PASSPHRASE" } } } }',
    ),
    "Providers are the ones the application in this directory has installed (its package.json). Each",
    "command is its own process, so the provider must keep keys between commands (file, aws-kms).",
    "",
    "Exit status:",
    indent(
      fieldLines([
        [String(ExitCode.OK), "done"],
        [String(ExitCode.ERROR), "failed: the error's code and message are on stderr"],
        [
          String(ExitCode.USAGE),
          "wrong command line: unknown command or option, missing argument, bad value",
        ],
        [String(ExitCode.INVALID_SIGNATURE), "verify: the signature does not verify"],
      ]),
    ),
    "",
    "Run `keyprovider <command> --help` for a command's options.",
  ].join("\n");
}

function string(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** The code of an error: a keyprovider error's, a Node system error's (ENOENT), else its class name. */
function errorCode(error: unknown): string {
  if (KeyProviderError.isInstance(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  return error instanceof Error ? error.name : "ERR_UNKNOWN";
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : `a thrown ${typeof error}`;
}

function errorLine(error: unknown): string {
  return `${errorCode(error)}: ${errorMessage(error)}`;
}

/** Fields of keyprovider's errors that help a script and never hold a secret. */
const ERROR_FIELDS = [
  "reason",
  "source",
  "member",
  "kid",
  "version",
  "packageName",
  "retryable",
  "field",
  "alg",
  "use",
];

function errorJson(error: unknown): Record<string, unknown> {
  const fields: Record<string, unknown> = { code: errorCode(error), message: errorMessage(error) };
  if (KeyProviderError.isInstance(error)) {
    for (const name of ERROR_FIELDS) {
      const value = (error as unknown as Record<string, unknown>)[name];
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
        fields[name] = value;
    }
  }
  return fields;
}

function warn(stderr: TextSink, json: boolean, problem: DiscoveryProblem): void {
  const { packageName, providerName, reason } = problem;
  stderr.write(
    json
      ? `${JSON.stringify({ warning: { package: packageName, provider: providerName ?? null, reason } })}\n`
      : `keyprovider: warning: ${packageName}${providerName === undefined ? "" : ` (${providerName})`} is skipped: ${reason}\n`,
  );
}
