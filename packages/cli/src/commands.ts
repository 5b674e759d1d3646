import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  KeyNotFoundError,
  createRegistry,
  versionedKid,
  type Jwk,
  type KeyProvider,
  type KeySpec,
} from "@keyprovider/core";
import type { DiscoveryProblem, LoadedConfig } from "@keyprovider/core/node";
import {
  UsageError,
  base64urlBytes,
  exportPolicy,
  keyAlgorithm,
  keyTags,
  keyUses,
  kidAndVersion,
  positiveInteger,
} from "./arguments.js";
import { writeFileAtomically } from "./atomic-write.js";
import { ExitCode } from "./exit-code.js";
import {
  assertPublicJwks,
  fieldLines,
  keyVersionJson,
  keyVersionText,
  table,
  versionRanges,
  type KeyVersionJson,
} from "./output.js";
import { installedProviders, type Access, type Place } from "./provider.js";

/** One option of a command, for parseArgs and for its help. */
export interface Flag {
  readonly type: "string" | "boolean";
  /** The placeholder in the help: `--alg <ALG>`. */
  readonly value?: string;
  readonly multiple?: boolean;
  readonly help: string;
  /** The command cannot run without it; checked before anything else, with this message if given. */
  readonly required?: true;
  readonly whenMissing?: string;
}

/** What parseArgs gives a command. */
export type FlagValues = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

/** What a command prints: `json` with `--json`, `text` otherwise; both go to stdout. */
export interface CommandOutput {
  readonly json: unknown;
  readonly text: string;
  readonly exitCode?: ExitCode;
}

interface CommandBase {
  readonly name: string;
  /** One line, for the command list. */
  readonly summary: string;
  /** The names of the positional arguments, all required: `["kid"]`. */
  readonly arguments: readonly string[];
  readonly flags: Readonly<Record<string, Flag>>;
  /** A paragraph under the usage line. */
  readonly description: string;
}

/** What a command that works on the configured provider gets. */
export interface ProviderCommandContext {
  readonly provider: KeyProvider;
  readonly place: Place;
  /** The bytes of `--in FILE`, or of stdin without it (or with `--in -`). */
  readonly input: (path: string | undefined) => Promise<Uint8Array>;
}

/** What `providers` gets: no provider, since it says which ones there are. */
export interface DiscoveryCommandContext {
  readonly place: Place;
  /** The configuration, if one is selected or found; `undefined` if there is none. */
  readonly config: () => Promise<LoadedConfig | undefined>;
  readonly onInvalid: (problem: DiscoveryProblem) => void;
}

/**
 * A command checks its arguments first (throwing `UsageError`), before any provider is built, and
 * returns what to run.
 */
export interface ProviderCommand extends CommandBase {
  readonly access: Access;
  prepare(
    flags: FlagValues,
    args: readonly string[],
  ): (context: ProviderCommandContext) => Promise<CommandOutput>;
}

export interface DiscoveryCommand extends CommandBase {
  readonly access: "none";
  prepare(
    flags: FlagValues,
    args: readonly string[],
  ): (context: DiscoveryCommandContext) => Promise<CommandOutput>;
}

export type Command = ProviderCommand | DiscoveryCommand;

const string = (flags: FlagValues, name: string): string | undefined => {
  const value = flags[name];
  return typeof value === "string" ? value : undefined;
};
const strings = (flags: FlagValues, name: string): string[] => {
  const value = flags[name];
  return Array.isArray(value) ? value.filter((item) => typeof item === "string") : [];
};
const flag = (flags: FlagValues, name: string): boolean => flags[name] === true;

const VERSION_FLAG: Flag = {
  type: "string",
  value: "N",
  help: "a version of the key (default: its primary)",
};
const IN_FLAG: Flag = { type: "string", value: "FILE", help: "read the message from FILE (default: stdin)" };

function keyOutput(key: KeyVersionJson): CommandOutput {
  return { json: key, text: keyVersionText(key) };
}

