import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { InvalidKeyMaterialError } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import {
  b64urlDecode,
  ecdsaDerToJose,
  ecdsaJoseToDer,
  pemDecode,
  pemEncode,
  pemLabel,
  pkcs8FromRaw,
  rawFromPkcs8,
  rawFromSpki,
  spkiFromRaw,
} from "./index.js";

const text = (s: string) => new TextEncoder().encode(s);

describe("PEM", () => {
  it("encodes as OpenSSL does and decodes back", () => {
    const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const der = publicKey.export({ type: "spki", format: "der" });
    const pem = pemEncode("PUBLIC KEY", der);
    expect(pem).toBe(publicKey.export({ type: "spki", format: "pem" }));
    const decoded = pemDecode(pem)!;
    expect(decoded.label).toBe("PUBLIC KEY");
    expect(Buffer.from(decoded.der).equals(der)).toBe(true);
    expect(pemLabel(text(pem))).toBe("PUBLIC KEY");
  });

  it("decodes nothing but one well-formed block", () => {
    expect(pemDecode("not pem")).toBeUndefined();
    expect(pemDecode("-----BEGIN A-----\nAAAA\n-----END B-----\n")).toBeUndefined();
    expect(pemDecode("-----BEGIN A-----\nA*AA\n-----END A-----\n")).toBeUndefined();
    expect(pemDecode("-----BEGIN A-----\nProc-Type: 4,ENCRYPTED\nAAAA\n-----END A-----\n")).toBeUndefined();
  });
});

describe("raw keys and their fixed DER prefixes", () => {
  it.each([
    ["Ed25519", "ed25519"],
    ["X25519", "x25519"],
  ] as const)(
    "%s: SPKI and PKCS#8 from raw are byte-identical to OpenSSL over 300 random keys",
    (curve, type) => {
      for (let i = 0; i < 300; i += 1) {
        const { publicKey, privateKey } = generateKeyPairSync(type as "ed25519");
        const x = b64urlDecode(publicKey.export({ format: "jwk" }).x!)!;
        const d = b64urlDecode(privateKey.export({ format: "jwk" }).d!)!;
        const spki = publicKey.export({ type: "spki", format: "der" });
        expect(Buffer.from(spkiFromRaw(curve, x)).equals(spki)).toBe(true);
        expect(Buffer.from(rawFromSpki(curve, spki)!).equals(x)).toBe(true);
        const pkcs8 = privateKey.export({ type: "pkcs8", format: "der" });
        expect(Buffer.from(pkcs8FromRaw(curve, d)).equals(pkcs8)).toBe(true);
        expect(rawFromPkcs8(curve, pkcs8)).toEqual(new Uint8Array(d));
      }
    },
  );

  it.each([
    ["P-256", "prime256v1"],
    ["P-384", "secp384r1"],
    ["P-521", "secp521r1"],
  ] as const)("%s: the raw scalar d round-trips through PKCS#8 as the same key", (curve, named) => {
    for (let i = 0; i < 20; i += 1) {
      const { privateKey } = generateKeyPairSync("ec", { namedCurve: named });
      const jwk = privateKey.export({ format: "jwk" });
      const d = b64urlDecode(jwk.d!)!;
      const pkcs8 = pkcs8FromRaw(curve, d);
      const again = createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" }).export({
        format: "jwk",
      });
      expect([again.d, again.x, again.y]).toEqual([jwk.d, jwk.x, jwk.y]);
      expect(rawFromPkcs8(curve, privateKey.export({ type: "pkcs8", format: "der" }))).toEqual(
        new Uint8Array(d),
      );
    }
    expect(() => pkcs8FromRaw(curve, new Uint8Array(d0Length(curve)))).toThrow(InvalidKeyMaterialError); // d = 0
    expect(() => pkcs8FromRaw(curve, new Uint8Array(d0Length(curve)).fill(0xff))).toThrow(
      InvalidKeyMaterialError,
    ); // d > n
    expect(() => pkcs8FromRaw(curve, new Uint8Array(5))).toThrow(InvalidKeyMaterialError);
    const other = generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "der" });
    expect(rawFromPkcs8(curve, other)).toBeUndefined();
    expect(rawFromPkcs8(curve, new Uint8Array([0x30, 0x00]))).toBeUndefined();
  });

  it.each([
    ["P-256", "prime256v1"],
    ["P-384", "secp384r1"],
    ["P-521", "secp521r1"],
  ] as const)(
    "%s: SPKI from the uncompressed point is byte-identical to OpenSSL over 100 random keys",
    (curve, named) => {
      for (let i = 0; i < 100; i += 1) {
        const { publicKey } = generateKeyPairSync("ec", { namedCurve: named });
        const jwk = publicKey.export({ format: "jwk" });
        const point = Buffer.concat([Buffer.of(4), b64urlDecode(jwk.x!)!, b64urlDecode(jwk.y!)!]);
        const spki = publicKey.export({ type: "spki", format: "der" });
        expect(Buffer.from(spkiFromRaw(curve, point)).equals(spki)).toBe(true);
        expect(rawFromSpki(curve, spki)).toEqual(new Uint8Array(point));
      }
    },
  );

  it("refuses raw keys of the wrong length and DER of another curve", () => {
    expect(() => spkiFromRaw("Ed25519", new Uint8Array(31))).toThrow(InvalidKeyMaterialError);
    expect(() => pkcs8FromRaw("X25519", new Uint8Array(33))).toThrow(InvalidKeyMaterialError);
    const { publicKey } = generateKeyPairSync("ed25519");
    expect(rawFromSpki("X25519", publicKey.export({ type: "spki", format: "der" }))).toBeUndefined();
  });
});

