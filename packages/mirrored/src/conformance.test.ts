import type { KeySpec } from "@keyprovider/core";
import { InMemoryKeyProvider } from "@keyprovider/inmemory";
import { LocalKeyProvider } from "@keyprovider/local";
import { describeKeyProvider } from "@keyprovider/testkit";
import { MirroredKeyProvider } from "./index.js";

const specs = {
  ed25519: { klass: "asym", alg: "ED25519", uses: ["sign", "verify"], exportPolicy: "secret_when_allowed" },
  x25519: { klass: "asym", alg: "X25519", uses: ["wrap", "unwrap"], exportPolicy: "secret_when_allowed" },
  p256: {
    klass: "asym",
    alg: "ECDSA_P256_SHA256",
    uses: ["sign", "verify"],
    exportPolicy: "secret_when_allowed",
  },
  pss: {
    klass: "asym",
    alg: "RSA_PSS_SHA256",
    uses: ["sign", "verify"],
    exportPolicy: "secret_when_allowed",
    sizeBits: 2048,
  },
  oaep: {
    klass: "asym",
    alg: "RSA_OAEP_SHA256",
    uses: ["encrypt", "decrypt"],
    exportPolicy: "secret_when_allowed",
    sizeBits: 2048,
  },
  aes: { klass: "sym", alg: "AES256_GCM", uses: ["encrypt", "decrypt"], exportPolicy: "secret_when_allowed" },
  hmac: { klass: "sym", alg: "HMAC_SHA256", uses: ["sign", "verify"], exportPolicy: "secret_when_allowed" },
} as const satisfies Record<string, KeySpec>;

const pattern = (length: number, seed: number) =>
  new Uint8Array(length).map((_, i) => (i * 31 + seed) & 0xff);

// Local/Local: every algorithm, in both copying modes.
for (const mirrorMode of ["public_only", "full"] as const) {
  describeKeyProvider(
    `MirroredKeyProvider (Local/Local, ${mirrorMode})`,
    () => new MirroredKeyProvider(new LocalKeyProvider(), new LocalKeyProvider(), { mirrorMode }),
    {
      keys: [
        specs.ed25519,
        { ...specs.ed25519, encoding: "DER" },
        { ...specs.ed25519, publicFormat: "Raw", privateFormat: "Raw" },
        specs.x25519,
        specs.p256,
        specs.pss,
        specs.oaep,
        specs.aes,
        specs.hmac,
      ],
      publishesJwks: true,
      imports: [
        { name: "raw AES key", spec: specs.aes, material: pattern(32, 1) },
        {
          name: "raw Ed25519 seed",
          spec: { ...specs.ed25519, privateFormat: "Raw" },
          material: pattern(32, 2),
        },
      ],
      unsupported: [{ klass: "opaque", alg: "ED25519", uses: [], exportPolicy: "none" }],
    },
  );
}

// Local/InMemory: what both take is symmetric keys (InMemory holds no key pairs, Local no opaque keys).
describeKeyProvider(
  "MirroredKeyProvider (Local/InMemory, full)",
  () => new MirroredKeyProvider(new LocalKeyProvider(), new InMemoryKeyProvider(), { mirrorMode: "full" }),
  {
    keys: [specs.aes, specs.hmac],
    publishesJwks: false,
    imports: [{ name: "raw AES key", spec: specs.aes, material: pattern(32, 3) }],
    invalidImports: [{ name: "a 31-byte AES key", spec: specs.aes, material: pattern(31, 4) }],
    unsupported: [
      { klass: "asym", alg: "ED25519", uses: ["sign"], exportPolicy: "none" },
      { klass: "opaque", alg: "ED25519", uses: [], exportPolicy: "none" },
    ],
  },
);