const providers: DiscoveryCommand = {
  name: "providers",
  summary: "the installed providers: name, aliases, package, version, features",
  arguments: [],
  flags: {},
  access: "none",
  description:
    "Lists the providers the application in this directory has installed: the dependencies of the nearest package.json upward that declare one. Features are those of a provider made with no options; the configured provider (marked *) is made with its configured options.",
  prepare:
    () =>
    async ({ place, config: selected, onInvalid }) => {
      const installed = await installedProviders(place, onInvalid);
      const config = await selected();
      const registry = createRegistry({ providers: installed.map((entry) => entry.definition) });
      const configured =
        config === undefined ? undefined : await registry.get(config.provider).catch(() => undefined);
      const rows = [];
      for (const { definition, packageName, packageVersion } of installed) {
        const isConfigured = definition === configured;
        rows.push({
          name: definition.name,
          aliases: [...definition.aliases],
          package: packageName ?? null,
          version: packageVersion ?? null,
          features: await featuresOf(registry, definition.name, isConfigured, config?.options),
          configured: isConfigured,
        });
      }
      const footnote =
        config === undefined
          ? []
          : configured === undefined
            ? ["", `${config.source} names ${JSON.stringify(config.provider)}, which is not installed.`]
            : ["", `* configured by ${config.source}`];
      const text =
        rows.length === 0
          ? `No key provider is installed in the application at ${place.cwd}; install one, such as: npm install @keyprovider/file`
          : table(
              ["NAME", "ALIASES", "PACKAGE", "VERSION", "FEATURES"],
              rows.map((row) => [
                `${row.name}${row.configured ? " *" : ""}`,
                row.aliases.join(", "),
                row.package ?? "(given)",
                row.version ?? "?",
                row.features?.join(" ") ?? "(needs options to say)",
              ]),
            );
      return {
        json: { providers: rows, config: config?.source ?? null },
        text: [text, ...footnote].join("\n"),
      };
    },
};

/**
 * `supports().features` of a provider made with the configured options, or with none; `null` when
 * it cannot be made without options. A configured provider that fails is an error worth seeing.
 */
async function featuresOf(
  registry: ReturnType<typeof createRegistry>,
  name: string,
  configured: boolean,
  options: unknown,
): Promise<string[] | null> {
  try {
    return [...(await registry.create(name, configured ? options : undefined)).supports().features];
  } catch (error) {
    if (configured) throw error;
    return null;
  }
}

const keys: ProviderCommand = {
  name: "keys",
  summary: "the kids of the store, with algorithm, primary version and versions",
  arguments: [],
  flags: { prefix: { type: "string", value: "P", help: "only kids that start with P" } },
  access: "read",
  description: "Lists the keys of the configured provider, sorted by kid.",
  prepare: (flags) => {
    const prefix = string(flags, "prefix");
    return async ({ provider }) => {
      const kids = await provider.listKeys(prefix === undefined ? {} : { prefix });
      const rows = [];
      for (const kid of kids) {
        try {
          const { alg, jose, type, version, label } = keyVersionJson(await provider.getKey(kid));
          const versions = await provider.listVersions(kid);
          rows.push({
            kid,
            alg,
            jose,
            type,
            primary: version,
            versions,
            ...(label === undefined ? {} : { label }),
          });
        } catch (error) {
          if (!KeyNotFoundError.isInstance(error)) throw error; // destroyed while listing
        }
      }
      return {
        json: { keys: rows },
        text:
          rows.length === 0
            ? `No keys${prefix === undefined ? "" : ` whose kid starts with ${prefix}`}.`
            : table(
                ["KID", "ALG", "PRIMARY", "VERSIONS", "LABEL"],
                rows.map((row) => [
                  row.kid,
                  row.jose,
                  String(row.primary),
                  versionRanges(row.versions),
                  row.label ?? "",
                ]),
              ),
      };
    };
  },
};

const versions: ProviderCommand = {
  name: "versions",
  summary: "the live versions of a key: status, algorithm, fingerprint",
  arguments: ["kid"],
  flags: {},
  access: "read",
  description:
    "Lists every live version of a key. The primary signs and encrypts when no version is given; staged versions (newer) are published but not used yet; active ones (older) still verify and decrypt.",
  prepare:
    (_flags, [kid = ""]) =>
    async ({ provider }) => {
      const refs = [];
      for (const version of await provider.listVersions(kid)) {
        refs.push(keyVersionJson(await provider.getKey(kid, version)));
      }
      const primary = refs.find((ref) => ref.status === "primary")?.version ?? null;
      return {
        json: { kid, primary, versions: refs },
        text: table(
          ["VERSION", "STATUS", "ALG", "JWK KID", "FINGERPRINT"],
          refs.map((ref) => [String(ref.version), ref.status, ref.jose, ref.jwkKid, ref.fingerprint]),
        ),
      };
    },
};

