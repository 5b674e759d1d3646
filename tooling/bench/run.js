// pnpm bench: keyprovider against baselines doing the same work directly. A ratio of 1.00 means
// as fast as the baseline; below 1 is slower. Tune with BENCH_ROUNDS and BENCH_TIME_MS.
import {
  createHash,
  createPublicKey,
  createSecretKey,
  generateKeyPair,
  generateKeyPairSync,
  hkdfSync,
  randomBytes as nodeRandomBytes,
} from "node:crypto";
import { Buffer } from "node:buffer";
import { promisify } from "node:util";
import { hkdf as nobleHkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { hkdf, jwkThumbprint, randomBytes } from "@keyprovider/base";
import { InMemoryKeyProvider } from "@keyprovider/inmemory";
import { LocalKeyProvider } from "@keyprovider/local";
import { calculateJwkThumbprint, exportJWK } from "jose";
import { runPairs } from "./harness.js";

const generateKeyPairAsync = promisify(generateKeyPair);

const ikm = nodeRandomBytes(32);
const salt = nodeRandomBytes(32);
const info = new TextEncoder().encode("keyprovider/bench");
const longInfo = new Uint8Array(2048).fill(7);
const jwk = { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" };

await runPairs("Primitives", [
  {
    name: "hkdf 32 bytes",
    ours: () => hkdf(ikm, { salt, info, length: 32 }),
    baselineName: "node:crypto hkdfSync",
    baseline: () => hkdfSync("sha256", ikm, salt, info, 32),
  },
  {
    name: "hkdf 32 bytes",
    ours: () => hkdf(ikm, { salt, info, length: 32 }),
    baselineName: "@noble/hashes hkdf",
    baseline: () => nobleHkdf(sha256, ikm, salt, info, 32),
  },
  {
    name: "hkdf 32 bytes, 2 KiB info (HMAC path)",
    ours: () => hkdf(ikm, { salt, info: longInfo, length: 32 }),
    baselineName: "@noble/hashes hkdf",
    baseline: () => nobleHkdf(sha256, ikm, salt, longInfo, 32),
  },
  {
    name: "randomBytes(32)",
    ours: () => randomBytes(32),
    baselineName: "node:crypto randomBytes",
    baseline: () => nodeRandomBytes(32),
  },
  {
    name: "jwkThumbprint",
    ours: () => jwkThumbprint(jwk),
    baselineName: "jose calculateJwkThumbprint",
    baseline: () => calculateJwkThumbprint(jwk),
  },
  {
    name: "jwkThumbprint",
    ours: () => jwkThumbprint(jwk),
    baselineName: "sha256 of the RFC 7638 JSON",
    baseline: () =>
      createHash("sha256")
        .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x }))
        .digest("base64url"),
  },
]);

const memory = new InMemoryKeyProvider();
const aes = { klass: "sym", alg: "AES256_GCM", uses: ["encrypt", "decrypt"], exportPolicy: "none" };
const { kid } = await memory.createKey(aes);
const plainMap = new Map([[kid, createSecretKey(nodeRandomBytes(32))]]);

await runPairs("InMemoryKeyProvider", [
  {
    name: "createKey AES256_GCM",
    ours: () => new InMemoryKeyProvider().createKey(aes),
    baselineName: "random 32 bytes in a Map",
    baseline: () => new Map().set(nodeRandomBytes(16).toString("hex"), createSecretKey(nodeRandomBytes(32))),
  },
  {
    name: "getKey (latest)",
    ours: () => memory.getKey(kid),
    baselineName: "Map.get",
    baseline: () => plainMap.get(kid),
  },
]);

const local = new LocalKeyProvider();
const ed = { klass: "asym", alg: "ED25519", uses: ["sign", "verify"], exportPolicy: "none" };
const edKey = await local.createKey(ed);
const publicKey = createPublicKey(Buffer.from(edKey.public));
const jwksProvider = new LocalKeyProvider();
const jwksKeys = [];
for (let i = 0; i < 100; i += 1) {
  const { privateKey: pk } = generateKeyPairSync("ed25519");
  jwksKeys.push(createPublicKey(pk));
  await jwksProvider.importKey(ed, undefined, {
    public: new Uint8Array(createPublicKey(pk).export({ type: "spki", format: "der" })),
  });
}

await runPairs("LocalKeyProvider", [
  {
    name: "createKey ED25519",
    ours: () => local.createKey(ed),
    baselineName: "node:crypto generateKeyPair",
    baseline: () => generateKeyPairAsync("ed25519"),
  },
  {
    name: "getPublicJwk",
    ours: () => local.getPublicJwk(edKey.kid),
    baselineName: "jose exportJWK of a KeyObject",
    baseline: () => exportJWK(publicKey),
  },
  {
    name: "jwks() of 100 keys",
    ours: () => jwksProvider.jwks(),
    baselineName: "jose exportJWK x100",
    baseline: () => Promise.all(jwksKeys.map((key) => exportJWK(key))),
  },
]);
