// An application outside the workspace, as a user has it: the packed tarballs of core, base,
// inmemory and local installed by npm (hoisted, with an npm workspace) and by pnpm (isolated,
// symlinks into node_modules/.pnpm). Packing and installing happen once for the whole file.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidConfigError, ProviderNotFoundError } from "@keyprovider/core";
import {
  createFromConfig,
  discoverInstalledProviders,
  discoverProviders,
  parseConfig,
} from "@keyprovider/core/node";

const workspace = resolve(import.meta.dirname, "../../..");
const PACKED = ["core", "base", "inmemory", "local"] as const;
type Packed = (typeof PACKED)[number];

let scratch: string;
let tarballs: Record<Packed, string>;
const apps = { npm: "", pnpm: "" };

/** The environment of this process without what npm or pnpm put there for the script running us. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(npm_|pnpm_)/i.test(name)),
  );
  return { ...env, ...extra };
}

async function run(command: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(command, args, {
      cwd,
      env: cleanEnv(),
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

async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

const SCRIPT = `import { createFromConfig, discoverProviders } from "@keyprovider/core/node";

// Run from the application's scripts/ directory, with no options: everything is found upward.
const names = (await discoverProviders()).map((definition) => definition.name);
const provider = await createFromConfig();
const ref = await provider.createKey({ klass: "asym", alg: "ED25519", uses: ["sign", "verify"], exportPolicy: "none" });
const next = await provider.rotateKey(ref.kid);
const jwks = await provider.jwks({ allVersions: true });
console.log(JSON.stringify({ names, version: next.version, keys: jwks.keys.length }));
`;

/** What both applications share: the config at the root, a script and a test directory. */
async function commonFiles(app: string): Promise<void> {
  await writeJson(join(app, "keyprovider.config.json"), { provider: "local" });
  await mkdir(join(app, "scripts"), { recursive: true });
  await writeFile(join(app, "scripts", "rotate.mjs"), SCRIPT);
  await mkdir(join(app, "test", "unit"), { recursive: true });
}

async function makeNpmApp(): Promise<string> {
  const app = join(scratch, "npm-app");
  await writeJson(join(app, "package.json"), {
    name: "npm-app",
    private: true,
    type: "module",
    workspaces: ["packages/*"],
    dependencies: {
      "@keyprovider/core": `file:${tarballs.core}`,
      "@keyprovider/local": `file:${tarballs.local}`,
      "@app/pair-provider": "file:./packages/pair-provider",
    },
    devDependencies: { "@keyprovider/inmemory": `file:${tarballs.inmemory}` },
    // The tarballs depend on each other by version range; these are not on the registry.
    overrides: { "@keyprovider/core": "$@keyprovider/core", "@keyprovider/base": `file:${tarballs.base}` },
  });
  // A workspace member whose dependencies npm hoists to the root's node_modules.
  await writeJson(join(app, "packages", "worker", "package.json"), {
    name: "worker",
    private: true,
    type: "module",
    dependencies: {
      "@keyprovider/core": `file:${tarballs.core}`,
      "@keyprovider/inmemory": `file:${tarballs.inmemory}`,
    },
  });
  await mkdir(join(app, "packages", "worker", "src"), { recursive: true });
  // A composite provider, built the way a third party would write one.
  const pair = join(app, "packages", "pair-provider");
  await writeJson(join(pair, "package.json"), {
    name: "@app/pair-provider",
    version: "1.0.0",
    type: "module",
    exports: { ".": "./index.js" },
    keyprovider: { providers: { PairKeyProvider: "." } },
    dependencies: { "@keyprovider/core": `file:${tarballs.core}` },
  });
  await writeFile(
    join(pair, "index.js"),
    [
      'import { defineProvider } from "@keyprovider/core";',
      "export default defineProvider({",
      '  name: "PairKeyProvider",',
      '  aliases: ["pair"],',
      "  apiVersion: 1,",
      "  async create(options, ctx) {",
      "    const primary = await ctx.create(options.primary.provider, options.primary.options);",
      "    await ctx.create(options.secondary.provider, options.secondary.options);",
      "    return primary;",
      "  },",
      "});",
    ].join("\n"),
  );
  await commonFiles(app);
  await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], app);
  return app;
}

