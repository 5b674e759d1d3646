import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { ALGORITHMS } from "@keyprovider/base";
import { KeyAlg, KeyType, type KeySpec } from "@keyprovider/core";
import { InMemoryKeyProvider } from "@keyprovider/inmemory";
import { LocalKeyProvider } from "@keyprovider/local";
import { describeKeyProvider, type ImportFixture } from "@keyprovider/testkit";
import { MirroredKeyProvider } from "./index.js";

const bytes = (value: string | Buffer) => new Uint8Array(Buffer.from(value));
const pkcs8 = (key: KeyObject, format: "pem" | "der") =>
  bytes(key.export({ type: "pkcs8", format: format as "pem" }));
const spki = (key: KeyObject, format: "pem" | "der") =>
  bytes(key.export({ type: "spki", format: format as "pem" }));
const pattern = (length: number, seed: number) =>
  new Uint8Array(length).map((_, i) => (i * 31 + seed) & 0xff);

const ed25519 = generateKeyPairSync("ed25519");
const other = generateKeyPairSync("ed25519");
const x25519 = generateKeyPairSync("x25519");
const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const aes: KeySpec = { alg: "AES256_GCM" };
const hmac: KeySpec = { alg: "HMAC_SHA256" };

/** One fixture per kind of key and form; the testkit derives every other import form itself. */
const localImports: ImportFixture[] = [
  {
    name: "Ed25519 PKCS#8 PEM with its public key",
    spec: { alg: "EdDSA" },
    material: pkcs8(ed25519.privateKey, "pem"),
    public: spki(ed25519.publicKey, "pem"),
  },
  { name: "Ed25519 public-only SPKI DER", spec: { alg: "EdDSA" }, public: spki(ed25519.publicKey, "der") },
  { name: "X25519 PKCS#8 DER", spec: { alg: "X25519" }, material: pkcs8(x25519.privateKey, "der") },
  {
    name: "P-256 private JWK",
    spec: { alg: "ES256" },
    material: bytes(JSON.stringify(p256.privateKey.export({ format: "jwk" }))),
  },
  { name: "RSA-OAEP PKCS#8 DER", spec: { alg: "RSA-OAEP-256" }, material: pkcs8(rsa.privateKey, "der") },
  { name: "RS256 public-only SPKI PEM", spec: { alg: "RS256" }, public: spki(rsa.publicKey, "pem") },
  { name: "AES-256-GCM raw 32 bytes", spec: aes, material: pattern(32, 1) },
  { name: "HMAC-SHA256 raw 48 bytes", spec: hmac, material: pattern(48, 2) },
];
const invalidImports: ImportFixture[] = [
  { name: "a 31-byte AES key", spec: aes, material: pattern(31, 3) },
  {
    name: "an Ed25519 key with another key's public half",
    spec: { alg: "EdDSA" },
    material: pkcs8(ed25519.privateKey, "pem"),
    public: spki(other.publicKey, "pem"),
  },
];

/** Every algorithm (RSA at 2048 bits, to keep the run short), and the other encodings of key pairs. */
const everyAlgorithm: KeySpec[] = [
  ...Object.values(KeyAlg).map(
    (alg) => (ALGORITHMS[alg].type === KeyType.RSA ? { alg, sizeBits: 2048 } : { alg }) as KeySpec,
  ),
  { alg: "ED25519", encoding: "DER" },
  { alg: "X25519", publicFormat: "Raw", privateFormat: "Raw" },
  { alg: "ES512", encoding: "DER" },
];

// Local/Local: every algorithm, under both modes that copy.
for (const mirrorMode of ["public_only", "full"] as const) {
  describeKeyProvider(
    `MirroredKeyProvider (Local/Local, ${mirrorMode})`,
    () => new MirroredKeyProvider(new LocalKeyProvider(), new LocalKeyProvider(), { mirrorMode }),
    {
      keys: everyAlgorithm,
      imports: localImports,
      invalidImports,
      unsupported: [{ klass: "opaque", alg: "ED25519", uses: [] }],
    },
  );
}

// Local/InMemory: what both take is symmetric keys (InMemory holds no key pairs, Local no opaque
// keys), so the pair publishes no JWKs and copies in full mode only.
describeKeyProvider(
  "MirroredKeyProvider (Local/InMemory, full)",
  () => new MirroredKeyProvider(new LocalKeyProvider(), new InMemoryKeyProvider(), { mirrorMode: "full" }),
  {
    keys: [aes, hmac],
    imports: localImports.filter((fixture) => fixture.spec === aes || fixture.spec === hmac),
    invalidImports: invalidImports.filter((fixture) => fixture.spec === aes),
    unsupported: [{ alg: "ED25519" }, { klass: "opaque", alg: "ED25519", uses: [] }],
  },
);
