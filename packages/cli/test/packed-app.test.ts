// The keyprovider bin as a user runs it: the packed tarballs (core, base, inmemory, local, cli, and
// the persisting providers file and aws-kms where the workspace has them) installed by npm into an
// application in a temporary directory outside the workspace, each command a child process.
// Packing and installing happen once for the whole file.
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  cleanEnv,
  npmApplicationManifest,
  npmInstall,
  packWorkspacePackages,
  spawnCollect,
  workspaceRoot,
  writeJson,
} from "@keyprovider/repo-tools/packed";
import { startKmsTestEndpoint, type KmsTestEndpoint } from "@keyprovider/kms-test-endpoint";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeBadConfig, describeCommandFlow, runJson, type RunCommand } from "./command-flow.js";

/** The persisting providers, tested once their packages are in the workspace. */
const has = (dir: string) => existsSync(join(workspaceRoot, "packages", dir, "package.json"));
const FILE = has("file");
const AWS_KMS = has("aws-kms");
const PACKED = [
  "core",
  "base",
  "inmemory",
  "local",
  "cli",
  ...(FILE ? ["file"] : []),
  ...(AWS_KMS ? ["aws-kms"] : []),
];

function awsSdkVersion(): string {
  const manifest = JSON.parse(readFileSync(join(workspaceRoot, "packages/aws-kms/package.json"), "utf8")) as {
    devDependencies: Record<string, string>;
  };
  return manifest.devDependencies["@aws-sdk/client-kms"]!;
}

let scratch: string;
let app: string;

beforeAll(async () => {
  for (const name of PACKED) {
    if (!existsSync(join(workspaceRoot, "packages", name, "dist"))) {
      throw new Error(`packages/${name} is not built: run \`pnpm build\` before this test`);
    }
  }
  scratch = await realpath(await mkdtemp(join(tmpdir(), "keyprovider-cli-packed-")));
  const tarballs = await packWorkspacePackages(PACKED, join(scratch, "tarballs"));
  app = join(scratch, "app");
  // aws-kms takes the AWS SDK as a peer dependency: the application installs the version the workspace tests.
  const sdk = AWS_KMS ? { "@aws-sdk/client-kms": awsSdkVersion() } : {};
  await writeJson(join(app, "package.json"), npmApplicationManifest("cli-app", tarballs, sdk));
  await npmInstall(app);
  await mkdir(join(scratch, "configs"));
}, 300_000);

afterAll(async () => {
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

/** The installed bin, run directly: its shebang and mode are part of what is tested. */
const run: RunCommand = (args, options = {}) =>
  spawnCollect(join(app, "node_modules", ".bin", "keyprovider"), args, {
    cwd: options.cwd ?? app,
    env: { ...baseEnv, ...options.env },
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
  });

/** Nothing of this process's own keyprovider or AWS configuration leaks into the command's. */
const baseEnv = Object.fromEntries(
  Object.entries(cleanEnv()).filter(([name]) => name !== "KEYPROVIDER_CONFIG" && !name.startsWith("AWS_")),
);

describe("the installed keyprovider bin", () => {
  it("prints its version and help", async () => {
    const { version } = JSON.parse(
      await readFile(join(app, "node_modules/@keyprovider/cli/package.json"), "utf8"),
    ) as {
      version: string;
    };
    expect(await run(["--version"])).toEqual({ status: 0, stdout: `keyprovider ${version}\n`, stderr: "" });
    const help = await run(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: keyprovider <command> [options]");
  });

  it("lists the providers the application installed, with their packages", async () => {
    const { providers } = await runJson<{
      providers: { name: string; package: string; features: string[] | null }[];
    }>(
      run,
      ["providers"],
      { cwd: join(app, "node_modules") }, // anywhere below the application
    );
    const expected = [
      ...(AWS_KMS ? [["AwsKmsKeyProvider", "@keyprovider/aws-kms"]] : []),
      ...(FILE ? [["FileKeyProvider", "@keyprovider/file"]] : []),
      ["InMemoryKeyProvider", "@keyprovider/inmemory"],
      ["LocalKeyProvider", "@keyprovider/local"],
    ];
    expect(providers.map((p) => [p.name, p.package])).toEqual(expected);
    expect(providers.find((p) => p.name === "LocalKeyProvider")?.features).toContain("jwks");
  });

  it("exits 2 with the usage for a command line it cannot run", async () => {
    const result = await run(["rotate"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("Usage: keyprovider rotate <kid>");
  });
});

describeBadConfig("installed", {
  run,
  appDir: () => app,
  configDir: () => join(scratch, "configs"),
  installed: [
    "InMemoryKeyProvider",
    "LocalKeyProvider",
    ...(FILE ? ["FileKeyProvider"] : []),
    ...(AWS_KMS ? ["AwsKmsKeyProvider"] : []),
  ],
});

describe.skipIf(!FILE)("FileKeyProvider through the installed bin", () => {
  const passphrase = "file-store passphrase for the cli test";
  let config: string;
  beforeAll(async () => {
    config = join(scratch, "configs", "file.json");
    await writeJson(config, {
      provider: "file",
      // Every command opens the store, so scrypt runs once per process: its floor keeps the test quick.
      options: {
        directory: join(scratch, "file-keys"),
        kek: { passphrase: { $env: "KP_FILE_PASSPHRASE" }, scrypt: { N: 2 ** 15 } },
      },
    });
  });
  describeCommandFlow("file", {
    run,
    select: () => ["--config", config],
    appDir: () => app,
    env: () => ({ KP_FILE_PASSPHRASE: passphrase }),
    algorithms: ["ES256", "EdDSA", "RS256"],
    exportsSecrets: true,
    secrets: () => [passphrase],
  });
});

describe.skipIf(!AWS_KMS)(
  "AwsKmsKeyProvider through the installed bin, against the KMS test endpoint",
  () => {
    let endpoint: KmsTestEndpoint;
    beforeAll(async () => {
      endpoint = await startKmsTestEndpoint();
    });
    afterAll(async () => endpoint?.close());
    const secretAccessKey = "kms test secret access key";
    describeCommandFlow("aws-kms", {
      run,
      select: () => [
        "--provider",
        "aws-kms",
        "--options",
        JSON.stringify({ region: endpoint.region, endpoint: endpoint.endpoint }),
      ],
      appDir: () => app,
      // The SDK's own credential chain reads these; they never pass through the command line. Its
      // notice that later versions need Node 22 would be the only line on stderr, so it is off.
      env: () => ({
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: secretAccessKey,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      }),
      algorithms: ["ES256", "EdDSA", "RS256"],
      exportsSecrets: false,
      secrets: () => [secretAccessKey],
    });
  },
);
