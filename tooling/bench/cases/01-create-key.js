// Issue 12, item 1: LocalKeyProvider.createKey per algorithm against node:crypto making the same key
// directly (generateKeyPair, or 32 random bytes in a secret KeyObject). Ours also picks a kid, checks
// the spec, stores the version and returns a frozen KeyRef with its public key and fingerprint.
import { createHash, createSecretKey, generateKeyPair, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { LocalKeyProvider } from "@keyprovider/local";
import { targets } from "../harness.js";

const generate = promisify(generateKeyPair);

const CASES = [
  { alg: "ED25519", baseline: () => generate("ed25519") },
  { alg: "X25519", baseline: () => generate("x25519") },
  { alg: "ECDSA_P256_SHA256", baseline: () => generate("ec", { namedCurve: "P-256" }) },
  { alg: "ECDSA_P384_SHA384", baseline: () => generate("ec", { namedCurve: "P-384" }) },
  { alg: "ECDSA_P521_SHA512", baseline: () => generate("ec", { namedCurve: "P-521" }) },
  {
    alg: "RSA_PSS_SHA256",
    sizeBits: 2048,
    baseline: () => generate("rsa", { modulusLength: 2048, publicExponent: 0x10001 }),
    timeScale: 4,
  },
  {
    alg: "AES256_GCM",
    baseline: () => createSecretKey(randomBytes(32)),
    name: "randomBytes + createSecretKey",
  },
  {
    alg: "HMAC_SHA256",
    baseline: () => createSecretKey(randomBytes(32)),
    name: "randomBytes + createSecretKey",
  },
];

/** createKey on a provider that is replaced every 1 000 keys, so the store does not grow without end. */
function creator(spec) {
  let provider = new LocalKeyProvider();
  let made = 0;
  return () => {
    made += 1;
    if (made % 1_000 === 0) provider = new LocalKeyProvider();
    return provider.createKey(spec);
  };
}

export default async function createKeyCases(bench) {
  const section = bench.section({
    id: "create-key",
    title: "LocalKeyProvider.createKey against node:crypto",
    items: [1],
  });
  for (const { alg, sizeBits, baseline, name, timeScale } of CASES) {
    const spec = sizeBits === undefined ? { alg } : { alg, sizeBits };
    await section.compare({
      operation: `createKey ${alg}${sizeBits === undefined ? "" : ` (${sizeBits})`}`,
      ours: creator(spec),
      baseline,
      baselineName: `node:crypto ${name ?? "generateKeyPair"}`,
      target: targets.atMost(1.1),
      timeScale,
    });
  }
  // What a KeyRef holds beyond the bare key, done by hand: a random kid, the public key as a JWK and
  // its RFC 7638 thumbprint (SHA-256) as the fingerprint. Ours also stores the version and
  // freezes the ref; these rows show how much of the overhead above is that work.
  await section.compare({
    operation: "createKey ED25519",
    ours: creator({ alg: "ED25519" }),
    baseline: async () => {
      const { publicKey } = await generate("ed25519");
      const kid = randomBytes(16).toString("hex");
      // Not publicKey.export({ type: "spki" }): OpenSSL 3's encoder takes longer than generating the
      // key (about 95 µs here); ours builds the SPKI from the fixed prefix and x, as a user could.
      const { crv, kty, x } = publicKey.export({ format: "jwk" });
      const thumbprint = createHash("sha256").update(JSON.stringify({ crv, kty, x })).digest("base64url");
      return { kid, jwk: { crv, kty, x, kid }, thumbprint };
    },
    baselineName: "node:crypto generateKeyPair + kid + JWK + thumbprint",
  });
  await section.compare({
    operation: "createKey AES256_GCM",
    ours: creator({ alg: "AES256_GCM" }),
    baseline: () => {
      const bytes = randomBytes(32);
      const key = createSecretKey(bytes);
      const kid = randomBytes(16).toString("hex");
      const thumbprint = createHash("sha256")
        .update(JSON.stringify({ k: bytes.toString("base64url"), kty: "oct" }))
        .digest("base64url");
      return { kid, key, material: Uint8Array.from(bytes), thumbprint };
    },
    baselineName: "randomBytes + createSecretKey + kid + copy of the key + JWK thumbprint",
  });
  section.note(
    "RSA key generation searches for primes, so its time per key varies by a factor of several from one key " +
      "to the next; its ratio is the noisiest in the table even with a longer measurement.",
  );
}
