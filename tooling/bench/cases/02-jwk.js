// Issue 12, item 2: a cached getPublicJwk against jose's exportJWK of the KeyObject, and jwks() at
// 100, 1 000 and 10 000 keys against exportJWK over the same public keys (time and heap per key).
import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { jwkThumbprint } from "@keyprovider/base";
import { LocalKeyProvider } from "@keyprovider/local";
import { calculateJwkThumbprint, exportJWK } from "jose";
import { heapUsed, targets } from "../harness.js";

const KEY_TYPES = [
  { alg: "ED25519", generate: () => generateKeyPairSync("ed25519") },
  { alg: "ECDSA_P256_SHA256", generate: () => generateKeyPairSync("ec", { namedCurve: "P-256" }) },
  { alg: "RSA_PKCS1_SHA256", generate: () => generateKeyPairSync("rsa", { modulusLength: 2048 }) },
];

export default async function jwkCases(bench) {
  const section = bench.section({
    id: "jwk",
    title: "Public JWKs: getPublicJwk and jwks() against jose's exportJWK",
    items: [2],
  });
  const local = new LocalKeyProvider();
  for (const { alg, generate } of KEY_TYPES) {
    const { privateKey, publicKey } = generate();
    const { kid } = await local.importKey({ alg }, privateKey);
    await local.getPublicJwk(kid); // cached from here on
    await section.compare({
      operation: `getPublicJwk ${alg} (cached)`,
      ours: () => local.getPublicJwk(kid),
      baseline: () => exportJWK(publicKey),
      baselineName: "jose exportJWK of the KeyObject",
      target: targets.fasterBy(20),
    });
  }

  // The floor of any Promise-returning lookup: an async function handing back a cached object.
  const { publicKey: edPublic } = generateKeyPairSync("ed25519");
  const cached = await exportJWK(edPublic);
  await section.compare({
    operation: "(floor) an async function returning a cached JWK",
    ours: async () => cached,
    baseline: () => exportJWK(edPublic),
    baselineName: "jose exportJWK of an Ed25519 KeyObject",
  });

  const jwk = { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" };
  await section.compare({
    operation: "jwkThumbprint (RFC 7638) of an Ed25519 JWK",
    ours: () => jwkThumbprint(jwk),
    baseline: () => calculateJwkThumbprint(jwk),
    baselineName: "jose calculateJwkThumbprint",
  });
  await section.compare({
    operation: "jwkThumbprint (RFC 7638) of an Ed25519 JWK",
    ours: () => jwkThumbprint(jwk),
    baseline: () =>
      createHash("sha256")
        .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x }))
        .digest("base64url"),
    baselineName: "sha256 of the canonical JSON, by hand",
  });

  // jwks() growth: one provider filled up to each size, against exportJWK over the same public keys.
  // "Held" is the heap that holding the keys costs: the provider (records, cached JWKs), or the
  // baseline's array of public KeyObjects (their native key data is outside the V8 heap on both sides).
  const sizes = bench.settings.quick ? [100, 1_000] : [100, 1_000, 10_000];
  const provider = new LocalKeyProvider();
  const publicKeys = [];
  const measured = [];
  let providerHeap = 0;
  let keysHeap = 0;
  for (const n of sizes) {
    const beforeKeys = heapUsed();
    for (let made = publicKeys.length; made < n; made += 1) await provider.createKey({ alg: "ED25519" });
    await provider.jwks(); // every record's JWK is derived once and cached, as in a running service
    providerHeap += heapUsed() - beforeKeys;
    const beforeObjects = heapUsed();
    const { keys } = await provider.jwks();
    for (const jwk of keys.slice(publicKeys.length)) {
      publicKeys.push(createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: "jwk" }));
    }
    keys.length = 0;
    keysHeap += heapUsed() - beforeObjects;

    const { oursMs, baselineMs, ratio } = await section.measurePair(
      `jwks() of ${n} keys`,
      () => provider.jwks(),
      () => Promise.all(publicKeys.map((key) => exportJWK(key))),
      "jose exportJWK of each key",
    );
    measured.push({
      n,
      oursMs,
      baselineMs,
      ratio,
      oursHeapBytes: await retained(() => provider.jwks()),
      baselineHeapBytes: await retained(() => Promise.all(publicKeys.map((key) => exportJWK(key)))),
      oursStoreBytes: providerHeap,
      baselineStoreBytes: keysHeap,
    });
  }
  section.growth({
    operation: "jwks() of n Ed25519 keys",
    baselineName: "jose exportJWK of n KeyObjects",
    sizes: measured,
  });
}

/** Heap bytes the result of `fn` holds, measured after full collections. */
async function retained(fn) {
  const before = heapUsed();
  const held = [await fn()];
  const bytes = heapUsed() - before;
  held.pop();
  return bytes;
}
