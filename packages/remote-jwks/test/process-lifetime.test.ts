// A verifier must never be what keeps a process alive: the refresh-ahead timer, the backoff timer
// and request timeouts are unref'd, so a script that is done exits while a provider still exists.
import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { json, startServer, type TestServer } from "./support/server.js";

const entry = pathToFileURL(fileURLToPath(new URL("../dist/index.js", import.meta.url))).href;

/** Run an ES module in a fresh `node`; resolve with its exit code and output, or kill it after `limitMs`. */
function runScript(
  source: string,
  limitMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--input-type=module", "--eval", source],
      { timeout: limitMs, killSignal: "SIGKILL" },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : (error.code as number | null), stdout, stderr }),
    );
  });
}

describe("process lifetime", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer();
    const jwk = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });
    // A long max-age and a refresh-ahead window: a background refresh is scheduled an hour out.
    server.route(
      "/jwks",
      json({ keys: [{ ...jwk, kid: "k1", alg: "ES256", use: "sig" }] }, { "Cache-Control": "max-age=3600" }),
    );
    server.route("/down", (_req, res) => res.writeHead(503).end());
  });
  afterEach(() => server.close());

  it("a script that fetched a set, and one whose endpoint failed (backoff pending), exits on its own", async () => {
    const script = `
      const { RemoteJwksKeyProvider } = await import(${JSON.stringify(entry)});
      const up = new RemoteJwksKeyProvider({ jwksUrl: ${JSON.stringify(`${server.origin}/jwks`)}, allowInsecureHttp: true });
      const keys = await up.listRemoteKeys();
      const down = new RemoteJwksKeyProvider({ jwksUrl: ${JSON.stringify(`${server.origin}/down`)}, allowInsecureHttp: true });
      const failed = await down.refresh().then(() => "refreshed", (error) => error.code);
      console.log(keys.length, failed);
    `;
    // Without unref'd timers the child would wait an hour for its refresh; it is killed long before.
    const { code, stdout, stderr } = await runScript(script, 30_000);
    expect({ code, stdout: stdout.trim(), stderr }).toEqual({
      code: 0,
      stdout: expect.stringMatching(/^1 ERR_/),
      stderr: "",
    });
  }, 40_000);
});
