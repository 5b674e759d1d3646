import { existsSync } from "node:fs";
import { request } from "node:http";
import { homedir } from "node:os";
import { join } from "node:path";

/** Where a Docker-compatible engine listens, in the order testcontainers looks. */
function candidates(): { readonly socketPath?: string; readonly host?: string; readonly port?: number }[] {
  const found: { socketPath?: string; host?: string; port?: number }[] = [];
  const dockerHost = process.env["DOCKER_HOST"];
  if (dockerHost !== undefined && dockerHost !== "") {
    if (dockerHost.startsWith("unix://")) found.push({ socketPath: dockerHost.slice("unix://".length) });
    else if (dockerHost.startsWith("tcp://")) {
      const url = new URL(dockerHost.replace(/^tcp:/, "http:"));
      found.push({ host: url.hostname, port: Number(url.port || 2375) });
    }
    return found; // an explicit DOCKER_HOST is the only one to try
  }
  const runtime = process.env["XDG_RUNTIME_DIR"];
  for (const path of [
    "/var/run/docker.sock",
    join(homedir(), ".docker/run/docker.sock"),
    join(homedir(), ".docker/desktop/docker.sock"),
    join(homedir(), ".colima/default/docker.sock"),
    ...(runtime === undefined ? [] : [join(runtime, "podman/podman.sock"), join(runtime, "docker.sock")]),
    "/run/podman/podman.sock",
  ]) {
    if (existsSync(path)) found.push({ socketPath: path });
  }
  return found;
}

function ping(
  target: { socketPath?: string; host?: string; port?: number },
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ ...target, path: "/_ping", method: "GET", timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

/**
 * Whether a container engine answers, decided in about a second and without output: DOCKER_HOST
 * if set, else the usual Docker, Colima and Podman sockets, each asked `GET /_ping`.
 */
export async function containerEngineReachable(timeoutMs = 1_000): Promise<boolean> {
  if (process.env["DOCKER_TLS_VERIFY"] === "1") return true; // TLS: let testcontainers connect properly
  for (const target of candidates()) if (await ping(target, timeoutMs)) return true;
  return false;
}
