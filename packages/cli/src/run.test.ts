// runKeyprovider in this process, in an application made in a temporary directory whose
// node_modules link the workspace's packages, plus a test provider ("shared") that keeps its keys
// in one LocalKeyProvider for the whole test process and says it persists: in-process, that is
// true, so the whole command flow runs here; test/packed-app.test.ts runs it again as child
// processes against the real persisting providers.
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { ProviderFeature, defineProvider, type PublicJwk } from "@keyprovider/core";
import local, { LocalKeyProvider } from "@keyprovider/local";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeBadConfig, describeCommandFlow, type RunCommand } from "../test/command-flow.js";
import { COMMANDS } from "./commands.js";
import { ExitCode, runKeyprovider } from "./index.js";

const workspace = resolve(import.meta.dirname, "../../..");
let scratch: string;
let app: string;

const SHARED_PROVIDER = `import { defineProvider } from "@keyprovider/core";
import { LocalKeyProvider } from "@keyprovider/local";

class SharedKeyProvider extends LocalKeyProvider {
  name = "SharedKeyProvider";
  supports() {
    const supports = super.supports();
    return { ...supports, features: [...supports.features, "persist"] };
  }
}
const shared = new SharedKeyProvider();
export default defineProvider({ name: "SharedKeyProvider", aliases: ["shared"], apiVersion: 1, create: () => shared });
`;

beforeAll(async () => {
  scratch = await realpath(await mkdtemp(join(tmpdir(), "keyprovider-cli-")));
  app = join(scratch, "app");
  const modules = join(app, "node_modules");
  await mkdir(join(modules, "@keyprovider"), { recursive: true });
  for (const name of ["core", "local", "inmemory"]) {
    await symlink(join(workspace, "packages", name), join(modules, "@keyprovider", name), "dir");
  }
  await mkdir(join(modules, "shared-provider"));
  await writeFile(
    join(modules, "shared-provider", "package.json"),
    JSON.stringify({
      name: "shared-provider",
      version: "1.2.3",
      type: "module",
      exports: "./index.js",
      keyprovider: { providers: { SharedKeyProvider: "." } },
    }),
  );
  await writeFile(join(modules, "shared-provider", "index.js"), SHARED_PROVIDER);
  await writeFile(
    join(app, "package.json"),
    JSON.stringify({
      name: "app",
      private: true,
      type: "module",
      dependencies: { "@keyprovider/local": "*", "@keyprovider/inmemory": "*", "shared-provider": "*" },
    }),
  );
  await mkdir(join(scratch, "configs"));
});

