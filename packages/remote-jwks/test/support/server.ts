import { execFileSync } from "node:child_process";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { FetchFunction, FetchResponse } from "../../src/index.js";

/** One request the test server received. */
export interface SeenRequest {
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A real node:http(s) server on 127.0.0.1 whose routes a test sets and whose requests it counts. */
export interface TestServer {
  /** `http://127.0.0.1:<port>` (or `https://`). */
  readonly origin: string;
  readonly seen: SeenRequest[];
  /** Requests to one path (all paths without an argument). */
  count(path?: string): number;
  /** Answer `path` with `handler`; unknown paths get 404. */
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

export async function startServer(tls?: { key: string; cert: string }): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const seen: SeenRequest[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    seen.push({ path, headers: req.headers });
    const handler = routes.get(path);
    if (handler === undefined) {
      res.writeHead(404).end();
      return;
    }
    handler(req, res);
  };
  const server = tls === undefined ? createHttpServer(listener) : createHttpsServer(tls, listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `${tls === undefined ? "http" : "https"}://127.0.0.1:${port}`,
    seen,
    count: (path) => seen.filter((request) => path === undefined || request.path === path).length,
    route: (path, handler) => routes.set(path, handler),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A handler that answers a JSON document (a JWK Set, a discovery document) with extra headers. */
export function json(document: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(200, { "content-type": "application/json", ...headers }).end(JSON.stringify(document));
  };
}

/** A clock a test moves by hand. */
export class ManualClock {
  #now = 1_800_000_000_000;
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** Public JWKs of fresh key pairs. */
export function ecJwk(extra: Record<string, unknown> = {}, curve = "P-256"): Record<string, unknown> {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: curve });
  return { ...publicKey.export({ format: "jwk" }), ...extra };
}

export function edJwk(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...generateKeyPairSync("ed25519").publicKey.export({ format: "jwk" }), ...extra };
}

let rsa: KeyObject | undefined;
/** One RSA-2048 public JWK (generated once per file: RSA generation is slow). */
export function rsaJwk(extra: Record<string, unknown> = {}): Record<string, unknown> {
  rsa ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
  return { ...rsa.export({ format: "jwk" }), ...extra };
}

/** A self-signed certificate for 127.0.0.1, made with the openssl command. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "remote-jwks-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A real HTTPS client (node:https) that trusts `ca`, shaped as the source's pluggable fetch: how an
 * application would reach an identity provider behind a private CA.
 */
export function httpsFetchTrusting(ca: string): FetchFunction {
  return (url, init) =>
    new Promise<FetchResponse>((resolve, reject) => {
      const request = httpsRequest(
        url,
        { method: init.method, headers: init.headers, ca, signal: init.signal },
        (res) => {
          resolve({
            status: res.statusCode ?? 0,
            headers: {
              get: (name) => {
                const value = res.headers[name.toLowerCase()];
                return value === undefined ? null : Array.isArray(value) ? value.join(", ") : String(value);
              },
            },
            body: Readable.toWeb(res) as ReadableStream<Uint8Array>,
          });
        },
      );
      request.on("error", reject);
      request.end();
    });
}
