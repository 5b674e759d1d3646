import { InvalidKeyMaterialError, type KeySpec } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { b64url, parseJwkJson, symmetricSecretFromImport, validateKeySpec } from "./index.js";

const aes = validateKeySpec(
  { klass: "sym", alg: "AES256_GCM", uses: ["encrypt"], exportPolicy: "none" } satisfies KeySpec,
  { purpose: "import" },
);
const hmac = validateKeySpec(
  { klass: "sym", alg: "HMAC_SHA256", uses: ["sign"], exportPolicy: "none" } satisfies KeySpec,
  { purpose: "import" },
);
const text = (s: string) => new TextEncoder().encode(s);

describe("symmetricSecretFromImport", () => {
  it("takes raw bytes of the right size", () => {
    expect(symmetricSecretFromImport(aes, new Uint8Array(32))).toHaveLength(32);
    expect(symmetricSecretFromImport(hmac, new Uint8Array(64))).toHaveLength(64);
  });

  it("takes a raw AES key even when its first byte is '{'", () => {
    const key = new Uint8Array(32).fill(0x7b);
    expect(symmetricSecretFromImport(aes, key)).toEqual(key);
  });

  it("takes an oct JWK", () => {
    const k = new Uint8Array(32).fill(1);
    expect(
      symmetricSecretFromImport(aes, text(JSON.stringify({ kty: "oct", k: b64url(k), alg: "A256GCM" }))),
    ).toEqual(k);
    expect(
      symmetricSecretFromImport(hmac, text(` {"kty":"oct","k":"${b64url(k)}","alg":"HS256","use":"sig"}`)),
    ).toEqual(k);
  });

  it.each([
    [aes, new Uint8Array(16), "AES256_GCM keys are exactly 32 bytes, got 16"],
    [
      hmac,
      new Uint8Array(16),
      "HMAC_SHA256 keys must be 32 to 65536 bytes (RFC 7518 §3.2 requires at least the hash size), got 16",
    ],
    [aes, text('{"kty":"RSA","n":"xyz","e":"AQAB"}'), 'must be an "oct" JWK, got kty "RSA"'],
    [aes, text('{"kty":"oct","k":"not base64url!"}'), 'no valid base64url "k"'],
    [
      hmac,
      text(`{"kty":"oct","k":"${b64url(new Uint8Array(32))}","alg":"A256GCM"}`),
      'The JWK is for alg "A256GCM", which is not HMAC_SHA256',
    ],
    [
      aes,
      text(`{"kty":"oct","k":"${b64url(new Uint8Array(32))}","use":"sig"}`),
      'The JWK has use "sig", but AES256_GCM keys are for "enc"',
    ],
  ] as const)("refuses bad material (%#)", (spec, material, message) => {
    expect(() => symmetricSecretFromImport(spec, material)).toThrow(InvalidKeyMaterialError);
    expect(() => symmetricSecretFromImport(spec, material)).toThrow(message);
  });
});

describe("parseJwkJson", () => {
  it("refuses text that looks like JSON or PEM instead of using it as the key", () => {
    const jsonish = text(`{"kty":"oct","k":"${b64url(new Uint8Array(40))}",}`); // trailing comma
    expect(() => symmetricSecretFromImport(hmac, jsonish)).toThrow("looks like JSON but is not a JWK");
    expect(() => symmetricSecretFromImport(hmac, text(`{"k":"${b64url(new Uint8Array(40))}"}`))).toThrow(
      "looks like JSON",
    );
    const pem = text(
      "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBm6jmP6iQW2dvzzBU0zZSZyVbFd8K2r4N7mDc0c9H3v\n-----END PRIVATE KEY-----\n",
    );
    expect(() => symmetricSecretFromImport(hmac, pem)).toThrow("A PEM document is not a HMAC_SHA256 key");
    expect(() => symmetricSecretFromImport(hmac, new Uint8Array(65_537))).toThrow("at most 65536 bytes");
  });

  it("recognises only JSON objects with kty", () => {
    expect(parseJwkJson(text('{"kty":"oct"}'))).toEqual({ kty: "oct" });
    expect(parseJwkJson(text('{"k":"x"}'))).toBeUndefined();
    expect(parseJwkJson(text("-----BEGIN PRIVATE KEY-----"))).toBeUndefined();
    expect(parseJwkJson(new Uint8Array([0x7b, 0xff, 0xfe]))).toBeUndefined();
    expect(parseJwkJson(text("[1]"))).toBeUndefined();
  });
});
