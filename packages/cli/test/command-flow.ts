// The behaviour of the keyprovider command that every provider and every way of running it share:
// the create → rotate → versions → jwks → sign → verify → destroy flow with --json checked at each
// step, secrets kept out of every output, and configurations refused with a message naming the fix.
// Run in-process against a test provider (src/run.test.ts) and as a child process of an installed
// application against the real persisting providers (test/packed-app.test.ts).
import { readdir, readFile, stat, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { FIRST_PARTY_PROVIDERS, type Jwks, type PublicJwk } from "@keyprovider/core";
import { compactVerify, createLocalJWKSet } from "jose";
import { describe, expect, it } from "vitest";

/** What one run of the command gave. */
export interface CommandResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Bytes for stdin (`sign` and `verify` without `--in`). */
  readonly stdin?: Uint8Array | string;
  /** Default: the application's directory. */
  readonly cwd?: string;
  /** The environment; the runner adds nothing secret of its own. */
  readonly env?: Readonly<Record<string, string>>;
}

export type RunCommand = (args: readonly string[], options?: RunOptions) => Promise<CommandResult>;

/** Run, and parse the one JSON document on stdout of a run that must succeed. */
export async function runJson<T>(run: RunCommand, args: readonly string[], options?: RunOptions): Promise<T> {
  const result = await run([...args, "--json"], options);
  expect(result, `keyprovider ${args.join(" ")}`).toMatchObject({ status: 0, stderr: "" });
  return JSON.parse(result.stdout) as T;
}

/** The typed error of a run that must fail with status 1, from its --json stderr. */
export async function runError(
  run: RunCommand,
  args: readonly string[],
  options?: RunOptions,
): Promise<{ code: string; message: string; [field: string]: unknown }> {
  const result = await run([...args, "--json"], options);
  expect(result.status, `keyprovider ${args.join(" ")}: ${result.stderr}`).toBe(1);
  expect(result.stdout).toBe("");
  const lines = result.stderr.trim().split("\n");
  return (JSON.parse(lines[lines.length - 1]!) as { error: { code: string; message: string } }).error;
}

interface KeyJson {
  kid: string;
  version: number;
  jwkKid: string;
  status: string;
  alg: string;
  jose: string;
  label?: string;
  tags: Record<string, string>;
  fingerprint: string;
}

export interface CommandFlowOptions {
  readonly run: RunCommand;
  /** The global options that select the provider (`--provider …`), or [] to use the app's config. */
  readonly select: () => readonly string[];
  /** Where `--in` and `--out` paths are relative to: the application's directory. */
  readonly appDir: () => string;
  /** The environment every run gets. */
  readonly env?: () => Readonly<Record<string, string>>;
  /** JOSE names of the signing algorithms to take through the whole flow. */
  readonly algorithms: readonly string[];
  /** Whether the provider can hand out secrets (`secret_when_allowed`); KMS cannot. */
  readonly exportsSecrets: boolean;
  /** Secrets of the setup (a passphrase, credentials) that no output may show either. */
  readonly secrets?: () => readonly string[];
}

const encoder = new TextEncoder();
const b64url = (value: string | Uint8Array) =>
  Buffer.from(typeof value === "string" ? encoder.encode(value) : value).toString("base64url");

/**
 * Register the flow tests. Every output of every run is recorded, and checked at the end against
 * the secrets of the exportable keys the flow created.
 */
