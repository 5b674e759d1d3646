// A node:http server on 127.0.0.1 whose routes are set per path and whose requests are counted per
// path, so two clients measured side by side on one server never share a count.
import { createServer } from "node:http";
import { setTimeout as delay } from "node:timers/promises";

/**
 * @returns {Promise<{ origin: string, route(path: string, handler: (req, res) => void): void,
 *   count(path: string): number, close(): Promise<void> }>}
 */
export async function startCountingServer() {
  const routes = new Map();
  const counts = new Map();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname;
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const handler = routes.get(path);
    if (handler === undefined) res.writeHead(404).end();
    else handler(req, res);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    route(path, handler) {
      routes.set(path, handler);
    },
    count(path) {
      return counts.get(path) ?? 0;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A handler answering a JSON body with status 200. */
export const json = (body) => {
  const text = JSON.stringify(body);
  return (_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(text);
};

export const sleep = (ms) => delay(ms);
