import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import {
  KeyNotFoundError,
  PROVIDER_API_VERSION,
  ProviderUnavailableError,
  createRegistry,
  defineProvider,
  type KeyProvider,
} from "@keyprovider/core";
import { mergeJwks } from "@keyprovider/base";
import awsKms from "@keyprovider/aws-kms";
import file from "@keyprovider/file";
import inmemory from "@keyprovider/inmemory";
import { createJwksHandler } from "@keyprovider/jwks-http";
import { signJwt, verifyJwt } from "@keyprovider/jwt";
import local from "@keyprovider/local";
import mirrored from "@keyprovider/mirrored";
import remoteJwks, { type RemoteJwksKeyProvider } from "@keyprovider/remote-jwks";
import { jwtVerify } from "jose";

/**
 * The providers by name, as an application's configuration file would name them. The KMS endpoint
 * is filled in at run time: `KMS_ENDPOINT` if set, else the project's KMS test endpoint, started here.
 * The key store's KEK comes from the environment variable named by `store.kekEnv` (64 hex
 * characters); without it, the demo makes a throwaway one for its throwaway store.
 */
export const CONFIG = {
  issuer: { provider: "local" },
  // A mirror whose primary sits behind a simulated region outage (the demo's own provider, below).
  mirror: {
    provider: "mirrored",
    options: {
      primary: { provider: "outage", options: { provider: "local" } },
      secondary: { provider: "LocalKeyProvider" },
    },
  },
  kms: { provider: "aws-kms", options: { region: "us-east-1", aliasPrefix: "quickstart" } },
  store: { provider: "file", kekEnv: "KEYPROVIDER_KEK" },
} as const;

/** One line per step: what was checked, and how long it took. */
export interface StepResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

interface Endpoint {
  readonly url: string;
  close(): Promise<void>;
}

/** A KMS API endpoint: `KMS_ENDPOINT`, or the project's test endpoint on 127.0.0.1. */
async function kmsEndpoint(): Promise<Endpoint & { readonly kind: string }> {
  const configured = process.env["KMS_ENDPOINT"];
  if (configured !== undefined && configured !== "") {
    return { kind: "KMS_ENDPOINT", url: configured, close: async () => {} };
  }
  const { startKmsTestEndpoint } = await import("@keyprovider/kms-test-endpoint/dist");
  const kms = await startKmsTestEndpoint();
  return { kind: "the KMS test endpoint", url: kms.endpoint, close: () => kms.close() };
}