export function describeCommandFlow(name: string, options: CommandFlowOptions): void {
  const outputs: string[] = [];
  const secrets: string[] = [];
  const unrecorded: RunCommand = (args, runOptions) =>
    options.run([...args, ...options.select()], {
      cwd: options.appDir(),
      ...(options.env === undefined ? {} : { env: options.env() }),
      ...runOptions,
    });
  const run: RunCommand = async (args, runOptions) => {
    const result = await unrecorded(args, runOptions);
    outputs.push(result.stdout, result.stderr);
    return result;
  };

  describe(`${name}: every command, with --json`, () => {
    it.each(options.algorithms)(
      "%s: create, rotate, stage, versions, keys, jwk, jwks --out, sign, verify, activate, destroy",
      async (jose) => {
        const created = await runJson<KeyJson>(run, [
          "create",
          "--alg",
          jose,
          "--label",
          "cli flow",
          "--tag",
          "team=id",
        ]);
        expect(created).toMatchObject({ version: 1, status: "primary", jose, label: "cli flow" });
        expect(created.tags).toMatchObject({ team: "id", label: "cli flow" });
        expect(created.jwkKid).toBe(`${created.kid}.1`);
        const { kid } = created;

        const rotated = await runJson<KeyJson>(run, ["rotate", kid]);
        expect([rotated.version, rotated.status]).toEqual([2, "primary"]);
        const staged = await runJson<KeyJson>(run, ["rotate", kid, "--stage"]);
        expect([staged.version, staged.status]).toEqual([3, "staged"]);

        const listed = await runJson<{ kid: string; primary: number; versions: KeyJson[] }>(run, [
          "versions",
          kid,
        ]);
        expect(listed.primary).toBe(2);
        expect(listed.versions.map((v) => [v.version, v.status, v.jose])).toEqual([
          [1, "active", jose],
          [2, "primary", jose],
          [3, "staged", jose],
        ]);
        const table = await run(["versions", kid]);
        expect(table.stdout).toMatch(/^VERSION\s+STATUS\s+ALG\s+JWK KID\s+FINGERPRINT\n1\s+active\s/);

        const { keys } = await runJson<{
          keys: { kid: string; primary: number; versions: number[]; label?: string }[];
        }>(run, ["keys", "--prefix", kid.slice(0, 6)]);
        expect(keys.find((key) => key.kid === kid)).toMatchObject({
          primary: 2,
          versions: [1, 2, 3],
          label: "cli flow",
        });

        // Published: the primary and the staged version; with --all-versions every live one.
        const published = await runJson<Jwks>(run, ["jwks", "--prefix", kid]);
        expect(published.keys.map((key) => key.kid)).toEqual([`${kid}.2`, `${kid}.3`]);
        const every = await runJson<Jwks>(run, ["jwks", "--all-versions", "--prefix", kid]);
        expect(every.keys.map((key) => key.kid)).toEqual([`${kid}.1`, `${kid}.2`, `${kid}.3`]);
        const jwk = await runJson<PublicJwk & { d?: string }>(run, ["jwk", kid]);
        expect(jwk).toMatchObject({ kid: `${kid}.2`, alg: jose });
        expect(jwk.d).toBeUndefined();
        expect((await runJson<PublicJwk>(run, ["jwk", `${kid}.1`])).kid).toBe(`${kid}.1`);

        // --out: written whole through a rename, 0644, nothing left beside it; a second run replaces it.
        await mkdir(join(options.appDir(), "public"), { recursive: true });
        const out = join("public", `jwks-${kid}.json`);
        const written = await runJson<{ out: string; keys: string[] }>(run, [
          "jwks",
          "--all-versions",
          "--out",
          out,
        ]);
        expect(written.out).toBe(join(options.appDir(), out));
        const file = JSON.parse(await readFile(written.out, "utf8")) as Jwks;
        expect(file.keys.filter((key) => key.kid.startsWith(`${kid}.`))).toEqual(every.keys);
        expect((await stat(written.out)).mode & 0o777).toBe(0o644);
        await run(["jwks", "--out", out]);
        expect((await readdir(join(options.appDir(), "public"))).filter((f) => f.endsWith(".tmp"))).toEqual(
          [],
        );

        // sign: the JOSE form over the bytes given, so it completes a JWS that jose verifies.
        const signingInput = `${b64url(JSON.stringify({ alg: jose, kid: `${kid}.2` }))}.${b64url('{"sub":"cli"}')}`;
        await writeFile(join(options.appDir(), `input-${kid}.txt`), signingInput);
        const signed = await runJson<{
          kid: string;
          version: number;
          jwkKid: string;
          jose: string;
          signature: string;
        }>(run, ["sign", kid, "--in", `input-${kid}.txt`]);
        expect(signed).toMatchObject({ kid, version: 2, jwkKid: `${kid}.2`, jose });
        const verified = await compactVerify(`${signingInput}.${signed.signature}`, createLocalJWKSet(every));
        expect(new TextDecoder().decode(verified.payload)).toBe('{"sub":"cli"}');

        // From stdin, as plain text: only the signature and a newline.
        const piped = await run(["sign", kid], { stdin: signingInput });
        expect(piped).toMatchObject({ status: 0, stderr: "" });
        expect(piped.stdout).toMatch(/^[A-Za-z0-9_-]+\n$/);
        await compactVerify(`${signingInput}.${piped.stdout.trim()}`, createLocalJWKSet(every));

        const good = await run([
          "verify",
          kid,
          "--signature",
          signed.signature,
          "--in",
          `input-${kid}.txt`,
          "--json",
        ]);
        expect(good, "verify").toMatchObject({ status: 0, stderr: "" });
        expect(JSON.parse(good.stdout)).toEqual({ kid, version: 2, jwkKid: `${kid}.2`, valid: true });
        const bad = await run(["verify", kid, "--signature", signed.signature], {
          stdin: `${signingInput}x`,
        });
        expect([bad.status, bad.stdout]).toEqual([3, `The signature does NOT verify with ${kid}.2.\n`]);
        const older = await run([
          "verify",
          `${kid}.1`,
          "--signature",
          signed.signature,
          "--in",
          `input-${kid}.txt`,
        ]);
        expect(older.status).toBe(3);

        const activated = await runJson<KeyJson>(run, ["activate", kid, "--version", "3"]);
        expect([activated.version, activated.status]).toEqual([3, "primary"]);
        expect((await runJson<{ version: number }>(run, ["sign", kid], { stdin: "m" })).version).toBe(3);

        const unconfirmed = await run(["destroy", kid, "--version", "1"]);
        expect(unconfirmed.status).toBe(2);
        expect(unconfirmed.stderr).toContain("--yes");
        expect((await runJson<{ versions: KeyJson[] }>(run, ["versions", kid])).versions).toHaveLength(3);
        expect(await runJson(run, ["destroy", kid, "--version", "1", "--yes"])).toEqual({
          kid,
          version: 1,
          destroyed: true,
        });
        expect(
          (await runJson<{ versions: KeyJson[] }>(run, ["versions", kid])).versions.map((v) => v.version),
        ).toEqual([2, 3]);
        expect(await runJson(run, ["destroy", `${kid}`, "--yes"])).toEqual({
          kid,
          version: null,
          destroyed: true,
        });
        expect((await runError(run, ["versions", kid])).code).toBe("ERR_KEY_NOT_FOUND");
        expect((await runError(run, ["destroy", kid, "--yes"])).code).toBe("ERR_KEY_NOT_FOUND");
        const remaining = await runJson<{ keys: { kid: string }[] }>(run, ["keys"]);
        expect(remaining.keys.map((key) => key.kid)).not.toContain(kid);
      },
    );

    it("human output: a key as aligned name/value lines, keys as a table", async () => {
      const created = await run(["create", "--alg", options.algorithms[0]!]);
      expect(created.status).toBe(0);
      const kid = /^kid\s+(\S+)$/m.exec(created.stdout)?.[1];
      expect(kid).toBeDefined();
      expect(created.stdout).toMatch(/^version\s+1 \(primary\)$/m);
      expect(created.stdout).toMatch(/^fingerprint\s+\S+$/m);
      const listed = await run(["keys", "--prefix", kid!]);
      expect(listed.stdout).toMatch(
        new RegExp(`^KID\\s+ALG\\s+PRIMARY\\s+VERSIONS\\s+LABEL\\n${kid}\\s+\\S+\\s+1\\s+1\\n$`),
      );
      expect((await run(["destroy", kid!, "--yes"])).stdout).toBe(`Destroyed ${kid} (every version).\n`);
    });

    it("errors: a typed code and message on stderr, exit 1; --json puts them in one JSON line", async () => {
      const plain = await run(["versions", "no-such-kid"]);
      expect(plain.status).toBe(1);
      expect(plain.stdout).toBe("");
      expect(plain.stderr).toMatch(/^keyprovider: ERR_KEY_NOT_FOUND: .*no-such-kid/);
      expect(await runError(run, ["jwk", "no-such-kid.4"])).toMatchObject({
        code: "ERR_KEY_NOT_FOUND",
        kid: "no-such-kid",
        version: 4,
      });
      // A kid that could reach a path or an API call is not found before any I/O.
      expect((await runError(run, ["versions", "../../etc/passwd"])).code).toBe("ERR_KEY_NOT_FOUND");
    });

    if (options.exportsSecrets) {
      it("jwk --private prints the private JWK of an exportable key, and nothing else prints a secret", async () => {
        for (const [jose, member] of [
          [options.algorithms[0]!, "d"],
          ["HS256", "k"],
        ] as const) {
          const { kid } = await runJson<KeyJson>(run, [
            "create",
            "--alg",
            jose,
            "--export-policy",
            "secret_when_allowed",
          ]);
          // The one output that holds the secret, so it is not recorded.
          const exported = await runJson<Record<string, string>>(unrecorded, ["jwk", kid, "--private"]);
          expect(typeof exported[member]).toBe("string");
          const secret = Buffer.from(exported[member]!, "base64url");
          secrets.push(secret.toString("base64url"), secret.toString("base64"), secret.toString("hex"));
          await run(["rotate", kid]);
          await run(["versions", kid]);
          await run(["versions", kid, "--json"]);
          await run(["keys"]);
          await run(["jwks", "--all-versions"]);
          await run(["jwk", kid]);
          await run(["jwk", kid, "--json"]);
          await run(["sign", kid], { stdin: "message" });
          await run(["destroy", kid, "--yes"]);
        }
      });
    } else {
      it("refuses jwk --private: the secret never leaves the provider", async () => {
        const { kid } = await runJson<KeyJson>(run, ["create", "--alg", options.algorithms[0]!]);
        expect(["ERR_EXPORT_NOT_ALLOWED", "ERR_NOT_SUPPORTED"]).toContain(
          (await runError(run, ["jwk", kid, "--private"])).code,
        );
        await run(["destroy", kid, "--yes"]);
      });
    }

    it("printed no secret of any exportable key it created, in any output or error", () => {
      expect(outputs.length).toBeGreaterThan(0);
      expect(secrets.length).toBe(options.exportsSecrets ? 6 : 0);
      for (const secret of [...secrets, ...(options.secrets?.() ?? [])]) {
        for (const output of outputs) expect(output.includes(secret), "an output holds a secret").toBe(false);
      }
    });
  });
}

