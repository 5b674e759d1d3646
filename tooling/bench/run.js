// pnpm bench: keyprovider against baselines doing the same work directly. A ratio of 1.00 means
// as fast as the baseline; below 1 is slower. Tune with BENCH_ROUNDS and BENCH_TIME_MS.
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPublicKey,
  createSecretKey,
  generateKeyPair,
  sign as nodeSign,
  generateKeyPairSync,
  hkdfSync,
  randomBytes as nodeRandomBytes,
} from "node:crypto";
import { Buffer } from "node:buffer";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { performance } from "node:perf_hooks";
import { join } from "node:path";
import { promisify } from "node:util";
import { hkdf as nobleHkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { hkdf, jwkThumbprint, randomBytes } from "@keyprovider/base";
import { FileKeyProvider } from "@keyprovider/file";
import { InMemoryKeyProvider } from "@keyprovider/inmemory";
import { LocalKeyProvider } from "@keyprovider/local";
import { calculateJwkThumbprint, exportJWK } from "jose";
import { median, runPairs } from "./harness.js";

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
const aes = { alg: "AES256_GCM" };
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
const ed = { alg: "ED25519" };
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

// Key operations: the provider's sign on an imported KeyObject against node:crypto's sign on the
// same KeyObject, in the same JOSE form.
const signer = new LocalKeyProvider();
const message = nodeRandomBytes(64);
const signCases = [
  ["ED25519", () => generateKeyPairSync("ed25519"), null, {}],
  [
    "ECDSA_P256_SHA256",
    () => generateKeyPairSync("ec", { namedCurve: "P-256" }),
    "sha256",
    { dsaEncoding: "ieee-p1363" },
  ],
  [
    "ECDSA_P384_SHA384",
    () => generateKeyPairSync("ec", { namedCurve: "P-384" }),
    "sha384",
    { dsaEncoding: "ieee-p1363" },
  ],
  [
    "ECDSA_P521_SHA512",
    () => generateKeyPairSync("ec", { namedCurve: "P-521" }),
    "sha512",
    { dsaEncoding: "ieee-p1363" },
  ],
  [
    "RSA_PSS_SHA256",
    () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
    "sha256",
    { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
  ],
  [
    "RSA_PKCS1_SHA256",
    () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
    "sha256",
    { padding: constants.RSA_PKCS1_PADDING },
  ],
];
const signPairs = [];
for (const [alg, generate, hash, options] of signCases) {
  const { privateKey } = generate();
  const { kid: signKid } = await signer.importKey({ alg }, privateKey);
  signPairs.push({
    name: `sign ${alg}${alg.startsWith("RSA") ? " (2048)" : ""}`,
    ours: () => signer.sign(signKid, message),
    baselineName: "node:crypto sign, same KeyObject",
    baseline: () => nodeSign(hash, message, { key: privateKey, ...options }),
  });
}
const hmacKey = createSecretKey(nodeRandomBytes(32));
const { kid: hmacKid } = await signer.importKey({ alg: "HMAC_SHA256" }, hmacKey);
signPairs.push({
  name: "sign HMAC_SHA256",
  ours: () => signer.sign(hmacKid, message),
  baselineName: "node:crypto createHmac, same KeyObject",
  baseline: () => createHmac("sha256", hmacKey).update(message).digest(),
});
const aesKey = createSecretKey(nodeRandomBytes(32));
const { kid: aesKid } = await signer.importKey({ alg: "AES256_GCM" }, aesKey);
const kib = nodeRandomBytes(1024);
const sealed = await signer.encrypt(aesKid, kib);
signPairs.push(
  {
    name: "encrypt AES256_GCM 1 KiB",
    ours: () => signer.encrypt(aesKid, kib),
    baselineName: "node:crypto createCipheriv aes-256-gcm",
    baseline: () => {
      const cipher = createCipheriv("aes-256-gcm", aesKey, nodeRandomBytes(12));
      return Buffer.concat([cipher.update(kib), cipher.final(), cipher.getAuthTag()]);
    },
  },
  {
    name: "decrypt AES256_GCM 1 KiB",
    ours: () => signer.decrypt(aesKid, sealed),
    baselineName: "node:crypto createDecipheriv aes-256-gcm",
    baseline: (() => {
      const iv = nodeRandomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", aesKey, iv);
      const body = Buffer.concat([cipher.update(kib), cipher.final()]);
      const tag = cipher.getAuthTag();
      return () => {
        const decipher = createDecipheriv("aes-256-gcm", aesKey, iv);
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(body), decipher.final()]);
      };
    })(),
  },
);
await runPairs("Key operations", signPairs);