describe("ECDSA signatures between DER and JOSE", () => {
  it.each([
    ["P-256", "prime256v1", "sha256", 32, 1000],
    ["P-384", "secp384r1", "sha384", 48, 100],
    ["P-521", "secp521r1", "sha512", 66, 60],
  ] as const)(
    "%s: agrees with node:crypto's dsaEncoding over many random signatures, short r and s included",
    (_curve, named, hash, size, count) => {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: named });
      let short = 0;
      for (let i = 0; i < count; i += 1) {
        const data = text(`message ${i}`);
        const der = sign(hash, data, privateKey);
        const jose = ecdsaDerToJose(der, size);
        expect(jose.length).toBe(2 * size);
        expect(verify(hash, data, { key: publicKey, dsaEncoding: "ieee-p1363" }, jose)).toBe(true);
        expect(Buffer.from(ecdsaJoseToDer(jose, size)).equals(der)).toBe(true);
        if (jose[0] === 0 || jose[size] === 0) short += 1;
        const p1363 = sign(hash, data, { key: privateKey, dsaEncoding: "ieee-p1363" });
        expect(verify(hash, data, publicKey, ecdsaJoseToDer(p1363, size))).toBe(true);
      }
      // Leading zero bytes (r or s shorter than the curve) appear about 1 time in 128 per half
      // (P-521's top byte is 0 or 1, so almost always).
      if (size !== 48) expect(short).toBeGreaterThan(0);
    },
  );

  it("keeps leading zeros and sign bytes right at the edges", () => {
    const zeroR = new Uint8Array(64);
    zeroR[31] = 1;
    zeroR[32] = 0x80;
    const der = ecdsaJoseToDer(zeroR, 32);
    expect(Buffer.from(der).toString("hex")).toBe(`3026020101022100${"80".padEnd(64, "0")}`);
    expect(ecdsaDerToJose(der, 32)).toEqual(zeroR);
  });

  it("refuses malformed DER", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const der = sign("sha256", text("x"), privateKey);
    const bad = [
      new Uint8Array(0),
      der.subarray(0, der.length - 1),
      Buffer.concat([der, Buffer.of(0)]),
      Buffer.from("3006020100020100", "hex"), // zero-length-ish but fine? r=0,s=0 is well-formed DER
      Buffer.from("30060201ff020101", "hex"), // negative r
      Buffer.from("3007020200010201 01".replace(" ", ""), "hex"), // non-minimal r
      Buffer.concat([Buffer.of(0x31), der.subarray(1)]), // not a SEQUENCE
    ];
    for (const [i, bytes] of bad.entries()) {
      if (i === 3) continue;
      expect(() => ecdsaDerToJose(bytes, 32), `case ${i}`).toThrow(InvalidKeyMaterialError);
    }
    expect(() => ecdsaJoseToDer(new Uint8Array(63), 32)).toThrow(InvalidKeyMaterialError);
  });

  it("round-trips keys through the raw forms", () => {
    const { privateKey } = generateKeyPairSync("ed25519");
    const seed = b64urlDecode(privateKey.export({ format: "jwk" }).d!)!;
    const again = createPrivateKey({
      key: Buffer.from(pkcs8FromRaw("Ed25519", seed)),
      format: "der",
      type: "pkcs8",
    });
    expect(createPublicKey(again).export({ format: "jwk" })).toEqual(
      createPublicKey(privateKey).export({ format: "jwk" }),
    );
  });
});

function d0Length(curve: "P-256" | "P-384" | "P-521"): number {
  return { "P-256": 32, "P-384": 48, "P-521": 66 }[curve];
}
