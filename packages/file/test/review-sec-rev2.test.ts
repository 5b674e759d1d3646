// Security review (rev2): failing tests for defects found in @keyprovider/file. Each test states
// the attack, and fails on the code as reviewed. Two FileKeyProvider instances on one directory
// stand for two processes: each has its own caches and data keys, exactly as another process would.
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileKeyProvider } from "../src/index.js";
import { freshProvider, storeDirectory } from "./helpers.js";

const message = new TextEncoder().encode("review");

describe("review-sec rev2: a data-key rotation by another process", () => {
  it("a key created by a process that opened the store before another process rotated the data key is readable by every other process", async () => {
    const { provider: a, directory, kek } = await freshProvider();
    await a.createKey({ alg: "ED25519" }); // A has the store open: it holds data key K1
    const b = new FileKeyProvider({ directory, kek });
    await b.rekey({ kek, rotateDataKey: true }); // B: every file moves to K2; K1 leaves the header
    // Long after the rotation finished, A (a service that kept running) creates a key.
    const { kid } = await a.createKey({ alg: "ED25519" });
    const signature = await a.sign(kid, message);
    // Any other process, or A itself after a restart, must be able to use it.
    const restarted = new FileKeyProvider({ directory, kek });
    expect(await restarted.verify(kid, message, signature)).toBe(true);
  });

  it("a KEK change by a process that opened the store before another process rotated the data key keeps the store readable", async () => {
    const { provider: a, directory, kek } = await freshProvider();
    const { kid } = await a.createKey({ alg: "ED25519" });
    const signature = await a.sign(kid, message);
    const b = new FileKeyProvider({ directory, kek });
    await b.rekey({ kek, rotateDataKey: true }); // every file now sealed under K2 only
    // Later, an operator changes the KEK through the long-running process A (it still holds K1).
    const next = { key: new Uint8Array(32).fill(7) };
    await a.rekey({ kek: next });
    const reopened = new FileKeyProvider({ directory, kek: next });
    // The store must still open and serve the key (A wrote a header holding only K1 instead).
    expect(await reopened.verify(kid, message, signature)).toBe(true);
  });
});

describe("review-sec rev2: destroyed material and a data-key rotation", () => {
  it("rekey({ rotateDataKey: true }) does not carry a destroyed version's record forward under the new data key", async () => {
    const { provider, directory, kek } = await freshProvider();
    const { kid } = await provider.createKey({ alg: "ED25519", exportPolicy: "secret_when_allowed" });
    await provider.rotateKey(kid);
    const v1 = join(directory, "keys", kid, "v1");
    const record = await readFile(v1);
    await provider.destroyKey(kid, 1);
    // As a destroy interrupted between its commit and its tombstone leaves it (or a record restored
    // over its tombstone): the list says destroyed, the file still holds the sealed private key.
    await writeFile(v1, record, { mode: 0o600 });
    // The operator rotates the data key so that the material of destroyed versions becomes useless
    // (README, Threat model: "rekey({ kek, rotateDataKey: true }) makes them useless").
    await new FileKeyProvider({ directory, kek }).rekey({ kek, rotateDataKey: true });
    const meta = JSON.parse((await readFile(v1, "utf8")).split("\n")[0]!) as { type: string };
    // Instead the destroyed record is re-encrypted under the new (and only) data key: the destroyed
    // private key stays decryptable with the current header and KEK.
    expect(meta.type).toBe("tombstone");
  });
});

describe("review-sec rev2: what decrypt's result carries", () => {
  it("the plaintext decrypt returns is not a view into memory that holds the passphrase or another key's secret", async () => {
    const directory = await storeDirectory();
    const passphrase = "correct horse battery staple, the store's KEK";
    const kek = { passphrase, scrypt: { N: 2 ** 15 } };
    const hmac = new Uint8Array(randomBytes(32));
    const setup = new FileKeyProvider({ directory, kek });
    const { kid } = await setup.createKey({ alg: "AES256_GCM" });
    const mac = await setup.importKey({ alg: "HMAC_SHA256", exportPolicy: "none" }, hmac);
    const ciphertext = await setup.encrypt(kid, new TextEncoder().encode("hello"));
    // A service starts, uses its keys, and hands a decrypted value on as an ArrayBuffer (postMessage,
    // a WebSocket send, new Response(...), crypto.subtle.importKey("raw", ...) all take one).
    const service = new FileKeyProvider({ directory, kek });
    await service.sign(mac.kid, new TextEncoder().encode("x"));
    const plaintext = await service.decrypt(kid, ciphertext);
    const handedOn = Buffer.from(plaintext.buffer);
    // The result is a 5-byte view into Node's shared 8 KiB Buffer pool, and that slab also holds the
    // scrypt input (the passphrase, never zeroed) and the non-exportable HMAC key's secret.
    expect(handedOn.includes(Buffer.from(passphrase))).toBe(false);
    expect(handedOn.includes(Buffer.from(hmac))).toBe(false);
    expect(plaintext.buffer.byteLength).toBe(plaintext.byteLength);
  });
});