/** An OIDC issuer on 127.0.0.1: discovery document and JWKS, served by jwks-http. */
async function serveIssuer(set: Pick<KeyProvider, "jwks">): Promise<Endpoint & { readonly issuer: string }> {
  const jwks = createJwksHandler(set, { reuseMs: 0 });
  let issuer = "";
  const server: Server = createServer((request, response) => {
    if (request.url === "/.well-known/openid-configuration") {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/.well-known/jwks.json` }));
      return;
    }
    void jwks(new Request(`${issuer}${request.url ?? "/"}`, { method: request.method ?? "GET" })).then(
      async (answer) => {
        response.writeHead(answer.status, Object.fromEntries(answer.headers));
        response.end(Buffer.from(await answer.arrayBuffer()));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    url: `${issuer}/.well-known/jwks.json`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The `keyprovider` command of @keyprovider/cli, run as an operator runs `npx keyprovider …` in this
 * application's directory: a child process that finds the providers this package.json installed.
 * AWS credentials come from the environment, where the SDK reads them; never from the command line.
 */
function keyproviderCommand(env: Readonly<Record<string, string>>): (...args: string[]) => Promise<string> {
  const manifest = createRequire(import.meta.url).resolve("@keyprovider/cli/package.json");
  const { bin } = JSON.parse(readFileSync(manifest, "utf8")) as { bin: { keyprovider: string } };
  const command = join(dirname(manifest), bin.keyprovider);
  const application = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  return async (...args) => {
    const { stdout } = await promisify(execFile)(process.execPath, [command, ...args], {
      cwd: application,
      env: { ...process.env, KEYPROVIDER_CONFIG: "", ...env },
    });
    return stdout;
  };
}

/**
 * A provider for the registry that wraps the one its options name, so a configuration can put a
 * simulated outage in front of a mirror's primary; `onCreate` gets the switch.
 */
function outageSimulator(onCreate: (provider: KeyProvider & { down: boolean }) => void) {
  return defineProvider({
    name: "OutageSimulator",
    aliases: ["outage"],
    apiVersion: PROVIDER_API_VERSION,
    create: async (options: { provider: string; options?: unknown }, ctx) => {
      const wrapped = withOutage(await ctx.create(options.provider, options.options));
      onCreate(wrapped);
      return wrapped;
    },
  });
}

/** A provider whose every call fails while `down` is true: a primary region outage. */
function withOutage(provider: KeyProvider): KeyProvider & { down: boolean } {
  const state = { down: false };
  const proxy = new Proxy(provider, {
    get(target, property, receiver) {
      if (property === "down") return state.down;
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || property === "supports") return value;
      return (...args: unknown[]) =>
        state.down
          ? Promise.reject(new ProviderUnavailableError("the primary's region is down", { retryable: true }))
          : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
    set(_target, property, value) {
      if (property !== "down") return false;
      state.down = value === true;
      return true;
    },
  });
  return proxy as KeyProvider & { down: boolean };
}

/**
 * The quickstart: the whole system on embedded defaults, no cloud credentials. Each step prints one
 * line with what it checked; `main` resolves to the results and sets a non-zero exit code if a step
 * failed.
 */
export async function main(log: (line: string) => void = console.log): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const cleanup: (() => Promise<unknown>)[] = [];
  const step = async (name: string, run: () => Promise<string>): Promise<boolean> => {
    const started = performance.now();
    let result: StepResult;
    try {
      const detail = await run();
      result = { name, ok: true, detail, ms: performance.now() - started };
    } catch (error) {
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      result = { name, ok: false, detail, ms: performance.now() - started };
    }
    results.push(result);
    log(`${result.ok ? "✓" : "✗"} ${name}: ${result.detail} (${Math.round(result.ms)} ms)`);
    return result.ok;
  };

  let outage: (KeyProvider & { down: boolean }) | undefined;
  try {
    const registry = createRegistry({
      providers: [local, inmemory, remoteJwks, awsKms, mirrored, file, outageSimulator((p) => (outage = p))],
    });
    let issuerKeys!: KeyProvider;
    let ed!: string;
    let es!: string;
    let tokens: string[] = [];
    let issuer!: Endpoint & { readonly issuer: string };
    let verifier!: RemoteJwksKeyProvider;
    let kms!: KeyProvider;
    let kmsKid!: string;
    let kmsUrl!: string;

    await step("registry", async () => {
      issuerKeys = await registry.create(CONFIG.issuer.provider);
      return `${registry.list().length} names known; "${CONFIG.issuer.provider}" is ${issuerKeys.name}`;
    });

    await step("keys that never leave the provider", async () => {
      ({ kid: ed } = await issuerKeys.createKey({ alg: "ED25519", exportPolicy: "none" }));
      const p256 = await issuerKeys.createKey({ alg: "ES256" });
      es = p256.kid;
      const exported = await issuerKeys
        .exportKey(es, { format: "pem", private: true })
        .catch((e: unknown) => e);
      if (p256.material !== undefined || !(exported instanceof Error))
        throw new Error("a private key came out");
      return `Ed25519 ${ed.slice(0, 8)}… and P-256 ${es.slice(0, 8)}… created with exportPolicy "none"; exportKey(private) refused`;
    });

    await step("signJwt", async () => {
      tokens = [
        await signJwt(issuerKeys, ed, { sub: "user-1" }, { issuer: "demo", expiresIn: "5m" }),
        await signJwt(issuerKeys, es, { sub: "user-2" }, { issuer: "demo", expiresIn: "5m" }),
      ];
      return `2 tokens signed inside ${issuerKeys.name}, headers EdDSA and ES256 with kid "<kid>.1"`;
    });

    await step("JWKS over HTTP", async () => {
      issuer = await serveIssuer(issuerKeys);
      cleanup.push(() => issuer.close());
      const response = await fetch(issuer.url);
      const { keys } = (await response.json()) as { keys: unknown[] };
      return `${issuer.url} answered ${response.status} ${response.headers.get("content-type")} with ${keys.length} keys, ETag ${response.headers.get("etag")!.slice(0, 12)}…`;
    });

    await step("remote verification", async () => {
      verifier = await registry.create("remote-jwks", { issuer: issuer.issuer, allowInsecureHttp: true });
      cleanup.push(async () => verifier.close());
      for (const token of tokens) await jwtVerify(token, verifier.keyResolver(), { requiredClaims: ["exp"] });
      const { payload } = await verifyJwt(verifier, tokens[1]!, { keys: "any", issuer: "demo" });
      return `RemoteJwksKeyProvider found the JWKS through OIDC discovery; jose jwtVerify and verifyJwt accept both tokens (sub ${String(payload.sub)})`;
    });

    await step("rotation without breaking verifiers", async () => {
      const staged = await issuerKeys.rotateKey(ed, { activate: false });
      await verifier.refresh({ force: true });
      await issuerKeys.activateVersion(ed, staged.version);
      const newer = await signJwt(issuerKeys, ed, { sub: "user-1" }, { expiresIn: "5m" });
      await jwtVerify(tokens[0]!, verifier.keyResolver());
      await jwtVerify(newer, verifier.keyResolver());
      return `v${staged.version} staged, published, then activated; the v1 and v${staged.version} tokens both verify remotely`;
    });

    await step("failover", async () => {
      const mirror = await registry.create(CONFIG.mirror.provider, CONFIG.mirror.options);
      const primary = outage!;
      const { kid } = await mirror.createKey({ alg: "ES256" });
      const token = await signJwt(mirror, kid, { sub: "user-3" }, { expiresIn: "5m" });
      primary.down = true;
      const { key } = await verifyJwt(mirror, token, { keys: [kid] });
      const refused = await signJwt(mirror, kid, {}).catch((e: unknown) => e);
      if (!ProviderUnavailableError.isInstance(refused))
        throw new Error("signing did not fail while the primary was down");
      return `primary down: the token still verifies through the secondary (${key.alg} v${key.version}); signing fails with a retryable ${refused.code}`;
    });

    await step("AWS KMS", async () => {
      const endpoint = await kmsEndpoint();
      cleanup.push(() => endpoint.close());
      kmsUrl = endpoint.url;
      kms = await registry.create("aws-kms", {
        ...CONFIG.kms.options,
        endpoint: kmsUrl,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      });
      ({ kid: kmsKid } = await kms.createKey({ alg: "ES256", label: "quickstart" }));
      const rotated = await kms.rotateKey(kmsKid);
      const token = await signJwt(kms, kmsKid, { sub: "user-4" }, { expiresIn: "5m" });
      const published = await serveIssuer({
        jwks: async (options) => mergeJwks(await issuerKeys.jwks(options), await kms.jwks(options)),
      });
      cleanup.push(() => published.close());
      const kmsVerifier = await registry.create("remote-jwks", {
        jwksUrl: published.url,
        allowInsecureHttp: true,
      });
      cleanup.push(async () => kmsVerifier.close());
      await jwtVerify(token, kmsVerifier.keyResolver());
      return `on ${endpoint.kind}: created and rotated to v${rotated.version}, a JWT signed inside KMS verifies against the published JWKS`;
    });

    await step("keyprovider from the shell", async () => {
      const keyprovider = keyproviderCommand({
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      });
      // The provider by name with its options, as keyprovider.config.json would give them.
      const select = [
        "--provider",
        "aws-kms",
        "--options",
        JSON.stringify({ ...CONFIG.kms.options, endpoint: kmsUrl }),
      ];
      const { providers } = JSON.parse(await keyprovider("providers", "--json")) as {
        providers: { name: string }[];
      };
      const rotated = JSON.parse(await keyprovider("rotate", kmsKid, "--json", ...select)) as {
        version: number;
        status: string;
      };
      if (rotated.status !== "primary") throw new Error(`rotate left v${rotated.version} ${rotated.status}`);
      const dir = await mkdtemp(join(tmpdir(), "keyprovider-quickstart-"));
      cleanup.push(() => rm(dir, { recursive: true, force: true }));
      const out = join(dir, "jwks.json");
      await keyprovider("jwks", "--all-versions", "--out", out, ...select);
      const { keys } = JSON.parse(await readFile(out, "utf8")) as { keys: { kid: string }[] };
      const expected = Array.from({ length: rotated.version }, (_, i) => `${kmsKid}.${i + 1}`);
      if (keys.map((key) => key.kid).join() !== expected.join())
        throw new Error(`the JWKS file has ${keys.map((key) => key.kid).join(", ")}`);
      return `\`keyprovider providers\` found ${providers.length} installed (${providers.map((p) => p.name).join(", ")}); \`rotate\` made v${rotated.version} the KMS key's primary; \`jwks --all-versions --out\` wrote its v1 to v${rotated.version} to a JWKS file`;
    });

    await step("envelope encryption", async () => {
      const { kid } = await issuerKeys.createKey({ alg: "AES256_GCM" });
      const aad = new TextEncoder().encode("order:42");
      const sealed = await issuerKeys.encrypt(kid, new TextEncoder().encode("card 4111 1111 1111 1111"), {
        aad,
      });
      await issuerKeys.rotateKey(kid);
      const opened = new TextDecoder().decode(await issuerKeys.decrypt(kid, sealed, { aad }));
      await issuerKeys.destroyKey(kid, 1);
      const gone = await issuerKeys.decrypt(kid, sealed, { aad }).catch((e: unknown) => e);
      if (opened !== "card 4111 1111 1111 1111" || !KeyNotFoundError.isInstance(gone))
        throw new Error("wrong plaintext");
      return `a v1 ciphertext decrypts after the rotation, and fails with ${gone.code} once v1 is destroyed`;
    });

    await step("keys survive a restart", async () => {
      const directory = join(await mkdtemp(join(tmpdir(), "keyprovider-quickstart-")), "keys");
      cleanup.push(() => rm(join(directory, ".."), { recursive: true, force: true }));
      const kek = process.env[CONFIG.store.kekEnv] || randomBytes(32).toString("hex");
      const env = { ...process.env, [CONFIG.store.kekEnv]: kek };
      const store = await registry.create(CONFIG.store.provider, { directory, kek: { key: kek } });
      const { kid } = await store.createKey({ alg: "ES256", exportPolicy: "none" });
      const token = await signJwt(store, kid, { sub: "user-5" }, { expiresIn: "5m" });
      // A second process opens the same directory (KEK from its environment, never an argument),
      // verifies this token with the key it reads from disk, and signs one with the same kid.
      const second = fileURLToPath(new URL("../dist/second-process.js", import.meta.url));
      const { stdout } = await promisify(execFile)(process.execPath, [second, directory, kid, token], {
        env,
      });
      const { verified, token: answer } = JSON.parse(stdout) as { verified: string; token: string };
      const { payload, key } = await verifyJwt(store, answer, { keys: [kid] });
      return `a second process opened the encrypted store, verified the token (${verified}) and signed one that verifies here (sub ${String(payload.sub)}, v${key.version})`;
    });

    await step("teardown", async () => {
      await kms.destroyKey(kmsKid);
      return `KMS key scheduled for deletion; servers closed`;
    });
  } finally {
    for (const close of cleanup.reverse()) await close().catch(() => {});
  }
  const failed = results.filter((result) => !result.ok).length;
  log(
    failed === 0 ? `all ${results.length} steps checked out` : `${failed} of ${results.length} steps failed`,
  );
  if (failed > 0) process.exitCode = 1;
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
