import { readFileSync } from "node:fs";
import { createHmac, generateKeyPairSync, createSecretKey, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { b64urlDecode } from "./base64url.js";
import { toBytes } from "./encoding.js";
import { aesGcmOpen, aesGcmSeal, verifyWithKey } from "./key-operations.js";

describe("verifyWithKey", () => {
  const secret = createSecretKey(randomBytes(32));
  const data = new TextEncoder().encode("message");
  const tag = new Uint8Array(createHmac("sha256", secret).update(data).digest());

  it("accepts the HMAC tag and refuses any other, including truncated and extended tags", () => {
    expect(verifyWithKey("HMAC_SHA256", secret, data, tag)).toBe(true);
    const flipped = Uint8Array.from(tag);
    flipped[31]! ^= 1;
    expect(verifyWithKey("HMAC_SHA256", secret, data, flipped)).toBe(false);
    expect(verifyWithKey("HMAC_SHA256", secret, data, tag.subarray(0, 16))).toBe(false);
    expect(verifyWithKey("HMAC_SHA256", secret, data, new Uint8Array([...tag, 0]))).toBe(false);
    expect(verifyWithKey("HMAC_SHA256", secret, data, new Uint8Array(0))).toBe(false);
  });

  it("compares HMAC tags in constant time: timingSafeEqual, never ===, equals() or compare()", () => {
    // A timing test would be flaky; the rule is checked where it is written instead.
    const source = readFileSync(new URL("./key-operations.ts", import.meta.url), "utf8");
    const branch = source.slice(source.indexOf('info.scheme === "hmac"'), source.indexOf("nodeVerify("));
    expect(branch).toMatch(/return timingSafeEqual\(expected, signature\);/);
    expect(branch).not.toMatch(/\.equals\(|Buffer\.compare|===\s*signature|signature\s*===/);
  });

  it("answers false for a malformed signature of any length instead of throwing", () => {
    const { publicKey } = generateKeyPairSync("ed25519");
    for (const length of [0, 1, 63, 65, 1024]) {
      expect(verifyWithKey("ED25519", publicKey, data, new Uint8Array(length))).toBe(false);
    }
  });
});

describe("bytes handed to callers own their memory", () => {
  // A view into Node's shared 8 KiB Buffer pool would give a caller, through .buffer, whatever
  // else the pool holds: another key's secret, a passphrase.
  const owns = (bytes: Uint8Array) => bytes.byteOffset === 0 && bytes.buffer.byteLength === bytes.byteLength;

  it("aesGcmOpen, b64urlDecode and toBytes never return a slice of a larger buffer", () => {
    const key = randomBytes(32);
    const aad = new Uint8Array(0);
    const { nonce, body } = aesGcmSeal(key, new TextEncoder().encode("hello"), aad);
    expect(owns(body)).toBe(true);
    expect(owns(aesGcmOpen(key, nonce, body, aad))).toBe(true);
    expect(owns(b64urlDecode("AAECAwQ")!)).toBe(true);
    expect(owns(toBytes("a short string"))).toBe(true);
    expect(owns(toBytes(Buffer.concat([Buffer.from("a"), Buffer.from("b")])))).toBe(true);
  });
});

describe("aesGcmOpen", () => {
  it("returns the plaintext in an array of its own, never a view of Node's shared Buffer pool", () => {
    const key = createSecretKey(randomBytes(32));
    const aad = new Uint8Array([1, 2, 3]);
    for (const length of [0, 1, 100, 4_000]) {
      const plaintext = randomBytes(length);
      const { nonce, body } = aesGcmSeal(key, plaintext, aad);
      const opened = aesGcmOpen(key, nonce, body, aad);
      expect(Buffer.from(opened).equals(plaintext)).toBe(true);
      expect(opened.constructor).toBe(Uint8Array);
      expect(opened.byteOffset).toBe(0);
      expect(opened.buffer.byteLength).toBe(length);
    }
  });
});