const create: ProviderCommand = {
  name: "create",
  summary: "create a key at version 1",
  arguments: [],
  flags: {
    alg: {
      type: "string",
      value: "ALG",
      required: true,
      whenMissing: "create needs --alg, such as --alg ES256",
      help: "the algorithm by JOSE name (EdDSA, ES256, ES384, ES512, RS256, PS256, HS256, A256GCM, RSA-OAEP-256, ECDH-ES, …) or keyprovider name (ED25519, ECDSA_P256_SHA256, …)",
    },
    size: { type: "string", value: "BITS", help: "RSA modulus size: 2048, 3072 (default) or 4096" },
    uses: {
      type: "string",
      value: "USES",
      help: "comma-separated uses, such as sign,verify (default: every use of the algorithm)",
    },
    "export-policy": {
      type: "string",
      value: "P",
      help: "none (default: the secret never leaves the provider), public_only or secret_when_allowed",
    },
    label: { type: "string", value: "L", help: "a human name for the key" },
    tag: { type: "string", value: "NAME=VALUE", multiple: true, help: "a tag; repeat for more" },
  },
  access: "write",
  description: "Creates a key and prints its kid; version 1 is its primary. The secret is never printed.",
  prepare: (flags) => {
    const alg = string(flags, "alg") ?? "";
    const size = string(flags, "size");
    const uses = string(flags, "uses");
    const policy = string(flags, "export-policy");
    const label = string(flags, "label");
    const tags = strings(flags, "tag");
    // The provider checks the combination (a size on a curve, a use the algorithm has not).
    const spec = {
      alg: keyAlgorithm(alg),
      ...(size === undefined ? {} : { sizeBits: positiveInteger(size, "--size") }),
      ...(uses === undefined ? {} : { uses: keyUses(uses) }),
      ...(policy === undefined ? {} : { exportPolicy: exportPolicy(policy) }),
      ...(label === undefined ? {} : { label }),
      ...(tags.length === 0 ? {} : { tags: keyTags(tags) }),
    } as KeySpec;
    return async ({ provider }) => keyOutput(keyVersionJson(await provider.createKey(spec)));
  },
};

const rotate: ProviderCommand = {
  name: "rotate",
  summary: "add a version to a key: the primary at once, or --stage'd",
  arguments: ["kid"],
  flags: {
    stage: {
      type: "boolean",
      help: "publish the new version without using it yet; `activate` it once verifiers have fetched the JWKS",
    },
  },
  access: "write",
  description:
    "Adds version highest+1 with the key's algorithm, uses and policy. Without --stage it becomes the primary at once.",
  prepare: (flags, [kid = ""]) => {
    const activate = !flag(flags, "stage");
    return async ({ provider }) => keyOutput(keyVersionJson(await provider.rotateKey(kid, { activate })));
  },
};

const activate: ProviderCommand = {
  name: "activate",
  summary: "make a live version the primary (also to roll back)",
  arguments: ["kid"],
  flags: {
    version: {
      ...VERSION_FLAG,
      help: "the version to make primary; required unless the kid is written <kid>.<N>",
    },
  },
  access: "write",
  description:
    "Makes a live version of the key its primary: what signs and encrypts when no version is given.",
  prepare: (flags, [argument = ""]) => {
    const { kid, version } = kidAndVersion(argument, string(flags, "version"));
    if (version === undefined) throw new UsageError("activate needs --version N");
    return async ({ provider }) => keyOutput(keyVersionJson(await provider.activateVersion(kid, version)));
  },
};

const destroy: ProviderCommand = {
  name: "destroy",
  summary: "destroy a version of a key, or all of it; needs --yes",
  arguments: ["kid"],
  flags: {
    version: { ...VERSION_FLAG, help: "the version to destroy (default: every version, the whole key)" },
    yes: {
      type: "boolean",
      required: true,
      whenMissing: "destroy removes key material for good; add --yes to confirm",
      help: "confirm: the key material is gone for good",
    },
  },
  access: "write",
  description:
    "Destroys a version of a key, or the whole key. What it signed or encrypted can no longer be verified or decrypted with it. A destroyed version number is never issued again.",
  prepare: (flags, [argument = ""]) => {
    const { kid, version } = kidAndVersion(argument, string(flags, "version"));
    const what = version === undefined ? `${kid} (every version)` : `${kid} version ${version}`;
    return async ({ provider }) => {
      if (!(await provider.destroyKey(kid, version))) throw new KeyNotFoundError(kid, version);
      return { json: { kid, version: version ?? null, destroyed: true }, text: `Destroyed ${what}.` };
    };
  },
};