async function makePnpmApp(): Promise<string> {
  const app = join(scratch, "pnpm-app");
  await writeJson(join(app, "package.json"), {
    name: "pnpm-app",
    private: true,
    type: "module",
    dependencies: {
      "@keyprovider/core": `file:${tarballs.core}`,
      "@keyprovider/local": `file:${tarballs.local}`,
    },
    devDependencies: { "@keyprovider/inmemory": `file:${tarballs.inmemory}` },
    pnpm: {
      overrides: {
        "@keyprovider/core": `file:${tarballs.core}`,
        "@keyprovider/base": `file:${tarballs.base}`,
      },
    },
  });
  await commonFiles(app);
  // CI=true would make pnpm insist on a lockfile this fresh application does not have.
  await run("pnpm", ["install", "--no-frozen-lockfile", "--prefer-offline", "--reporter=silent"], app);
  return app;
}

beforeAll(async () => {
  for (const name of PACKED) {
    if (!existsSync(join(workspace, "packages", name, "dist"))) {
      throw new Error(`packages/${name} is not built: run \`pnpm build\` before this test`);
    }
  }
  scratch = await realpath(await mkdtemp(join(tmpdir(), "keyprovider-packed-")));
  const out = join(scratch, "tarballs");
  await mkdir(out);
  const filters = PACKED.flatMap((name) => ["--filter", `@keyprovider/${name}`]);
  await run("pnpm", [...filters, "-r", "pack", "--pack-destination", out], workspace);
  const files = await readdir(out);
  tarballs = Object.fromEntries(
    PACKED.map((name) => {
      const file = files.find((f) => f.startsWith(`keyprovider-${name}-`) && f.endsWith(".tgz"));
      if (file === undefined) throw new Error(`pnpm pack made no tarball for @keyprovider/${name}`);
      return [name, join(out, file)];
    }),
  ) as Record<Packed, string>;
  [apps.npm, apps.pnpm] = await Promise.all([makeNpmApp(), makePnpmApp()]);
}, 300_000);

