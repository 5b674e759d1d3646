import { generateKeyPairSync } from "node:crypto";
import { KeyUsageError, type KeySpec } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { describeKeyProvider, type ImportFixture } from "../src/index.js";
import { SealedKeyProvider } from "./sealed-key-provider.js";

const pattern = (length: number, seed: number) =>
  new Uint8Array(length).map((_, i) => (i * 29 + seed) & 0xff);
const ed25519 = generateKeyPairSync("ed25519");
const x25519 = generateKeyPairSync("x25519");
const pem = (text: string | Buffer) => new TextEncoder().encode(text.toString());

const imports: ImportFixture[] = [
  { name: "raw AES key", spec: { alg: "AES256_GCM" }, material: pattern(32, 1) },
  { name: "raw HMAC key of 48 bytes", spec: { alg: "HS256" }, material: pattern(48, 2) },
  {
    name: "Ed25519 PKCS#8 PEM",
    spec: { alg: "EdDSA" },
    material: pem(ed25519.privateKey.export({ type: "pkcs8", format: "pem" })),
  },
  {
    name: "Ed25519 public-only SPKI PEM",
    spec: { alg: "EdDSA" },
    public: pem(ed25519.publicKey.export({ type: "spki", format: "pem" })),
  },
  {
    name: "X25519 raw private key",
    spec: { alg: "X25519" },
    material: new Uint8Array(Buffer.from(x25519.privateKey.export({ format: "jwk" }).d!, "base64url")),
    format: "raw",
  },
];

// The networked settings: one provider shared by the whole suite (its kids destroyed afterwards),
// secrets that never export, fingerprints that are never hashes of secrets, fewer concurrent calls.
describeKeyProvider(
  "SealedKeyProvider (a KMS-shaped provider whose secrets never leave it)",
  () => new SealedKeyProvider(),
  {
    keys: [
      { alg: "ED25519" },
      { alg: "ES256" },
      { alg: "RSA_OAEP_SHA256", sizeBits: 2048 },
      { alg: "X25519" },
      { alg: "AES256_GCM" },
      { alg: "HMAC_SHA256" },
    ],
    exportPolicies: ["none", "public_only"],
    fingerprints: "scoped",
    provider: "shared",
    concurrency: 8,
    timeoutMs: 30_000,
    imports,
    invalidImports: [{ name: "a 31-byte AES key", spec: { alg: "AES256_GCM" }, material: pattern(31, 3) }],
    unsupported: [{ alg: "ES384" }, { klass: "opaque", alg: "HMAC_SHA256" }],
  },
);

describe("SealedKeyProvider", () => {
  it("refuses a key whose uses lack the operation before any operation hook runs", async () => {
    const provider = new SealedKeyProvider();
    const verifyOnly = await provider.createKey({ alg: "ED25519", uses: ["verify"] } satisfies KeySpec);
    const encryptOnly = await provider.createKey({ alg: "AES256_GCM", uses: ["encrypt"] });
    const sealed = await provider.encrypt(encryptOnly.kid, new Uint8Array(8));
    expect(provider.hookCalls("sealWith")).toBe(1);
    await expect(provider.sign(verifyOnly.kid, new Uint8Array(8))).rejects.toSatisfy((e: unknown) =>
      KeyUsageError.isInstance(e),
    );
    await expect(provider.decrypt(encryptOnly.kid, sealed)).rejects.toSatisfy((e: unknown) =>
      KeyUsageError.isInstance(e),
    );
    expect([provider.hookCalls("signWith"), provider.hookCalls("openWith")]).toEqual([0, 0]);
  });

  it("runs every operation through its own hooks", async () => {
    const provider = new SealedKeyProvider();
    const data = new TextEncoder().encode("data");
    const hmac = await provider.createKey({ alg: "HS256" });
    expect(await provider.verify(hmac.kid, data, await provider.sign(hmac.kid, data))).toBe(true);
    const rsa = await provider.createKey({ alg: "RSA-OAEP-256", sizeBits: 2048 });
    expect(await provider.decrypt(rsa.kid, await provider.encrypt(rsa.kid, data))).toEqual(data);
    const a = await provider.createKey({ alg: "X25519" });
    const b = await provider.createKey({ alg: "X25519" });
    const jwk = await provider.getPublicJwk(b.kid);
    expect(await provider.deriveSharedSecret(a.kid, jwk)).toHaveLength(32);
    for (const hook of ["signWith", "verifyMacWith", "unwrapWith", "agreeWith"] as const)
      expect(provider.hookCalls(hook), hook).toBe(1);
  });
});
