// Issue 12, item 4: RemoteJwksKeyProvider against jose's createRemoteJWKSet, both reading one local
// node:http server (each from its own path, so requests are counted per client): warm lookups of
// the same key, requests sent for a stampede of unknown-kid lookups on a cold client, and requests
// sent while the endpoint fails under steady lookups.
import { generateKeyPairSync } from "node:crypto";
import { verifyJwt } from "@keyprovider/jwt";
import { RemoteJwksKeyProvider } from "@keyprovider/remote-jwks";
import { SignJWT, createRemoteJWKSet, jwtVerify } from "jose";
import { targets } from "../harness.js";
import { json, sleep, startCountingServer } from "../lib/http.js";

const HEADER = { alg: "ES256", kid: "idp-1" };
const failing = (_req, res) => res.writeHead(500, { "content-type": "text/plain" }).end("down");
const ignore = () => undefined;

export default async function remoteJwksCases(bench) {
  const section = bench.section({
    id: "remote-jwks",
    title: "RemoteJwksKeyProvider against jose's createRemoteJWKSet",
    items: [4],
  });
  const server = await startCountingServer();
  const opened = [];
  const ours = (path) => {
    const provider = new RemoteJwksKeyProvider({
      jwksUrl: `${server.origin}${path}`,
      allowInsecureHttp: true,
    });
    opened.push(provider);
    return provider;
  };
  const jose = (path) => createRemoteJWKSet(new URL(`${server.origin}${path}`));
  try {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const set = {
      keys: [{ ...publicKey.export({ format: "jwk" }), kid: "idp-1", alg: "ES256", use: "sig" }],
    };
    for (const path of ["/ours", "/jose", "/ours-stampede", "/jose-stampede"]) server.route(path, json(set));
    const token = await new SignJWT({ sub: "user-1" })
      .setProtectedHeader(HEADER)
      .setIssuer("https://idp.example")
      .setExpirationTime("1h")
      .sign(privateKey);

    // Warm lookups: both clients have fetched the set once.
    const provider = ours("/ours");
    const resolve = provider.keyResolver();
    const joseSet = jose("/jose");
    await resolve(HEADER);
    await joseSet(HEADER);
    await section.compare({
      operation: "warm key lookup for a token header (keyResolver)",
      ours: () => resolve(HEADER),
      baseline: () => joseSet(HEADER),
      baselineName: "jose createRemoteJWKSet lookup",
      target: targets.atMost(1),
    });
    await section.compare({
      operation: "warm getKey (a KeyRef of the remote key)",
      ours: () => provider.getKey("idp-1"),
      baseline: () => joseSet(HEADER),
      baselineName: "jose createRemoteJWKSet lookup",
    });
    await section.compare({
      operation: "warm jwtVerify of an ES256 token, resolver = keyResolver()",
      ours: () => jwtVerify(token, resolve, { issuer: "https://idp.example" }),
      baseline: () => jwtVerify(token, joseSet, { issuer: "https://idp.example" }),
      baselineName: "jose jwtVerify(createRemoteJWKSet)",
    });
    await section.compare({
      operation: "warm verifyJwt of an ES256 token",
      ours: () => verifyJwt(provider, token, { keys: "any", issuer: "https://idp.example" }),
      baseline: () => jwtVerify(token, joseSet, { issuer: "https://idp.example" }),
      baselineName: "jose jwtVerify(createRemoteJWKSet)",
    });
    const warmRequests = { ours: server.count("/ours"), jose: server.count("/jose") };
    section.note(
      `Requests during the warm measurements: ${warmRequests.ours} from ours, ${warmRequests.jose} from jose ` +
        "(one initial fetch each).",
    );

    // Stampede: many concurrent lookups of a kid nobody published, on a cold client.
    const stampede = bench.settings.quick ? 1_000 : 10_000;
    const unknown = { alg: "ES256", kid: "forged" };
    const coldResolve = ours("/ours-stampede").keyResolver();
    const coldJose = jose("/jose-stampede");
    await Promise.allSettled(Array.from({ length: stampede }, () => coldResolve(unknown)));
    await Promise.allSettled(Array.from({ length: stampede }, () => coldJose(unknown)));
    section.count({
      operation: `${stampede.toLocaleString("en")} concurrent lookups of an unknown kid, cold client`,
      unit: "requests",
      ours: server.count("/ours-stampede"),
      baseline: server.count("/jose-stampede"),
      baselineName: "jose createRemoteJWKSet",
      target: targets.exactly(1, "request"),
    });

    // A failing endpoint under steady lookups: both clients at once, one lookup every 10 ms each.
    const seconds = bench.settings.quick ? 1 : 10;
    server.route("/ours-fail", failing);
    server.route("/jose-fail", failing);
    const failingResolve = ours("/ours-fail").keyResolver();
    const failingJose = jose("/jose-fail");
    const deadline = Date.now() + seconds * 1000;
    const steady = async (lookup) => {
      let lookups = 0;
      while (Date.now() < deadline) {
        await lookup(HEADER).catch(ignore);
        lookups += 1;
        await sleep(10);
      }
      return lookups;
    };
    const [ourLookups, joseLookups] = await Promise.all([steady(failingResolve), steady(failingJose)]);
    section.count({
      operation: `${seconds} s of an endpoint answering 500, one lookup every 10 ms`,
      detail: `${ourLookups} lookups by ours, ${joseLookups} by jose`,
      unit: "requests",
      ours: server.count("/ours-fail"),
      baseline: server.count("/jose-fail"),
      baselineName: "jose createRemoteJWKSet",
      target: targets.fractionOf(10, "jose's"),
    });
    section.note(
      "Ours backs off after a failed fetch (1 s, doubling, each wait randomised between half and all of it) " +
        "and answers lookups in between with the last error at once; jose fetches again on every lookup " +
        "while it has no set.",
    );
  } finally {
    for (const provider of opened) provider.close();
    await server.close();
  }
}
