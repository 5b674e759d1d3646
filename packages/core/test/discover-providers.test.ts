import { execFile } from "node:child_process";
import { chown, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  InvalidProviderError,
  ProviderNotFoundError,
  createRegistry,
  type KeyProvider,
} from "@keyprovider/core";
import { discoverProviders, type DiscoveryProblem } from "@keyprovider/core/node";

const packagesDir = resolve(import.meta.dirname, "../..");
let app: string;

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** A package installed in the application's node_modules, written on the spot. */
async function fakePackage(
  name: string,
  manifest: Record<string, unknown>,
  files: Record<string, string>,
): Promise<void> {
  const dir = join(app, "node_modules", ...name.split("/"));
  await mkdir(dir, { recursive: true });
  await writeJson(join(dir, "package.json"), { name, version: "1.0.0", type: "module", ...manifest });
  for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
}

beforeAll(async () => {
  // The application: it depends on the real, built @keyprovider/inmemory (which has the manifest
  // field), the real @keyprovider/base (which has none), a package whose "provider" is an
  // unbranded look-alike, one built for a future API version, and one that is not installed.
  app = await mkdtemp(join(tmpdir(), "keyprovider-discovery-"));
  await writeJson(join(app, "package.json"), {
    name: "app",
    private: true,
    type: "module",
    dependencies: {
      "@keyprovider/inmemory": "*",
      "@keyprovider/base": "*",
      "@keyprovider/core": "*",
      "lookalike-provider": "*",
      "future-provider": "*",
    },
    optionalDependencies: { "not-installed": "*" },
  });
  await mkdir(join(app, "node_modules", "@keyprovider"), { recursive: true });
  for (const name of ["inmemory", "base", "core"]) {
    await symlink(join(packagesDir, name), join(app, "node_modules", "@keyprovider", name), "dir");
  }
  await fakePackage(
    "lookalike-provider",
    {
      exports: { "./provider": "./provider.js" },
      keyprovider: { providers: { LookalikeKeyProvider: "./provider" } },
    },
    {
      "provider.js":
        "export default { name: 'LookalikeKeyProvider', aliases: [], apiVersion: 1, create() { return {}; } };\n",
    },
  );
  await fakePackage(
    "future-provider",
    { exports: { ".": { import: "./index.js" } }, keyprovider: { providers: { FutureKeyProvider: "." } } },
    {
      "index.js": [
        "const definition = { name: 'FutureKeyProvider', aliases: [], apiVersion: 2, create() { return {}; } };",
        "Object.defineProperty(definition, Symbol.for('keyprovider.provider-definition'), { value: 2 });",
        "export default Object.freeze(definition);",
      ].join("\n"),
    },
  );
});

afterAll(async () => {
  await rm(app, { recursive: true, force: true });
});