// FileKeyProvider: warm operations against LocalKeyProvider holding the same key (goal: within
// 1.25×, i.e. a ratio of 0.8 or more), createKey with its fsyncs, and the cold open of stores of
// 250, 500 and 1 000 keys (a new provider reading every key: it should grow linearly).
const fileRoot = await mkdtemp(join(tmpdir(), "keyprovider-bench-"));
const fileKek = { key: new Uint8Array(nodeRandomBytes(32)) };
const fileStore = new FileKeyProvider({ directory: join(fileRoot, "warm"), kek: fileKek });
const twin = new LocalKeyProvider();
const shared = generateKeyPairSync("ed25519").privateKey;
const { kid: fileKid } = await fileStore.importKey(ed, shared);
const { kid: twinKid } = await twin.importKey(ed, shared);
const sharedP256 = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
const { kid: fileP256 } = await fileStore.importKey({ alg: "ES256" }, sharedP256);
const { kid: twinP256 } = await twin.importKey({ alg: "ES256" }, sharedP256);
const creator = new FileKeyProvider({ directory: join(fileRoot, "create"), kek: fileKek });
await creator.listKeys();
await runPairs("FileKeyProvider", [
  {
    name: "sign ED25519 (warm)",
    ours: () => fileStore.sign(fileKid, message),
    baselineName: "LocalKeyProvider sign, same key",
    baseline: () => twin.sign(twinKid, message),
  },
  {
    name: "sign ES256 (warm)",
    ours: () => fileStore.sign(fileP256, message),
    baselineName: "LocalKeyProvider sign, same key",
    baseline: () => twin.sign(twinP256, message),
  },
  {
    name: "getPublicJwk (warm)",
    ours: () => fileStore.getPublicJwk(fileKid),
    baselineName: "LocalKeyProvider getPublicJwk",
    baseline: () => twin.getPublicJwk(twinKid),
  },
  {
    name: "createKey ED25519 (fsynced)",
    ours: () => creator.createKey(ed),
    baselineName: "LocalKeyProvider createKey",
    baseline: () => twin.createKey(ed),
  },
]);

// One store of 1 000 keys, made in parallel batches; the smaller stores are copies of part of it.
const big = join(fileRoot, "1000");
const maker = new FileKeyProvider({ directory: big, kek: fileKek });
for (let made = 0; made < 1000; made += 50) {
  await Promise.all(Array.from({ length: 50 }, () => maker.createKey(ed)));
}
const kids = await maker.listKeys();
const coldRows = [];
const stores = [];
for (const size of [250, 500, 1000]) {
  let directory = big;
  if (size < 1000) {
    directory = join(fileRoot, String(size));
    await mkdir(join(directory, "keys"), { recursive: true, mode: 0o700 });
    await cp(join(big, "header"), join(directory, "header"));
    for (const kid of kids.slice(0, size)) {
      await cp(join(big, "keys", kid), join(directory, "keys", kid), { recursive: true });
    }
  }
  stores.push({ size, directory });
}
// Warm the JIT on every size, then measure the sizes in turn, round after round, so a burst of
// load on the machine falls on all of them rather than on one.
for (const { directory } of stores) await new FileKeyProvider({ directory, kek: fileKek }).jwks();
const times = stores.map(() => []);
for (let round = 0; round < 7; round += 1) {
  for (const [i, { size, directory }] of stores.entries()) {
    const started = performance.now();
    const { keys } = await new FileKeyProvider({ directory, kek: fileKek }).jwks();
    times[i].push(performance.now() - started);
    if (keys.length !== size) throw new Error(`expected ${size} keys, got ${keys.length}`);
  }
}
let previous;
for (const [i, { size }] of stores.entries()) {
  const ms = median(times[i]);
  coldRows.push({
    keys: size,
    "cold open + jwks() ms (median of 7)": ms.toFixed(0),
    "µs per key": ((ms * 1000) / size).toFixed(0),
    "µs per added key":
      previous === undefined ? "" : (((ms - previous.ms) * 1000) / (size - previous.size)).toFixed(0),
  });
  previous = { size, ms };
}
console.log(
  "\nFileKeyProvider cold open (new provider, every key read and decrypted; files in the page cache)",
);
console.table(coldRows);
await rm(fileRoot, { recursive: true, force: true });
