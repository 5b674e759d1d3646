import { generateKeyPairSync, type KeyObject } from "node:crypto";
import type { KeySpec } from "@keyprovider/core";
import type { ImportFixture } from "@keyprovider/testkit";

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const bytes = (b: Buffer | string): Uint8Array => (typeof b === "string" ? text(b) : new Uint8Array(b));

/** One spec per algorithm (default uses), exportable so tests can compare material. RSA at 2048 bits: quick to make. */
export const specs = {
  ed25519: { alg: "ED25519", exportPolicy: "secret_when_allowed" },
  x25519: { alg: "X25519", exportPolicy: "secret_when_allowed" },
  p256: { alg: "ECDSA_P256_SHA256", exportPolicy: "secret_when_allowed" },
  p384: { alg: "ECDSA_P384_SHA384", exportPolicy: "secret_when_allowed" },
  p521: { alg: "ECDSA_P521_SHA512", exportPolicy: "secret_when_allowed" },
  pss: { alg: "RSA_PSS_SHA256", exportPolicy: "secret_when_allowed", sizeBits: 2048 },
  pss384: { alg: "RSA_PSS_SHA384", exportPolicy: "secret_when_allowed", sizeBits: 2048 },
  pss512: { alg: "RSA_PSS_SHA512", exportPolicy: "secret_when_allowed", sizeBits: 2048 },
  rs256: { alg: "RSA_PKCS1_SHA256", exportPolicy: "secret_when_allowed", sizeBits: 2048 },
  rs384: { alg: "RSA_PKCS1_SHA384", exportPolicy: "secret_when_allowed", sizeBits: 2048 },
  rs512: { alg: "RSA_PKCS1_SHA512", exportPolicy: "secret_when_allowed", sizeBits: 2048 },
  oaep: { alg: "RSA_OAEP_SHA256", exportPolicy: "secret_when_allowed", sizeBits: 2048 },
  aes: { alg: "AES256_GCM", exportPolicy: "secret_when_allowed" },
  hmac: { alg: "HMAC_SHA256", exportPolicy: "secret_when_allowed" },
} as const satisfies Record<string, KeySpec>;

/** RSA specs without sizeBits: the size comes from the key (imports) or the default (3072). */
export const anySize = {
  pss: { alg: "RSA_PSS_SHA256", exportPolicy: "secret_when_allowed" },
  oaep: { alg: "RSA_OAEP_SHA256", exportPolicy: "secret_when_allowed" },
  rs256: { alg: "RS256", exportPolicy: "secret_when_allowed" },
} as const satisfies Record<string, KeySpec>;

export const pkcs8Pem = (key: KeyObject) => bytes(key.export({ type: "pkcs8", format: "pem" }));
export const pkcs8Der = (key: KeyObject) => bytes(key.export({ type: "pkcs8", format: "der" }));
export const spkiPem = (key: KeyObject) => bytes(key.export({ type: "spki", format: "pem" }));
const spkiDer = (key: KeyObject) => bytes(key.export({ type: "spki", format: "der" }));
const jwkJson = (key: KeyObject, extra: Record<string, unknown> = {}) =>
  text(JSON.stringify({ ...key.export({ format: "jwk" }), ...extra }));
const rawMember = (key: KeyObject, member: "d" | "x") =>
  new Uint8Array(Buffer.from(key.export({ format: "jwk" })[member]!, "base64url"));

export const keys = {
  ed25519: generateKeyPairSync("ed25519"),
  ed25519Other: generateKeyPairSync("ed25519"),
  x25519: generateKeyPairSync("x25519"),
  p256: generateKeyPairSync("ec", { namedCurve: "P-256" }),
  p384: generateKeyPairSync("ec", { namedCurve: "P-384" }),
  p521: generateKeyPairSync("ec", { namedCurve: "P-521" }),
  rsa: generateKeyPairSync("rsa", { modulusLength: 2048 }),
  rsa1024: generateKeyPairSync("rsa", { modulusLength: 1024 }),
  rsaPssRestricted: generateKeyPairSync("rsa-pss", { modulusLength: 2048 }),
};
const secret32 = new Uint8Array(32).map((_, i) => (i * 41 + 3) & 0xff);
const secret64 = new Uint8Array(64).map((_, i) => (i * 13 + 5) & 0xff);

