import { chown, lchown, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidConfigError } from "../errors.js";
import { CONFIG_FILE_NAME, loadConfig, parseConfig } from "./config.js";

const SECRET = "s3cret-passphrase-value";
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "keyprovider-config-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh directory holding a keyprovider.config.json with `text` (a string is written as is). */
async function configDir(content: unknown, name = CONFIG_FILE_NAME): Promise<string> {
  const dir = await mkdtemp(join(root, "app-"));
  await writeFile(join(dir, name), typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return dir;
}

async function refusal(promise: Promise<unknown>): Promise<InvalidConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!InvalidConfigError.isInstance(error))
    throw new Error(`expected InvalidConfigError, got ${String(error)}`);
  return error;
}

describe("loadConfig", () => {
  it("reads the nearest keyprovider.config.json upward and replaces $env at every depth", async () => {
    const dir = await configDir({
      provider: "mirrored",
      options: {
        primary: {
          provider: "file",
          options: { directory: "keys", kek: { passphrase: { $env: "KP_PASS" } } },
        },
        secondary: { provider: "aws-kms", options: { region: { $env: "KP_REGION" } } },
        list: [{ token: { $env: "KP_TOKEN" } }],
      },
    });
    const nested = join(dir, "test", "unit");
    await mkdir(nested, { recursive: true });
    const config = await loadConfig({
      cwd: nested,
      env: { KP_PASS: SECRET, KP_REGION: "eu-west-1", KP_TOKEN: "tok" },
    });
    expect(config.provider).toBe("mirrored");
    expect(config.path).toBe(join(dir, CONFIG_FILE_NAME));
    expect(config.source).toBe(config.path);
    expect(config.options).toEqual({
      primary: { provider: "file", options: { directory: "keys", kek: { passphrase: SECRET } } },
      secondary: { provider: "aws-kms", options: { region: "eu-west-1" } },
      list: [{ token: "tok" }],
    });
  });

  it("shows itself as written, so logging a config leaks no secret", async () => {
    const dir = await configDir({ provider: "file", options: { kek: { passphrase: { $env: "KP_PASS" } } } });
    const config = await loadConfig({ cwd: dir, env: { KP_PASS: SECRET } });
    expect(JSON.stringify(config)).not.toContain(SECRET);
    expect(JSON.stringify(config)).toContain('"$env":"KP_PASS"');
    expect(inspect(config, { depth: 10 })).not.toContain(SECRET);
    expect(inspect(config, { depth: 10 })).toContain("KP_PASS");
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("takes a config without options", async () => {
    const config = await loadConfig({ cwd: await configDir({ provider: "local" }), env: {} });
    expect([config.provider, config.options]).toEqual(["local", undefined]);
  });

  it("reads { path } first, then KEYPROVIDER_CONFIG, then looks upward", async () => {
    const upward = await configDir({ provider: "upward" });
    const named = await configDir({ provider: "named" }, "named.json");
    const explicit = await configDir({ provider: "explicit" }, "explicit.json");
    const env = { KEYPROVIDER_CONFIG: join(named, "named.json") };
    expect((await loadConfig({ cwd: upward, env: {} })).provider).toBe("upward");
    expect((await loadConfig({ cwd: upward, env })).provider).toBe("named");
    expect((await loadConfig({ cwd: upward, env, path: join(explicit, "explicit.json") })).provider).toBe(
      "explicit",
    );
    // Relative paths are relative to cwd.
    expect((await loadConfig({ cwd: explicit, path: "explicit.json", env: {} })).provider).toBe("explicit");
    expect((await loadConfig({ cwd: named, env: { KEYPROVIDER_CONFIG: "named.json" } })).provider).toBe(
      "named",
    );
  });

  it("says how to make a config when there is none", async () => {
    const empty = await mkdtemp(join(root, "empty-"));
    const error = await refusal(loadConfig({ cwd: empty, env: {} }));
    if (error.source !== empty) return; // a keyprovider.config.json above the temporary directory
    expect(error.reason).toBe("not_found");
    expect(error.message).toContain("KEYPROVIDER_CONFIG");
    const missing = await refusal(loadConfig({ cwd: empty, path: "nope.json", env: {} }));
    expect([missing.reason, missing.source]).toEqual(["not_found", join(empty, "nope.json")]);
    expect(missing.message).toContain("ENOENT");
    const named = await refusal(loadConfig({ cwd: empty, env: { KEYPROVIDER_CONFIG: "gone.json" } }));
    expect(named.message).toMatch(/ENOENT\), named by KEYPROVIDER_CONFIG$/);
  });

  it("refuses invalid JSON with where, never with what the text says", async () => {
    const dir = await configDir(
      `{\n  "provider": "file",\n  "options": { "kek": { "passphrase": ${SECRET} } }\n}`,
    );
    const error = await refusal(loadConfig({ cwd: dir, env: {} }));
    expect(error.reason).toBe("invalid_json");
    expect(error.source).toBe(join(dir, CONFIG_FILE_NAME));
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain(SECRET.slice(2, 8));
    expect(error.cause).toBeUndefined();
    expect(inspect(error)).not.toContain(SECRET.slice(2, 8));

    const trailing = await refusal(loadConfig({ cwd: await configDir('{\n  "provider": "x",\n}'), env: {} }));
    expect(trailing.message).toMatch(/is not valid JSON at line 3, column 1$/);
    const truncated = await refusal(loadConfig({ cwd: await configDir('{ "provider": '), env: {} }));
    expect(truncated.message).toMatch(/ends too early/);
  });

  it("accepts a byte order mark", async () => {
    const config = await loadConfig({ cwd: await configDir('\uFEFF{ "provider": "local" }'), env: {} });
    expect(config.provider).toBe("local");
  });

  it("refuses a literal secret with the member's path, pointing at $env", async () => {
    const dir = await configDir({
      provider: "mirrored",
      options: { primary: { provider: "file", options: { kek: { passphrase: SECRET } } } },
    });
    const error = await refusal(loadConfig({ cwd: dir, env: {} }));
    expect(error.reason).toBe("literal_secret");
    expect(error.member).toBe("options.primary.options.kek.passphrase");
    expect(error.message).toContain("options.primary.options.kek.passphrase");
    expect(error.message).toContain("$env");
    expect(error.message).not.toContain(SECRET);
  });

  it("names every missing or empty variable and the member it is for, never a value", async () => {
    const dir = await configDir({
      provider: "file",
      options: {
        kek: { passphrase: { $env: "KP_MISSING" } },
        directory: { $env: "KP_EMPTY" },
        x: { $env: "KP_SET" },
      },
    });
    const error = await refusal(loadConfig({ cwd: dir, env: { KP_EMPTY: "", KP_SET: SECRET } }));
    expect(error.reason).toBe("missing_env");
    expect(error.member).toBe("options.kek.passphrase");
    expect(error.message).toContain("KP_MISSING (for options.kek.passphrase)");
    expect(error.message).toContain("KP_EMPTY (for options.directory)");
    expect(error.message).not.toContain(SECRET);
  });

  it("reads process.env by default", async () => {
    const dir = await configDir({ provider: "file", options: { directory: { $env: "KP_CONFIG_TEST_DIR" } } });
    process.env["KP_CONFIG_TEST_DIR"] = "/var/keys";
    try {
      expect((await loadConfig({ cwd: dir })).options).toEqual({ directory: "/var/keys" });
    } finally {
      delete process.env["KP_CONFIG_TEST_DIR"];
    }
  });

  it.each([
    [[], "", /must be a JSON object/],
    [{ options: {} }, "provider", /must be the name of a provider/],
    [{ provider: 1 }, "provider", /must be the name of a provider/],
    [{ provider: "" }, "provider", /must be the name of a provider/],
    [{ provider: "x", options: [] }, "options", /must be a JSON object/],
    [{ provider: "x", option: {} }, "option", /is not a configuration member/],
    [{ provider: "x", options: { a: { $env: "A", b: 1 } } }, "options.a", /exactly that one member/],
    [{ provider: "x", options: { a: { $env: 1 } } }, "options.a", /\$env/],
    [{ provider: "x", options: { a: [{ $env: "NOT-A-NAME" }] } }, "options.a[0]", /\$env/],
  ])("refuses the wrong shape %j at %s", async (document, member, message) => {
    const error = await refusal(loadConfig({ cwd: await configDir(document), env: { A: "a" } }));
    expect(error.reason).toBe("invalid_shape");
    expect(error.member).toBe(member);
    expect(error.message).toMatch(message);
  });

  it("refuses absurd nesting instead of overflowing the stack", async () => {
    const deep = `${'{"a":'.repeat(200)}1${"}".repeat(200)}`;
    const error = await refusal(
      loadConfig({ cwd: await configDir(`{"provider":"x","options":${deep}}`), env: {} }),
    );
    expect(error.reason).toBe("invalid_shape");
  });

  it.runIf(process.geteuid?.() === 0)(
    "refuses a config above cwd that another user owns, unless it is named",
    async () => {
      const shared = await configDir({
        provider: "planted",
        options: { url: { $env: "AWS_SECRET_ACCESS_KEY" } },
      });
      await chown(join(shared, CONFIG_FILE_NAME), 65534, 65534);
      const app = join(shared, "app");
      await mkdir(app);
      const error = await refusal(loadConfig({ cwd: app, env: {} }));
      expect(error.reason).toBe("untrusted");
      expect(error.message).toContain("belongs to another user");
      // Nor through a link that someone else planted, whatever it points at.
      const linked = await mkdtemp(join(root, "linked-"));
      const real = await configDir({ provider: "mine" });
      await symlink(join(real, CONFIG_FILE_NAME), join(linked, CONFIG_FILE_NAME));
      await lchown(join(linked, CONFIG_FILE_NAME), 65534, 65534);
      await mkdir(join(linked, "app"));
      expect((await refusal(loadConfig({ cwd: join(linked, "app"), env: {} }))).reason).toBe("untrusted");
      const named = await loadConfig({
        cwd: app,
        path: join(shared, CONFIG_FILE_NAME),
        env: { AWS_SECRET_ACCESS_KEY: "x" },
      });
      expect(named.provider).toBe("planted");
    },
  );

  it("checks its options' types", async () => {
    await expect(loadConfig({ cwd: 1 as unknown as string })).rejects.toThrow(TypeError);
    await expect(loadConfig({ path: {} as unknown as string })).rejects.toThrow(TypeError);
    await expect(loadConfig({ env: "x" as unknown as Record<string, string> })).rejects.toThrow(TypeError);
  });
});

describe("parseConfig", () => {
  it("checks and resolves a document given in memory, under the caller's label", () => {
    const config = parseConfig(
      { provider: "file", options: { kek: { passphrase: { $env: "KP_PASS" } } } },
      { source: "--options", env: { KP_PASS: SECRET } },
    );
    expect(config.options).toEqual({ kek: { passphrase: SECRET } });
    expect([config.source, config.path]).toEqual(["--options", undefined]);
    const error = (() => {
      try {
        parseConfig({ provider: "file", options: { kek: { passphrase: SECRET } } }, { source: "--options" });
      } catch (e) {
        return e as InvalidConfigError;
      }
      return undefined;
    })();
    expect(error?.message).toMatch(/^options\.kek\.passphrase in --options is a literal secret/);
    expect(() => parseConfig({ provider: "x" }, undefined as unknown as { source: string })).toThrow(
      TypeError,
    );
  });
});
