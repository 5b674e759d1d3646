import { generateKeyPairSync } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describeKeyProvider } from "@keyprovider/testkit";
import { afterAll } from "vitest";
import { RemoteJwksKeyProvider } from "./index.js";

/**
 * The conformance suite for the provider's local side. The remote set is a real server on
 * 127.0.0.1 serving an empty JWK Set, so the listings the suite checks hold only its own kids, and
 * every kid the suite calls unknown is looked up (and missed) in the remote set too.
 */
let requests = 0;
const server = createServer((_req, res) => {
  requests += 1;
  res.writeHead(200, { "content-type": "application/json" }).end('{"keys":[]}');
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  console.log(`remote JWK Set requests during the conformance suite: ${requests}`);
});

const ed25519 = generateKeyPairSync("ed25519");
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pem = (text: string | Buffer) => new TextEncoder().encode(String(text));

describeKeyProvider(
  "RemoteJwksKeyProvider (local keys)",
  () => new RemoteJwksKeyProvider({ jwksUrl, allowInsecureHttp: true, refreshAheadMs: 0 }),
  {
    keys: [
      { alg: "ED25519" },
      { alg: "X25519" },
      { alg: "ES256" },
      { alg: "ES384" },
      { alg: "ES512" },
      { alg: "PS256", sizeBits: 2048 },
      { alg: "PS384", sizeBits: 2048 },
      { alg: "PS512", sizeBits: 2048 },
      { alg: "RS256", sizeBits: 2048 },
      { alg: "RS384", sizeBits: 2048 },
      { alg: "RS512", sizeBits: 2048 },
      { alg: "RSA-OAEP-256", sizeBits: 2048 },
      { alg: "AES256_GCM" },
      { alg: "HMAC_SHA256" },
    ],
    imports: [
      {
        name: "Ed25519 PKCS#8 PEM",
        spec: { alg: "ED25519" },
        material: pem(ed25519.privateKey.export({ type: "pkcs8", format: "pem" })),
      },
      {
        name: "RSA SPKI PEM, public only",
        spec: { alg: "RS256" },
        public: pem(rsa.publicKey.export({ type: "spki", format: "pem" })),
      },
      {
        name: "raw AES key",
        spec: { alg: "AES256_GCM" },
        material: new Uint8Array(32).fill(7),
        format: "raw",
      },
    ],
    unsupported: [{ klass: "opaque", alg: "ED25519", uses: [] }],
  },
);