const jwk: ProviderCommand = {
  name: "jwk",
  summary: "the public JWK of a key version (--private: the private JWK of an exportable key)",
  arguments: ["kid"],
  flags: {
    version: VERSION_FLAG,
    private: {
      type: "boolean",
      help: "print the private key as a JWK; only keys whose export policy is secret_when_allowed",
    },
  },
  access: "read",
  description:
    'Prints a JWK (RFC 7517). The public JWK has kid "<kid>.<version>", alg and use. With --private the output holds the secret: send it only where it must go.',
  prepare: (flags, [argument = ""]) => {
    const { kid, version } = kidAndVersion(argument, string(flags, "version"));
    const exportPrivate = flag(flags, "private");
    return async ({ provider }) => {
      const key: Jwk = exportPrivate
        ? await provider.exportKey(kid, {
            format: "jwk",
            private: true,
            ...(version === undefined ? {} : { version }),
          })
        : await provider.getPublicJwk(kid, version);
      if (!exportPrivate) assertPublicJwks([key], provider.name);
      return { json: key, text: JSON.stringify(key, null, 2) };
    };
  },
};

const jwks: ProviderCommand = {
  name: "jwks",
  summary: "the JWK Set to publish; --out writes it to a file atomically",
  arguments: [],
  flags: {
    "all-versions": {
      type: "boolean",
      help: "every live version (default: each key's primary and staged versions)",
    },
    prefix: { type: "string", value: "P", help: "only keys whose kid starts with P" },
    out: {
      type: "string",
      value: "FILE",
      help: "write the set to FILE (mode 0644) through a temporary file and a rename, so a web server never serves half a file",
    },
  },
  access: "read",
  description:
    "Prints the JWK Set (RFC 7517) of the asymmetric keys, ready to serve at /.well-known/jwks.json. Symmetric keys are never published.",
  prepare: (flags) => {
    const prefix = string(flags, "prefix");
    const out = string(flags, "out");
    const options = {
      allVersions: flag(flags, "all-versions"),
      ...(prefix === undefined ? {} : { prefixKids: prefix }),
    };
    return async ({ provider, place }) => {
      const set = await provider.jwks(options);
      assertPublicJwks(set.keys, provider.name);
      if (out === undefined) return { json: set, text: JSON.stringify(set, null, 2) };
      const path = resolve(place.cwd, out);
      await writeFileAtomically(path, `${JSON.stringify(set, null, 2)}\n`, 0o644);
      const kids = set.keys.map((key) => key.kid);
      return {
        json: { out: path, keys: kids },
        text: `Wrote ${kids.length} ${kids.length === 1 ? "key" : "keys"} to ${path}${kids.length === 0 ? "" : `: ${kids.join(", ")}`}`,
      };
    };
  },
};

const sign: ProviderCommand = {
  name: "sign",
  summary: "sign a message from a file or stdin; prints the base64url signature",
  arguments: ["kid"],
  flags: { in: IN_FLAG, version: VERSION_FLAG },
  access: "read",
  description:
    "Signs the message's bytes where the key lives and prints the signature in its JOSE form (as in a JWS), base64url. With --json it also says which version signed.",
  prepare: (flags, [argument = ""]) => {
    const { kid, version } = kidAndVersion(argument, string(flags, "version"));
    const path = string(flags, "in");
    return async ({ provider, input }) => {
      const message = await input(path);
      // Pin the version first, so the one reported is the one that signed even if a rotation runs meanwhile.
      const key = keyVersionJson(await provider.getKey(kid, version));
      const signature = Buffer.from(await provider.sign(kid, message, { version: key.version })).toString(
        "base64url",
      );
      return {
        json: { kid, version: key.version, jwkKid: key.jwkKid, alg: key.alg, jose: key.jose, signature },
        text: signature,
      };
    };
  },
};

