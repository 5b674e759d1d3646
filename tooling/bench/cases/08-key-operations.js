// Issue 12, item 8 (key operations): the provider's sign per algorithm against node:crypto's sign on
// the same KeyObject, in the same JOSE form; AES-256-GCM encrypt and decrypt of 1 KiB against
// createCipheriv/createDecipheriv, where the baseline also keeps its nonce with the ciphertext.
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  randomBytes,
  sign,
} from "node:crypto";
import { Buffer } from "node:buffer";
import { LocalKeyProvider } from "@keyprovider/local";
import { targets } from "../harness.js";

const P1363 = { dsaEncoding: "ieee-p1363" };
const SIGNERS = [
  { alg: "ED25519", generate: () => generateKeyPairSync("ed25519"), hash: null, options: {} },
  {
    alg: "ECDSA_P256_SHA256",
    generate: () => generateKeyPairSync("ec", { namedCurve: "P-256" }),
    hash: "sha256",
    options: P1363,
  },
  {
    alg: "ECDSA_P384_SHA384",
    generate: () => generateKeyPairSync("ec", { namedCurve: "P-384" }),
    hash: "sha384",
    options: P1363,
  },
  {
    alg: "ECDSA_P521_SHA512",
    generate: () => generateKeyPairSync("ec", { namedCurve: "P-521" }),
    hash: "sha512",
    options: P1363,
  },
  {
    alg: "RSA_PSS_SHA256",
    generate: () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
    hash: "sha256",
    options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
  },
  {
    alg: "RSA_PKCS1_SHA256",
    generate: () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
    hash: "sha256",
    options: { padding: constants.RSA_PKCS1_PADDING },
  },
];

export default async function keyOperationCases(bench) {
  const section = bench.section({
    id: "key-operations",
    title: "Key operations against node:crypto on the same key",
    items: [8],
  });
  const provider = new LocalKeyProvider();
  const message = randomBytes(64);
  for (const { alg, generate, hash, options } of SIGNERS) {
    const { privateKey } = generate();
    const { kid } = await provider.importKey({ alg }, privateKey);
    await section.compare({
      operation: `sign ${alg}${alg.startsWith("RSA") ? " (2048)" : ""}, 64 B`,
      ours: () => provider.sign(kid, message),
      baseline: () => sign(hash, message, { key: privateKey, ...options }),
      baselineName: "node:crypto sign",
      target: targets.atMost(1.1),
    });
  }
  const hmacKey = createSecretKey(randomBytes(32));
  const { kid: hmacKid } = await provider.importKey({ alg: "HMAC_SHA256" }, hmacKey);
  await section.compare({
    operation: "sign HMAC_SHA256, 64 B",
    ours: () => provider.sign(hmacKid, message),
    baseline: () => createHmac("sha256", hmacKey).update(message).digest(),
    baselineName: "node:crypto createHmac",
    target: targets.atMost(1.1),
  });

  // The floor of any Promise-returning API: the same HMAC, only returned from an async function.
  const hmacFloor = async () => createHmac("sha256", hmacKey).update(message).digest();
  await section.compare({
    operation: "(floor) createHmac inside an async function, 64 B",
    ours: hmacFloor,
    baseline: () => createHmac("sha256", hmacKey).update(message).digest(),
    baselineName: "node:crypto createHmac",
  });

  const aesKey = createSecretKey(randomBytes(32));
  const { kid: aesKid } = await provider.importKey({ alg: "AES256_GCM" }, aesKey);
  const kib = randomBytes(1024);
  await section.compare({
    operation: "encrypt AES256_GCM 1 KiB",
    ours: () => provider.encrypt(aesKid, kib),
    baseline: () => {
      const nonce = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", aesKey, nonce);
      return Buffer.concat([nonce, cipher.update(kib), cipher.final(), cipher.getAuthTag()]);
    },
    baselineName: "node:crypto createCipheriv, nonce ‖ ciphertext ‖ tag",
    target: targets.atMost(1.1),
  });
  const sealed = await provider.encrypt(aesKid, kib);
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", aesKey, nonce);
  const plain = Buffer.concat([nonce, cipher.update(kib), cipher.final(), cipher.getAuthTag()]);
  await section.compare({
    operation: "decrypt AES256_GCM 1 KiB",
    ours: () => provider.decrypt(aesKid, sealed),
    baseline: () => {
      const decipher = createDecipheriv("aes-256-gcm", aesKey, plain.subarray(0, 12));
      decipher.setAuthTag(plain.subarray(plain.length - 16));
      return Buffer.concat([decipher.update(plain.subarray(12, plain.length - 16)), decipher.final()]);
    },
    baselineName: "node:crypto createDecipheriv",
  });
}
