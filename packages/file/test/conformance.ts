// The conformance suite's settings for FileKeyProvider, shared by the suite on a fresh store per
// test and the one that restarts the provider before every call.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import type { ConformanceCapabilities, ImportFixture } from "@keyprovider/testkit";

const pairs = {
  ed25519: generateKeyPairSync("ed25519"),
  x25519: generateKeyPairSync("x25519"),
  p256: generateKeyPairSync("ec", { namedCurve: "P-256" }),
  p521: generateKeyPairSync("ec", { namedCurve: "P-521" }),
  rsa: generateKeyPairSync("rsa", { modulusLength: 2048 }),
};
const pem = (value: string | Buffer) => new Uint8Array(Buffer.from(value));
const secret = new Uint8Array(randomBytes(32));
const imports: ImportFixture[] = [
  {
    name: "Ed25519 PKCS#8 PEM",
    spec: { alg: "ED25519" },
    material: pem(pairs.ed25519.privateKey.export({ type: "pkcs8", format: "pem" })),
  },
  {
    name: "X25519 KeyObject",
    spec: { alg: "X25519" },
    material: pairs.x25519.privateKey,
    secrets: [pem(pairs.x25519.privateKey.export({ type: "pkcs8", format: "der" }))],
  },
  {
    name: "P-256 private JWK",
    spec: { alg: "ES256" },
    material: pairs.p256.privateKey.export({ format: "jwk" }) as never,
    secrets: [pem(pairs.p256.privateKey.export({ type: "pkcs8", format: "der" }))],
  },
  {
    name: "P-521 SEC1 DER",
    spec: { alg: "ES512" },
    material: pem(pairs.p521.privateKey.export({ type: "sec1", format: "der" })),
  },
  {
    name: "RSA PKCS#8 DER as PS256",
    spec: { alg: "PS256", sizeBits: 2048 },
    material: pem(pairs.rsa.privateKey.export({ type: "pkcs8", format: "der" })),
  },
  {
    name: "RSA-OAEP public-only SPKI PEM",
    spec: { alg: "RSA-OAEP-256", sizeBits: 2048 },
    public: pem(pairs.rsa.publicKey.export({ type: "spki", format: "pem" })),
  },
  {
    name: "Ed25519 public-only raw",
    spec: { alg: "ED25519" },
    public: pem(Buffer.from(pairs.ed25519.publicKey.export({ format: "jwk" }).x!, "base64url")),
    format: "raw",
  },
  { name: "AES-256-GCM raw 32 bytes", spec: { alg: "AES256_GCM" }, material: secret },
  { name: "HMAC-SHA256 raw 32 bytes", spec: { alg: "HMAC_SHA256" }, material: secret },
];

/** Every algorithm (RSA at 2048 bits), the Raw and DER encodings, and imports of every shape. */
export const CAPABILITIES: ConformanceCapabilities = {
  keys: [
    { alg: "ED25519" },
    { alg: "ED25519", publicFormat: "Raw", privateFormat: "Raw" },
    { alg: "X25519" },
    { alg: "ES256" },
    { alg: "ES384" },
    { alg: "ES512", encoding: "DER" },
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
  imports,
  unsupported: [{ klass: "opaque", alg: "ED25519", uses: [] }],
};
