import { createHash, generateKeyPairSync } from "node:crypto";
import { tracingChannel } from "node:diagnostics_channel";
import { inspect } from "node:util";
import { verifyJwt } from "@keyprovider/jwt";
import { describe, expect, it, vi } from "vitest";
import type { CachedJwks, JwksCacheStore, RemoteJwksStaleEvent } from "../src/index.js";
import { useIssuer } from "./support/issuer.js";
import { ecJwk, json } from "./support/server.js";

/**
 * Security review (review-sec): a JWK Set URL may carry a credential in its query (`?api_key=…`); the
 * package says so itself (`describeUrl`, `KeyRef.uri` drop the query "which may carry a credential"),
 * and a test already checks that a KeyRef never shows it. Every other place the URL surfaces must
 * not show it either.
 */
const env = useIssuer();
const SECRET = "secret-value-of-the-api-key";

describe("review-sec: a credential in the JWK Set URL's query never leaves the provider", () => {
  it("status() — served on health endpoints, as the README shows — does not carry the query", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "idp" })] }));
    const provider = env.provider({ jwksUrl: `${env.origin}/jwks?api_key=${SECRET}` });
    await provider.getKey("idp");
    expect(JSON.stringify(provider.status())).not.toContain(SECRET);
  });

  it("a failed fetch's RemoteJwksError does not carry the query (inspect, JSON, console)", async () => {
    env.server.route("/jwks", (_req, res) => void res.writeHead(503).end());
    const provider = env.provider({ jwksUrl: `${env.origin}/jwks?api_key=${SECRET}` });
    const error = await provider.getKey("idp").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_REMOTE_JWKS_HTTP_STATUS" });
    expect(inspect(error)).not.toContain(SECRET);
    expect(JSON.stringify(error)).not.toContain(SECRET);
  });

  it("the error a trace subscriber receives on keyprovider:getKey does not carry the query", async () => {
    env.server.route("/jwks", (_req, res) => void res.writeHead(503).end());
    const provider = env.provider({ jwksUrl: `${env.origin}/jwks?api_key=${SECRET}` });
    const seen: string[] = [];
    const channel = tracingChannel("keyprovider:getKey");
    const subscriber = {
      start() {},
      end() {},
      asyncStart() {},
      asyncEnd() {},
      error(message: unknown) {
        seen.push(inspect(message, { depth: 5 }));
      },
    };
    channel.subscribe(subscriber);
    try {
      await provider.getKey("idp").catch(() => undefined);
    } finally {
      channel.unsubscribe(subscriber);
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const line of seen) expect(line).not.toContain(SECRET);
  });

  it("the onStale event does not carry the query", async () => {
    let up = true;
    env.server.route("/jwks", (req, res) => {
      if (!up) return void res.writeHead(503).end();
      json({ keys: [ecJwk({ kid: "idp" })] })(req, res);
    });
    const stale: RemoteJwksStaleEvent[] = [];
    const provider = env.provider({
      jwksUrl: `${env.origin}/jwks?api_key=${SECRET}`,
      onStale: (event) => stale.push(event),
    });
    await provider.getKey("idp");
    up = false;
    env.clock.advance(301_000);
    await provider.refresh().catch(() => undefined);
    expect(stale).toHaveLength(1);
    expect(inspect(stale[0], { depth: 5 })).not.toContain(SECRET);
  });

  it("the warm-start entry written to a shared store (Redis, a file) does not carry the query", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "idp" })] }));
    let written: CachedJwks | undefined;
    const store: JwksCacheStore = {
      get: async () => undefined,
      set: async (entry) => {
        written = entry;
      },
    };
    const provider = env.provider({ jwksUrl: `${env.origin}/jwks?api_key=${SECRET}`, cache: store });
    await provider.getKey("idp");
    await vi.waitFor(() => expect(written).toBeDefined());
    expect(JSON.stringify(written)).not.toContain(SECRET);
  });
});

/**
 * A fetched RSA JWK with public exponent 1 is kept and verifies: with e = 1, s^e mod n = s, so the
 * PKCS#1 v1.5 encoding of any message's digest is a valid RS256 "signature" that anyone computes
 * without a private key. Local imports refuse such keys ("makes signatures forgeable"); the remote
 * set does not, and skips only moduli under 2048 bits.
 */
describe("review-sec: a remote RSA JWK with a forgeable public exponent never verifies", () => {
  it("a token forged without any private key is refused by verifyJwt", async () => {
    const jwk = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" });
    env.server.route("/jwks", json({ keys: [{ ...jwk, e: "AQ", kid: "weak", alg: "RS256", use: "sig" }] }));
    const provider = env.provider();

    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const signingInput = `${b64({ alg: "RS256", kid: "weak" })}.${b64({ sub: "admin", exp: 4_000_000_000 })}`;
    const digestInfo = Buffer.concat([
      Buffer.from("3031300d060960864801650304020105000420", "hex"),
      createHash("sha256").update(signingInput).digest(),
    ]);
    const encoded = Buffer.concat([
      Buffer.from([0, 1]),
      Buffer.alloc(256 - digestInfo.length - 3, 0xff),
      Buffer.from([0]),
      digestInfo,
    ]);
    const forged = `${signingInput}.${encoded.toString("base64url")}`;

    const outcome = await verifyJwt(provider, forged, { keys: ["weak"] }).catch((error: unknown) => error);
    expect(outcome).toMatchObject({ code: "ERR_INVALID_TOKEN" });
    expect(provider.status().skipped.unsupported + provider.status().skipped.invalid).toBe(1);
  });
});