export interface BadConfigOptions {
  readonly run: RunCommand;
  /** An application directory with providers installed (local among them) and no config file. */
  readonly appDir: () => string;
  /** A directory outside the application to write config files in. */
  readonly configDir: () => string;
  /** The provider names installed in the application. */
  readonly installed: readonly string[];
}

/** Configurations that cannot work are refused, each with a message that names the fix. */
export function describeBadConfig(name: string, options: BadConfigOptions): void {
  const SECRET = "correct-horse-battery-staple";
  const run: RunCommand = (args, runOptions) =>
    options.run(args, { cwd: options.appDir(), env: {}, ...runOptions });
  const config = async (file: string, content: unknown): Promise<string> => {
    const path = join(options.configDir(), file);
    await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
    return path;
  };
  const refused = async (args: readonly string[], runOptions?: RunOptions) => {
    const plain = await run(args, runOptions);
    expect(plain.status, plain.stderr).toBe(1);
    expect(plain.stdout).toBe("");
    expect(plain.stderr).not.toContain(SECRET);
    const error = await runError(run, args, runOptions);
    expect(error.message).not.toContain(SECRET);
    return { ...error, stderr: plain.stderr };
  };

  describe(`${name}: a configuration that cannot work is refused with the fix`, () => {
    it("no config file: says how to write one", async () => {
      const error = await refused(["keys"]);
      expect(error).toMatchObject({ code: "ERR_INVALID_CONFIG", reason: "not_found" });
      expect(error.message).toContain("keyprovider.config.json");
      expect(error.message).toContain('"provider"');
    });

    it("--config naming a file that is not there: names the path", async () => {
      const error = await refused(["keys", "--config", "nowhere/keyprovider.config.json"]);
      expect(error).toMatchObject({ code: "ERR_INVALID_CONFIG", reason: "not_found" });
      expect(error.message).toContain(join(options.appDir(), "nowhere/keyprovider.config.json"));
    });

    it("an unknown provider: lists the installed ones; a first-party one names its package", async () => {
      const error = await refused(["keys", "--provider", "nosuch"]);
      expect(error.code).toBe("ERR_PROVIDER_NOT_FOUND");
      for (const installed of options.installed) expect(error.message).toContain(installed);
      const missing = FIRST_PARTY_PROVIDERS.find(
        (provider) =>
          !options.installed.includes(provider.name) && !options.installed.includes(provider.aliases[0]!),
      );
      if (missing !== undefined) {
        const path = await config("missing.json", { provider: missing.aliases[0] });
        const named = await refused(["keys", "--config", path]);
        expect(named).toMatchObject({ code: "ERR_PROVIDER_NOT_FOUND", packageName: missing.packageName });
        expect(named.message).toContain(missing.packageName);
      }
    });

    it("a variable the config reads that is not set: names it and the member", async () => {
      const path = await config("env.json", {
        provider: "local",
        options: { kek: { passphrase: { $env: "KP_CLI_UNSET" } } },
      });
      const error = await refused(["keys", "--config", path]);
      expect(error).toMatchObject({ code: "ERR_INVALID_CONFIG", reason: "missing_env" });
      expect(error.message).toContain("KP_CLI_UNSET (for options.kek.passphrase)");
    });

    it("a literal secret in the file: refused without showing it, pointing at $env", async () => {
      const path = await config("literal.json", {
        provider: "local",
        options: { kek: { passphrase: SECRET } },
      });
      const error = await refused(["keys", "--config", path]);
      expect(error).toMatchObject({
        code: "ERR_INVALID_CONFIG",
        reason: "literal_secret",
        member: "options.kek.passphrase",
      });
      expect(error.message).toContain('{ "$env": "VARIABLE_NAME" }');
    });

    it("a literal secret in --options: the same refusal (DESIGN §7.8), for every command", async () => {
      for (const command of [["keys"], ["providers"], ["create", "--alg", "ES256"]]) {
        const error = await refused([
          ...command,
          "--provider",
          "local",
          "--options",
          JSON.stringify({ secretAccessKey: SECRET }),
        ]);
        expect(error).toMatchObject({
          code: "ERR_INVALID_CONFIG",
          reason: "literal_secret",
          source: "--options",
        });
        expect(error.message).toContain("$env");
      }
    });

    it("a file that is not JSON: says where; --options that is not JSON: repeats none of it", async () => {
      const path = await config(
        "broken.json",
        `{ "provider": "local",\n  "options": { "kek": "${SECRET}" }, }`,
      );
      const error = await refused(["keys", "--config", path]);
      expect(error).toMatchObject({ code: "ERR_INVALID_CONFIG", reason: "invalid_json" });
      expect(error.message).toContain(`${path} is not valid JSON at line 2`);
      const inline = await refused([
        "keys",
        "--provider",
        "local",
        "--options",
        `{"passphrase": "${SECRET}"`,
      ]);
      expect(inline).toMatchObject({
        code: "ERR_INVALID_CONFIG",
        reason: "invalid_json",
        source: "--options",
      });
      expect(inline.message).toContain("--options '{");
    });

    it("an option the provider does not know: names it and the known ones", async () => {
      const path = await config("unknown-option.json", {
        provider: "local",
        options: { regoin: "eu-west-1" },
      });
      const error = await refused(["keys", "--config", path]);
      expect(error).toMatchObject({ code: "ERR_INVALID_CONFIG", reason: "invalid_shape", source: path });
      expect(error.message).toMatch(/regoin.*known/);
    });

    it("a member the config format does not have: names the two it has", async () => {
      const path = await config("member.json", { provider: "local", option: {} });
      const error = await refused(["keys", "--config", path]);
      expect(error).toMatchObject({ code: "ERR_INVALID_CONFIG", reason: "invalid_shape" });
      expect(error.message).toContain('only "provider" and "options" are');
    });

    it("a provider that keeps keys in memory: refused for every command but providers, naming file and aws-kms", async () => {
      for (const provider of ["local", "inmemory"]) {
        for (const command of [["keys"], ["create", "--alg", "HS256"], ["sign", "abc", "--in", "x"]]) {
          const error = await refused([...command, "--provider", provider]);
          expect(error.code).toBe("ERR_NOT_SUPPORTED");
          expect(error.message).toContain("keeps keys in memory");
          expect(error.message).toContain('"file" (@keyprovider/file');
          expect(error.message).toContain('"aws-kms" (@keyprovider/aws-kms)');
        }
      }
      const path = await config("volatile.json", { provider: "local" });
      expect((await refused(["keys"], { env: { KEYPROVIDER_CONFIG: path } })).message).toContain(
        "keeps keys in memory",
      );
      expect((await run(["providers", "--config", path])).status).toBe(0);
    });
  });
}