/** Every import format LocalKeyProvider accepts, for every algorithm. */
export const importFixtures: ImportFixture[] = [
  { name: "Ed25519 PKCS#8 PEM", spec: specs.ed25519, material: pkcs8Pem(keys.ed25519.privateKey) },
  { name: "Ed25519 PKCS#8 DER", spec: specs.ed25519, material: pkcs8Der(keys.ed25519.privateKey) },
  {
    name: "Ed25519 raw 32-byte seed",
    spec: specs.ed25519,
    material: rawMember(keys.ed25519.privateKey, "d"),
  },
  {
    name: "Ed25519 private JWK",
    spec: specs.ed25519,
    material: jwkJson(keys.ed25519.privateKey, { alg: "EdDSA" }),
  },
  {
    name: "Ed25519 PEM pair (material and public)",
    spec: specs.ed25519,
    material: pkcs8Pem(keys.ed25519.privateKey),
    public: spkiPem(keys.ed25519.publicKey),
  },
  { name: "Ed25519 public-only SPKI PEM", spec: specs.ed25519, public: spkiPem(keys.ed25519.publicKey) },
  {
    name: "Ed25519 public-only raw 32 bytes",
    spec: specs.ed25519,
    public: rawMember(keys.ed25519.publicKey, "x"),
  },
  { name: "Ed25519 public-only JWK", spec: specs.ed25519, public: jwkJson(keys.ed25519.publicKey) },
  { name: "X25519 PKCS#8 PEM", spec: specs.x25519, material: pkcs8Pem(keys.x25519.privateKey) },
  { name: "X25519 raw 32-byte key", spec: specs.x25519, material: rawMember(keys.x25519.privateKey, "d") },
  { name: "X25519 private JWK", spec: specs.x25519, material: jwkJson(keys.x25519.privateKey) },
  { name: "X25519 public-only SPKI DER", spec: specs.x25519, public: spkiDer(keys.x25519.publicKey) },
  { name: "P-256 PKCS#8 PEM", spec: specs.p256, material: pkcs8Pem(keys.p256.privateKey) },
  {
    name: "P-256 SEC1 PEM",
    spec: specs.p256,
    material: bytes(keys.p256.privateKey.export({ type: "sec1", format: "pem" })),
  },
  { name: "P-256 PKCS#8 DER", spec: specs.p256, material: pkcs8Der(keys.p256.privateKey) },
  {
    name: "P-256 private JWK",
    spec: specs.p256,
    material: jwkJson(keys.p256.privateKey, { alg: "ES256", use: "sig" }),
  },
  { name: "P-256 public-only JWK", spec: specs.p256, public: jwkJson(keys.p256.publicKey) },
  {
    name: "P-384 SEC1 DER",
    spec: specs.p384,
    material: bytes(keys.p384.privateKey.export({ type: "sec1", format: "der" })),
  },
  { name: "P-384 public-only SPKI PEM", spec: specs.p384, public: spkiPem(keys.p384.publicKey) },
  { name: "P-521 private JWK", spec: specs.p521, material: jwkJson(keys.p521.privateKey, { alg: "ES512" }) },
  { name: "RSA-PSS PKCS#8 PEM", spec: specs.pss, material: pkcs8Pem(keys.rsa.privateKey) },
  {
    name: "RSA-PSS PKCS#1 PEM",
    spec: specs.pss,
    material: bytes(keys.rsa.privateKey.export({ type: "pkcs1", format: "pem" })),
  },
  { name: "RSA-PSS private JWK", spec: specs.pss, material: jwkJson(keys.rsa.privateKey, { alg: "PS256" }) },
  { name: "PS512 PKCS#8 DER", spec: specs.pss512, material: pkcs8Der(keys.rsa.privateKey) },
  {
    name: "RS256 private JWK",
    spec: specs.rs256,
    material: jwkJson(keys.rsa.privateKey, { alg: "RS256", use: "sig" }),
  },
  { name: "RS384 public-only JWK", spec: specs.rs384, public: jwkJson(keys.rsa.publicKey, { alg: "RS384" }) },
  { name: "RSA-OAEP PKCS#8 DER", spec: specs.oaep, material: pkcs8Der(keys.rsa.privateKey) },
  {
    name: "RSA-OAEP public-only PKCS#1 PEM",
    spec: specs.oaep,
    public: bytes(keys.rsa.publicKey.export({ type: "pkcs1", format: "pem" })),
  },
  { name: "AES-256-GCM raw 32 bytes", spec: specs.aes, material: secret32 },
  {
    name: "AES-256-GCM oct JWK",
    spec: specs.aes,
    material: text(
      JSON.stringify({ kty: "oct", k: Buffer.from(secret32).toString("base64url"), alg: "A256GCM" }),
    ),
    secrets: [secret32],
  },
  { name: "HMAC-SHA256 raw 64 bytes", spec: specs.hmac, material: secret64 },
];