afterAll(async () => {
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

const run: RunCommand = async (args, options = {}) => {
  let stdout = "";
  let stderr = "";
  const status = await runKeyprovider(args, {
    stdout: { write: (text) => (stdout += text) },
    stderr: { write: (text) => (stderr += text) },
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    cwd: options.cwd ?? app,
    env: options.env ?? {},
  });
  return { status, stdout, stderr };
};

describeCommandFlow("in-process, SharedKeyProvider", {
  run,
  select: () => ["--provider", "shared"],
  appDir: () => app,
  algorithms: ["ES256", "EdDSA", "PS256", "ES384"],
  exportsSecrets: true,
});

describeBadConfig("in-process", {
  run,
  appDir: () => app,
  configDir: () => join(scratch, "configs"),
  installed: ["InMemoryKeyProvider", "LocalKeyProvider", "SharedKeyProvider", "inmemory", "local", "shared"],
});

describe("help and version", () => {
  it("--help lists every command, how the provider is chosen and the exit statuses", async () => {
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const { status, stdout, stderr } = await run(args);
      expect([status, stderr]).toEqual([0, ""]);
      for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${command.name} `, "m"));
      expect(stdout).toContain("--provider <NAME>");
      expect(stdout).toMatch(/^ {2}2 +wrong command line/m);
    }
  });

  it.each(COMMANDS.map((command) => command.name))(
    "%s --help and help %s print its usage and options",
    async (name) => {
      const viaFlag = await run([name, "--help"]);
      expect(viaFlag.status).toBe(0);
      expect(viaFlag.stdout).toMatch(new RegExp(`^Usage: keyprovider ${name}`));
      expect((await run(["help", name])).stdout).toBe(viaFlag.stdout);
    },
  );

  it("--version prints the package's version", async () => {
    const { version } = JSON.parse(await readFile(join(import.meta.dirname, "../package.json"), "utf8")) as {
      version: string;
    };
    expect(await run(["--version"])).toEqual({ status: 0, stdout: `keyprovider ${version}\n`, stderr: "" });
    expect(JSON.parse((await run(["--version", "--json"])).stdout)).toEqual({ name: "keyprovider", version });
  });
});

describe("usage errors exit 2 with the usage of the command", () => {
  it.each([
    [[], "Which command?", "keyprovider <command>"],
    [["rotat"], '"rotat" is not a keyprovider command', "keyprovider <command>"],
    [["keys", "--bogus"], "Unknown option '--bogus'", "keyprovider keys [--prefix <P>]"],
    [["versions"], "versions needs <kid>", "keyprovider versions <kid>"],
    [["versions", "a", "b"], 'takes no argument "b"', "keyprovider versions <kid>"],
    [["create"], "create needs --alg, such as --alg ES256", "keyprovider create --alg <ALG>"],
    [["create", "--alg", "ES257"], '--alg "ES257" is not an algorithm; use one of', "keyprovider create"],
    [["create", "--alg", "RS256", "--size", "big"], '--size takes a positive integer, not "big"', "create"],
    [["create", "--alg", "ES256", "--uses", "sign,fly"], '"fly" is not one', "create"],
    [["create", "--alg", "ES256", "--export-policy", "always"], "--export-policy takes one of", "create"],
    [["create", "--alg", "ES256", "--tag", "novalue"], "--tag takes name=value", "create"],
    [
      ["jwk", "abc", "--version", "0"],
      '--version takes a positive integer, not "0"',
      "keyprovider jwk <kid>",
    ],
    [["jwk", "abc.2", "--version", "3"], '"abc.2" names version 2, but --version says 3', "jwk"],
    [["activate", "abc"], "activate needs --version N", "keyprovider activate <kid>"],
    [["destroy", "abc"], "destroy removes key material for good; add --yes", "keyprovider destroy <kid>"],
    [["verify", "abc"], "verify needs --signature <B64URL>", "keyprovider verify <kid>"],
    [["verify", "abc", "--signature", "a+b="], "--signature takes base64url", "verify"],
    [["jwks", "--out"], "argument missing", "keyprovider jwks"],
    [["keys", "--prefix", "--provider", "x"], "argument is ambiguous", "keyprovider keys"],
    [["keys", "--options", "{}"], "--options goes with --provider NAME", "keys"],
    [
      ["keys", "--config", "a.json", "--provider", "local"],
      "--config and --provider are alternatives",
      "keys",
    ],
  ])("%j: %s", async (args, message, usage) => {
    const result = await run(args);
    expect(result.status).toBe(ExitCode.USAGE);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain(
      `Usage: ${usage.startsWith("keyprovider") ? usage : `keyprovider ${usage}`}`,
    );
  });

  it("with --json, one JSON line on stderr with code ERR_USAGE and the usage", async () => {
    const result = await run(["versions", "--json"]);
    expect(result.status).toBe(2);
    expect(JSON.parse(result.stderr)).toEqual({
      error: {
        code: "ERR_USAGE",
        message: "versions needs <kid>",
        usage: "keyprovider versions <kid>\nRun `keyprovider versions --help` for more.",
      },
    });
  });

  it("help of a command that does not exist", async () => {
    const result = await run(["help", "rotat"]);
    expect([result.status, result.stderr]).toEqual([
      2,
      expect.stringContaining('"rotat" is not a keyprovider command'),
    ]);
  });

  it("takes a value that starts with a dash, as a base64url signature may", async () => {
    const { kid } = JSON.parse(
      (await run(["create", "--alg", "EdDSA", "--provider", "shared", "--json"])).stdout,
    ) as { kid: string };
    await writeFile(join(scratch, "dash.txt"), "m");
    const verify = ["verify", kid, "--in", join(scratch, "dash.txt"), "--provider", "shared"];
    const forged = `-${"A".repeat(85)}`;
    expect((await run([...verify, "--signature", forged])).status).toBe(ExitCode.INVALID_SIGNATURE);
    expect((await run([...verify, "--signature", `-${forged}`])).status).toBe(ExitCode.INVALID_SIGNATURE);
    expect((await run(["keys", "--prefix", "-x", "--provider", "shared"])).stdout).toBe(
      "No keys whose kid starts with -x.\n",
    );
  });

  it("checks the command line before the configuration", async () => {
    const result = await run(["create", "--alg", "nope", "--provider", "nosuch"]);
    expect(result.status).toBe(2);
  });
});

describe("jwks --out and --in", () => {
  it("names the directory that is not there, and leaves nothing behind", async () => {
    const result = await run(["jwks", "--out", "no/such/dir/jwks.json", "--provider", "shared", "--json"]);
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stderr)).toEqual({
      error: {
        code: "ENOENT",
        message: `Cannot write ${join(app, "no/such/dir/jwks.json")}: the directory ${join(app, "no/such/dir")} does not exist`,
      },
    });
  });

  it("names a message file that is not there", async () => {
    const result = await run(["sign", "abc", "--in", "missing.txt", "--provider", "shared"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^keyprovider: ENOENT: .*missing\.txt/);
  });
});

describe("providers", () => {
  it("lists the installed providers with aliases, package, version and features", async () => {
    const { providers, config } = JSON.parse((await run(["providers", "--json"])).stdout) as {
      providers: {
        name: string;
        aliases: string[];
        package: string;
        version: string;
        features: string[];
        configured: boolean;
      }[];
      config: string | null;
    };
    expect(config).toBeNull();
    expect(providers.map((p) => [p.name, p.aliases, p.package, p.configured])).toEqual([
      ["InMemoryKeyProvider", ["inmemory"], "@keyprovider/inmemory", false],
      ["LocalKeyProvider", ["local"], "@keyprovider/local", false],
      ["SharedKeyProvider", ["shared"], "shared-provider", false],
    ]);
    expect(providers[2]!.version).toBe("1.2.3");
    expect(providers[1]!.features).toContain("jwks");
    expect(providers[2]!.features).toContain("persist");
  });

  it("marks the configured provider and names the config", async () => {
    const path = join(scratch, "configs", "shared.json");
    await writeFile(path, JSON.stringify({ provider: "shared" }));
    const text = await run(["providers"], { env: { KEYPROVIDER_CONFIG: path } });
    expect(text.stdout).toMatch(/^NAME\s+ALIASES\s+PACKAGE\s+VERSION\s+FEATURES$/m);
    expect(text.stdout).toMatch(/^SharedKeyProvider \* +shared +shared-provider +1\.2\.3 +create /m);
    expect(text.stdout).toContain(`* configured by ${path}`);
    const json = JSON.parse((await run(["providers", "--json", "--provider", "local"])).stdout) as {
      providers: { configured: boolean }[];
      config: string;
    };
    expect(json.providers.map((p) => p.configured)).toEqual([false, true, false]);
    expect(json.config).toBe("--provider");
  });

  it("says so when the config names a provider that is not installed", async () => {
    const result = await run(["providers", "--provider", "file"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('--provider names "file", which is not installed.');
  });

  it("warns about an installed package whose provider is broken, and lists the others", async () => {
    const broken = join(app, "node_modules", "broken-provider");
    await mkdir(broken, { recursive: true });
    await writeFile(
      join(broken, "package.json"),
      JSON.stringify({
        name: "broken-provider",
        type: "module",
        exports: "./index.js",
        keyprovider: { providers: { Broken: "." } },
      }),
    );
    await writeFile(join(broken, "index.js"), "export default {};\n");
    const manifest = join(app, "package.json");
    const original = await readFile(manifest, "utf8");
    const parsed = JSON.parse(original) as { dependencies: Record<string, string> };
    await writeFile(
      manifest,
      JSON.stringify({ ...parsed, dependencies: { ...parsed.dependencies, "broken-provider": "*" } }),
    );
    try {
      const result = await run(["providers"]);
      expect(result.status).toBe(0);
      expect(result.stderr).toMatch(
        /^keyprovider: warning: broken-provider \(Broken\) is skipped: its default export is unusable/,
      );
      expect(result.stdout).toContain("SharedKeyProvider");
      const keys = await run(["keys", "--provider", "shared", "--json"]);
      expect(keys.status).toBe(0);
      expect(JSON.parse(keys.stderr)).toMatchObject({
        warning: { package: "broken-provider", provider: "Broken" },
      });
    } finally {
      await writeFile(manifest, original);
    }
  });

  it("outside an application: says to run it in the application's directory", async () => {
    const result = await run(["providers"], { cwd: scratch });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("no readable package.json");
  });
});

describe("the runner", () => {
  /** In one process a LocalKeyProvider kept in a variable does persist between commands. */
  class KeptKeyProvider extends LocalKeyProvider {
    override readonly name: "LocalKeyProvider" = "KeptKeyProvider" as "LocalKeyProvider";
    override supports() {
      const supports = super.supports();
      return { ...supports, features: [...supports.features, ProviderFeature.PERSIST] };
    }
  }

  it("takes provider definitions instead of discovering, for an application that bundles its code", async () => {
    const kept = new KeptKeyProvider();
    const definition = defineProvider({
      name: "KeptKeyProvider",
      aliases: ["kept"],
      apiVersion: 1,
      create: () => kept,
    });
    const given = (args: string[]) => {
      let stdout = "";
      return runKeyprovider([...args, "--json"], {
        providers: [definition, local],
        stdout: { write: (text) => (stdout += text) },
        stderr: { write: () => undefined },
        cwd: scratch, // no package.json: nothing is discovered
        env: {},
      }).then((status) => ({ status, json: JSON.parse(stdout || "null") as unknown }));
    };
    const listed = await given(["providers"]);
    expect(listed.json).toMatchObject({
      providers: [
        { name: "KeptKeyProvider", package: null, version: null, configured: false },
        { name: "LocalKeyProvider", package: null },
      ],
    });
    const created = await given(["create", "--alg", "EdDSA", "--provider", "kept"]);
    const { kid } = created.json as { kid: string };
    expect((await kept.getKey(kid)).alg).toBe("ED25519");
    expect(await given(["keys", "--provider", "local"])).toEqual({ status: 1, json: null });
  });

  it("prints no private member a provider puts in a public JWK or JWK Set", async () => {
    class LeakyKeyProvider extends KeptKeyProvider {
      override readonly name = "LeakyKeyProvider" as "LocalKeyProvider";
      override async getPublicJwk(kid: string, version?: number): Promise<PublicJwk> {
        const jwk = await this.exportKey(kid, {
          format: "jwk",
          private: true,
          ...(version === undefined ? {} : { version }),
        });
        return jwk as unknown as PublicJwk; // the bug under test: a private JWK passed off as public
      }
      override async jwks() {
        const keys = await Promise.all((await this.listKeys()).map((kid) => this.getPublicJwk(kid)));
        return { keys };
      }
    }
    const leaky = new LeakyKeyProvider();
    const { kid } = await leaky.createKey({ alg: "ES256", exportPolicy: "secret_when_allowed" });
    const secret = (await leaky.exportKey(kid, { format: "jwk", private: true })).d!;
    const definition = defineProvider({ name: "LeakyKeyProvider", apiVersion: 1, create: () => leaky });
    const out = join(scratch, "leaky-jwks.json");
    for (const args of [["jwk", kid], ["jwks"], ["jwks", "--out", out]]) {
      let printed = "";
      const write = (text: string) => void (printed += text);
      const status = await runKeyprovider([...args, "--provider", "LeakyKeyProvider"], {
        providers: [definition],
        stdout: { write },
        stderr: { write },
        cwd: scratch,
        env: {},
      });
      expect(status).toBe(ExitCode.ERROR);
      expect(printed).toMatch(/^keyprovider: ERR_INVALID_KEY_MATERIAL: .*private key members \(d\)/);
      expect(printed).not.toContain(secret);
    }
    await expect(readFile(out, "utf8")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses arguments that are not an array of strings", async () => {
    await expect(runKeyprovider("keys" as never)).rejects.toThrow(TypeError);
    await expect(runKeyprovider([1] as never)).rejects.toThrow(TypeError);
  });
});