afterAll(async () => {
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

describe("discovery in an installed application", () => {
  it("really has the two layouts: npm hoists real directories, pnpm links into its store", async () => {
    expect((await lstat(join(apps.npm, "node_modules/@keyprovider/local"))).isDirectory()).toBe(true);
    expect((await lstat(join(apps.pnpm, "node_modules/@keyprovider/local"))).isSymbolicLink()).toBe(true);
    expect(await realpath(join(apps.pnpm, "node_modules/@keyprovider/local"))).toContain(
      join("node_modules", ".pnpm"),
    );
    expect(existsSync(join(apps.npm, "packages/worker/node_modules"))).toBe(false);
  });

  it.each(["npm", "pnpm"] as const)(
    "%s: finds the providers from the application's test/unit",
    async (layout) => {
      const definitions = await discoverProviders({ cwd: join(apps[layout], "test", "unit") });
      const expected = ["InMemoryKeyProvider", "LocalKeyProvider"];
      if (layout === "npm") expected.push("PairKeyProvider");
      expect(definitions.map((d) => d.name)).toEqual(expected);
    },
  );

  it("pnpm: names the package, version and store directory of each provider", async () => {
    const installed = await discoverInstalledProviders({ cwd: join(apps.pnpm, "scripts") });
    expect(installed.map((p) => [p.definition.name, p.packageName, p.packageVersion])).toEqual([
      ["InMemoryKeyProvider", "@keyprovider/inmemory", "0.0.0"],
      ["LocalKeyProvider", "@keyprovider/local", "0.0.0"],
    ]);
    expect(installed[1]!.packageDir).toBe(await realpath(join(apps.pnpm, "node_modules/@keyprovider/local")));
  });

  it("npm: a workspace member finds its own providers in the hoisted node_modules", async () => {
    const definitions = await discoverProviders({ cwd: join(apps.npm, "packages", "worker", "src") });
    expect(definitions.map((d) => d.name)).toEqual(["InMemoryKeyProvider"]);
  });

  it.each(["npm", "pnpm"] as const)(
    "%s: a plain Node script in scripts/ discovers, configures, creates, rotates and publishes",
    async (layout) => {
      const stdout = await run(process.execPath, ["rotate.mjs"], join(apps[layout], "scripts"));
      const result = JSON.parse(stdout) as { names: string[]; version: number; keys: number };
      expect(result.names).toContain("LocalKeyProvider");
      expect([result.version, result.keys]).toEqual([2, 2]);
    },
  );
});

describe("createFromConfig in an installed application", () => {
  let configs: string;
  const SECRET = "do-not-print-this-passphrase";

  beforeAll(async () => {
    configs = join(scratch, "configs"); // outside the application, as /etc/keyprovider would be
    await mkdir(configs);
  });

  async function config(name: string, content: unknown): Promise<string> {
    const path = join(configs, `${name}.json`);
    await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
    return path;
  }

  async function refusal(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
      () => expect.fail("expected a refusal"),
      (e: unknown) => e,
    );
  }

  const unit = () => join(apps.npm, "test", "unit");

  it("builds the provider named by the nearest config upward", async () => {
    const provider = await createFromConfig({ cwd: unit(), env: {} });
    expect(provider.supports().algs).toContain("ED25519");
  });

  it("reads nested provider configs with $env at any depth, from a file KEYPROVIDER_CONFIG names", async () => {
    const path = await config("pair", {
      provider: "pair",
      options: {
        primary: { provider: { $env: "KP_PRIMARY" } },
        secondary: { provider: "InMemoryKeyProvider" },
      },
    });
    const local = await createFromConfig({
      cwd: unit(),
      env: { KEYPROVIDER_CONFIG: path, KP_PRIMARY: "local" },
    });
    expect(local.supports().algs).toContain("ED25519");
    const inmemory = await createFromConfig({
      cwd: unit(),
      env: { KEYPROVIDER_CONFIG: path, KP_PRIMARY: "inmemory" },
    });
    expect(inmemory.supports().algs).not.toContain("ED25519");
  });

  it("names a missing variable", async () => {
    const path = await config("missing", {
      provider: "pair",
      options: { primary: { provider: { $env: "KP_NOPE" } } },
    });
    const error = await refusal(createFromConfig({ cwd: unit(), path, env: {} }));
    expect(InvalidConfigError.isInstance(error)).toBe(true);
    expect((error as InvalidConfigError).reason).toBe("missing_env");
    expect((error as Error).message).toContain("KP_NOPE (for options.primary.provider)");
  });

  it("refuses a literal secret in a nested config without printing it", async () => {
    const path = await config("literal", {
      provider: "pair",
      options: {
        primary: { provider: "file", options: { kek: { passphrase: SECRET } } },
        secondary: { provider: "inmemory" },
      },
    });
    const error = await refusal(createFromConfig({ cwd: unit(), path, env: {} }));
    expect((error as InvalidConfigError).reason).toBe("literal_secret");
    expect((error as InvalidConfigError).member).toBe("options.primary.options.kek.passphrase");
    expect((error as Error).message).toContain("$env");
    expect((error as Error).message).not.toContain(SECRET);
  });

  it("refuses invalid JSON", async () => {
    const path = await config("broken", '{ "provider": "local", }');
    const error = await refusal(createFromConfig({ cwd: unit(), path, env: {} }));
    expect((error as InvalidConfigError).reason).toBe("invalid_json");
    expect((error as InvalidConfigError).source).toBe(path);
  });

  it("names the package to install for a provider that is not installed", async () => {
    const path = await config("kms", { provider: "aws-kms", options: { region: "eu-west-1" } });
    const error = await refusal(createFromConfig({ cwd: unit(), path, env: {} }));
    expect(ProviderNotFoundError.isInstance(error)).toBe(true);
    expect((error as ProviderNotFoundError).packageName).toBe("@keyprovider/aws-kms");
    expect((error as ProviderNotFoundError).known).toContain("local");
  });

  it("passes the provider's own refusal of an unknown option through", async () => {
    const path = await config("unknown-option", { provider: "local", options: { regoin: "eu-west-1" } });
    await expect(createFromConfig({ cwd: unit(), path, env: {} })).rejects.toThrow(/regoin/);
  });

  it("takes a configuration parsed from elsewhere, as the CLI's --provider and --options", async () => {
    const provider = await createFromConfig({
      cwd: unit(),
      config: parseConfig({ provider: "inmemory" }, { source: "--provider/--options", env: {} }),
    });
    expect(provider.supports().algs).toContain("AES256_GCM");
  });
});