describe("discoverProviders", () => {
  it("finds the installed providers, ignores packages without the field and reports invalid ones", async () => {
    const problems: DiscoveryProblem[] = [];
    const definitions = await discoverProviders({ cwd: app, onInvalid: (problem) => problems.push(problem) });
    expect(definitions.map((d) => d.name)).toEqual(["InMemoryKeyProvider"]);
    expect(definitions[0]!.aliases).toEqual(["inmemory"]);
    expect(problems.map((p) => [p.packageName, p.providerName])).toEqual([
      ["future-provider", "FutureKeyProvider"],
      ["lookalike-provider", "LookalikeKeyProvider"],
    ]);
    expect(problems[0]!.reason).toContain("API version 2");
    expect(problems[1]!.reason).toContain("not a provider definition made with defineProvider()");
  });

  it("throws InvalidProviderError for the first invalid entry when no onInvalid is given", async () => {
    const error = await discoverProviders({ cwd: app }).catch((e: unknown) => e);
    expect(InvalidProviderError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /^Installed package future-provider \(provider "FutureKeyProvider"\)/,
    );
  });

  it("gives a registry that creates what was found and names the package for what was not", async () => {
    const registry = createRegistry({
      providers: await discoverProviders({ cwd: app, onInvalid: () => {} }),
    });
    const provider: KeyProvider = await registry.create("inmemory");
    const ref = await provider.createKey({
      klass: "sym",
      alg: "AES256_GCM",
      uses: ["encrypt"],
      exportPolicy: "none",
    });
    expect(ref.version).toBe(1);
    const missing = await registry.create("local").catch((e: unknown) => e);
    expect(ProviderNotFoundError.isInstance(missing)).toBe(true);
    expect((missing as ProviderNotFoundError).message).toContain("Install @keyprovider/local");
  });

  it("works from a subdirectory's node_modules lookup, like Node", async () => {
    const nested = join(app, "src", "server");
    await mkdir(nested, { recursive: true });
    await writeJson(join(nested, "package.json"), {
      name: "server",
      dependencies: { "@keyprovider/inmemory": "*" },
    });
    const definitions = await discoverProviders({ cwd: nested });
    expect(definitions.map((d) => d.name)).toEqual(["InMemoryKeyProvider"]);
  });

  it("runs in plain Node against the built packages, as an application would", async () => {
    const script = [
      "import { createRegistry } from '@keyprovider/core';",
      "import { discoverProviders } from '@keyprovider/core/node';",
      "const registry = createRegistry({ providers: await discoverProviders({ onInvalid: () => {} }) });",
      "const provider = await registry.create('InMemoryKeyProvider');",
      "const ref = await provider.createKey({ klass: 'sym', alg: 'HMAC_SHA256', uses: ['sign'], exportPolicy: 'none' });",
      "console.log(JSON.stringify({ names: registry.list(), version: ref.version }));",
    ].join("\n");
    await writeFile(join(app, "main.mjs"), script);
    const { stdout } = await promisify(execFile)(process.execPath, ["main.mjs"], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({ names: ["InMemoryKeyProvider", "inmemory"], version: 1 });
  });

  it("finds the application's package.json upward from any directory inside it", async () => {
    const deep = join(app, "test", "unit", "crypto");
    await mkdir(deep, { recursive: true });
    // A build tool's { "type": "module" } marker is not an application and is passed over.
    await mkdir(join(app, "test", "unit", "dist"), { recursive: true });
    await writeJson(join(app, "test", "unit", "package.json"), { type: "module" });
    const definitions = await discoverProviders({ cwd: deep, onInvalid: () => {} });
    expect(definitions.map((d) => d.name)).toEqual(["InMemoryKeyProvider"]);
  });

  it("refuses a directory with no package.json in it or above it", async () => {
    const lonely = await mkdtemp(join(tmpdir(), "keyprovider-no-app-"));
    try {
      // Only meaningful where the temporary directory has no package.json above it.
      const ancestors = [];
      for (let dir = lonely; dirname(dir) !== dir; dir = dirname(dir)) ancestors.push(dirname(dir));
      if (ancestors.some((dir) => existsSync(join(dir, "package.json")))) return;
      await expect(discoverProviders({ cwd: lonely })).rejects.toThrow(
        /no readable package.json in .* or above it/,
      );
    } finally {
      await rm(lonely, { recursive: true, force: true });
    }
  });

  it("refuses a nearest package.json that is not JSON instead of looking further up", async () => {
    const broken = join(app, "broken");
    await mkdir(broken, { recursive: true });
    await writeFile(join(broken, "package.json"), "{ name: broken");
    await expect(discoverProviders({ cwd: join(broken) })).rejects.toThrow(/is not a readable package.json/);
  });

  it.runIf(process.geteuid?.() === 0)(
    "refuses a package.json above the start directory that another user owns (as git does)",
    async () => {
      // Someone else's package.json in a shared ancestor (think /tmp) must not choose what gets imported.
      const shared = await mkdtemp(join(tmpdir(), "keyprovider-shared-"));
      try {
        await writeJson(join(shared, "package.json"), { name: "planted", dependencies: { evil: "*" } });
        await chown(join(shared, "package.json"), 65534, 65534);
        const mine = join(shared, "mine");
        await mkdir(mine);
        await expect(discoverProviders({ cwd: mine })).rejects.toThrow(/belongs to another user/);
        // The same file in the directory the caller named is the caller's choice.
        await expect(discoverProviders({ cwd: shared })).resolves.toEqual([]);
      } finally {
        await rm(shared, { recursive: true, force: true });
      }
    },
  );

  it("validates its options up front", async () => {
    await expect(discoverProviders({ cwd: 42 as unknown as string })).rejects.toThrow(TypeError);
    await expect(
      discoverProviders({ cwd: app, dependencyFields: ["bundledDependencies" as "dependencies"] }),
    ).rejects.toThrow(/dependencyFields/);
  });
});

describe("discoverProviders only imports code from inside installed packages", () => {
  let hardened: string;
  const definition = (name: string) =>
    `import { defineProvider } from "@keyprovider/core";\nexport default defineProvider({ name: "${name}", apiVersion: 1, create: () => ({}) });\n`;

  beforeAll(async () => {
    hardened = await mkdtemp(join(tmpdir(), "keyprovider-discovery-hardened-"));
    const outside = join(hardened, "outside");
    await mkdir(outside, { recursive: true });
    await writeFile(
      join(outside, "package.json"),
      JSON.stringify({ name: "evil", type: "module", keyprovider: { providers: { Evil: "." } } }),
    );
    await writeFile(join(outside, "index.js"), "globalThis.__keyproviderEvil = true;\nexport default {};\n");
    const appDir = join(hardened, "app");
    await mkdir(join(appDir, "node_modules", "@keyprovider"), { recursive: true });
    await symlink(join(packagesDir, "core"), join(appDir, "node_modules", "@keyprovider", "core"), "dir");
    await writeJson(join(appDir, "package.json"), {
      name: "app",
      type: "module",
      dependencies: {
        "../../outside": "*",
        "dotdot-provider": "*",
        "escaping-provider": "*",
        fs: "*",
        "main-only-provider": "*",
        "pattern-provider": "*",
      },
    });
    const install = async (
      name: string,
      manifest: Record<string, unknown>,
      files: Record<string, string>,
    ) => {
      const dir = join(appDir, "node_modules", name);
      await mkdir(join(dir, "lib"), { recursive: true });
      await writeJson(join(dir, "package.json"), { name, version: "1.0.0", type: "module", ...manifest });
      for (const [file, text] of Object.entries(files)) await writeFile(join(dir, file), text);
      return dir;
    };
    const escaping = await install(
      "escaping-provider",
      { exports: "./index.js", keyprovider: { providers: { Escaping: "." } } },
      {},
    );
    await symlink(join(outside, "index.js"), join(escaping, "index.js"));
    await install(
      "main-only-provider",
      { main: "lib/index.js", keyprovider: { providers: { MainOnly: "." } } },
      { "lib/index.js": definition("MainOnly") },
    );
    // A subpath that climbs out of its package into a neighbour, and a package named like a builtin.
    await install(
      "dotdot-provider",
      { keyprovider: { providers: { MainOnly: "./../main-only-provider/lib/index.js" } } },
      {},
    );
    await install(
      "fs",
      { main: "index.js", keyprovider: { providers: { Fs: "." } } },
      { "index.js": definition("Fs") },
    );
    await install(
      "pattern-provider",
      {
        exports: { "./providers/*": "./lib/*.js" },
        keyprovider: { providers: { Pattern: "./providers/pattern" } },
      },
      { "lib/pattern.js": definition("Pattern") },
    );
  });

  afterAll(async () => {
    await rm(hardened, { recursive: true, force: true });
  });

  it("ignores non-package dependency names, refuses symlinks out of a package, and resolves main and patterns", async () => {
    const problems: DiscoveryProblem[] = [];
    const found = await discoverProviders({ cwd: join(hardened, "app"), onInvalid: (p) => problems.push(p) });
    expect(found.map((d) => d.name)).toEqual(["MainOnly", "Pattern"]);
    expect(problems.map((p) => [p.packageName, p.reason])).toEqual([
      [
        "dotdot-provider",
        'its package.json has no import entry for "./../main-only-provider/lib/index.js" that exists inside the package',
      ],
      ["escaping-provider", 'its package.json has no import entry for "." that exists inside the package'],
      ["fs", 'its package.json has no import entry for "." that exists inside the package'],
    ]);
    expect((globalThis as { __keyproviderEvil?: boolean }).__keyproviderEvil).toBeUndefined();
  });

  it("reads only the dependency lists it is asked to", async () => {
    const found = await discoverProviders({
      cwd: join(hardened, "app"),
      dependencyFields: ["devDependencies"],
    });
    expect(found).toEqual([]);
  });
});