const verify: ProviderCommand = {
  name: "verify",
  summary: `check a signature over a message from a file or stdin; exit ${ExitCode.INVALID_SIGNATURE} if it does not verify`,
  arguments: ["kid"],
  flags: {
    signature: {
      type: "string",
      value: "B64URL",
      required: true,
      help: "the signature, base64url, as `sign` prints it",
    },
    in: IN_FLAG,
    version: {
      ...VERSION_FLAG,
      help: "the version that signed (default: the primary; or write the kid as <kid>.<N>)",
    },
  },
  access: "read",
  description: `Verifies a signature made by \`sign\` or any JOSE signer with the same key. Exit status 0 if it verifies, ${ExitCode.INVALID_SIGNATURE} if it does not.`,
  prepare: (flags, [argument = ""]) => {
    const { kid, version } = kidAndVersion(argument, string(flags, "version"));
    const signature = base64urlBytes(string(flags, "signature") ?? "", "--signature");
    const path = string(flags, "in");
    return async ({ provider, input }) => {
      const message = await input(path);
      const ref = await provider.getKey(kid, version);
      const valid = await provider.verify(kid, message, signature, { version: ref.version });
      const jwkKid = versionedKid(kid, ref.version);
      return {
        json: { kid, version: ref.version, jwkKid, valid },
        text: valid
          ? `The signature verifies with ${jwkKid}.`
          : `The signature does NOT verify with ${jwkKid}.`,
        ...(valid ? {} : { exitCode: ExitCode.INVALID_SIGNATURE }),
      };
    };
  },
};

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [
  providers,
  keys,
  versions,
  create,
  rotate,
  activate,
  destroy,
  jwk,
  jwks,
  sign,
  verify,
];

/** Read `--in FILE` (relative to `cwd`; `-` is stdin) or stdin. */
export function inputReader(
  cwd: string,
  stdin: AsyncIterable<Uint8Array | string>,
  stderr: { write(text: string): unknown },
): (path: string | undefined) => Promise<Uint8Array> {
  return async (path) => {
    if (path !== undefined && path !== "-") return new Uint8Array(await readFile(resolve(cwd, path)));
    if ((stdin as { isTTY?: unknown }).isTTY === true) {
      stderr.write(
        "keyprovider: reading the message from the terminal; end it with Ctrl-D, or give --in FILE\n",
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.from(chunk));
    return new Uint8Array(Buffer.concat(chunks));
  };
}

/** The one-line usage of a command: `keyprovider jwk <kid> [--version <N>] [--private]`. */
export function synopsis(command: Command): string {
  const args = command.arguments.map((name) => `<${name}>`);
  const flags = Object.entries(command.flags).map(([name, spec]) => {
    const text = flagText(name, spec);
    return spec.required === true ? text : spec.multiple === true ? `[${text}]...` : `[${text}]`;
  });
  return ["keyprovider", command.name, ...args, ...flags].join(" ");
}

/** The full help of a command. */
export function commandHelp(command: Command): string {
  const options = Object.entries(command.flags).map(
    ([name, spec]) =>
      [flagText(name, spec), `${spec.required === true ? "required: " : ""}${spec.help}`] as const,
  );
  return [
    `Usage: ${synopsis(command)}`,
    "",
    command.description,
    ...(options.length === 0 ? [] : ["", "Options:", indent(fieldLines(options))]),
    "",
    "Global options: --config PATH | --provider NAME [--options JSON], --json, --help (see keyprovider --help)",
  ].join("\n");
}

/** `--alg <ALG>`, `--yes`, `-h, --help`. */
export function flagText(name: string, spec: Flag & { readonly short?: string }): string {
  const short = spec.short === undefined ? "" : `-${spec.short}, `;
  return `${short}--${name}${spec.type === "string" ? ` <${spec.value ?? "VALUE"}>` : ""}`;
}

/** The flags of a command it cannot run without, in the order declared. */
export function assertRequiredFlags(command: Command, flags: FlagValues): void {
  for (const [name, spec] of Object.entries(command.flags)) {
    if (spec.required === true && (flags[name] === undefined || flags[name] === false)) {
      throw new UsageError(spec.whenMissing ?? `${command.name} needs ${flagText(name, spec)}`);
    }
  }
}

export function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}