/** Material LocalKeyProvider must refuse; the secrets in it must not appear in the errors. */
export const invalidFixtures: ImportFixture[] = [
  {
    name: "a public key that does not belong to the private key",
    spec: specs.ed25519,
    material: pkcs8Pem(keys.ed25519.privateKey),
    public: spkiPem(keys.ed25519Other.publicKey),
  },
  {
    name: "an Ed25519 key imported as ECDSA_P256_SHA256",
    spec: specs.p256,
    material: pkcs8Pem(keys.ed25519.privateKey),
  },
  {
    name: "a P-384 key imported as ECDSA_P256_SHA256",
    spec: specs.p256,
    material: pkcs8Pem(keys.p384.privateKey),
  },
  { name: "a 1024-bit RSA key", spec: anySize.pss, material: pkcs8Pem(keys.rsa1024.privateKey) },
  {
    name: "a 2048-bit RSA key with sizeBits 4096",
    spec: { ...specs.pss, sizeBits: 4096 },
    material: pkcs8Pem(keys.rsa.privateKey),
  },
  {
    name: "an RSASSA-PSS-restricted key",
    spec: specs.pss,
    material: pkcs8Pem(keys.rsaPssRestricted.privateKey),
  },
  {
    name: "an encrypted PEM",
    spec: specs.p256,
    material: bytes(
      keys.p256.privateKey.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pw" }),
    ),
    secrets: [pkcs8Der(keys.p256.privateKey)],
  },
  {
    name: "a public PEM passed as material",
    spec: specs.ed25519,
    material: spkiPem(keys.ed25519.publicKey),
    secrets: [],
  },
  { name: "a private PEM passed as public", spec: specs.ed25519, public: pkcs8Pem(keys.ed25519.privateKey) },
  {
    name: "a private JWK whose x is another key's",
    spec: specs.ed25519,
    material: text(
      JSON.stringify({
        ...keys.ed25519.privateKey.export({ format: "jwk" }),
        x: keys.ed25519Other.publicKey.export({ format: "jwk" }).x,
      }),
    ),
  },
  {
    name: "a JWK pinned to RS256 imported as RSA_PSS_SHA256",
    spec: specs.pss,
    material: jwkJson(keys.rsa.privateKey, { alg: "RS256" }),
  },
  {
    name: "a 31-byte Ed25519 seed",
    spec: specs.ed25519,
    material: rawMember(keys.ed25519.privateKey, "d").slice(1),
  },
  { name: "a public part on an AES key", spec: specs.aes, material: secret32, public: secret64 },
  {
    name: "an all-zero X25519 public key (a low-order point)",
    spec: specs.x25519,
    public: new Uint8Array(32),
  },
];
