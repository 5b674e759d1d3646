import { createPublicKey, generateKeyPairSync, webcrypto } from "node:crypto";
import { InvalidKeyMaterialError, type KeySpec } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { parseKeyImport, parsePublicKey, validateKeySpec } from "./index.js";

const spec = (s: KeySpec) => validateKeySpec(s, { purpose: "import" });
const rsaSign = spec({ alg: "RS256" });
const x25519 = spec({ alg: "X25519" });
const ed = spec({ alg: "ED25519" });

describe("hardening against bad public keys", () => {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = publicKey.export({ format: "jwk" });

  it("refuses an RSA exponent of 1, which makes any signature verify", () => {
    expect(() => parsePublicKey(rsaSign, { ...jwk, e: "AQ" } as never, {})).toThrow(/1 or even/);
    expect(() =>
      parsePublicKey(rsaSign, { ...jwk, e: "AQ" } as never, { allowSmallRsaExponent: true }),
    ).toThrow(InvalidKeyMaterialError);
  });

  it("refuses even exponents always, and small odd ones unless allowed", () => {
    expect(() =>
      parsePublicKey(rsaSign, { ...jwk, e: "BA" } as never, { allowSmallRsaExponent: true }),
    ).toThrow(/1 or even/);
    expect(() => parsePublicKey(rsaSign, { ...jwk, e: "Aw" } as never, {})).toThrow(/allowSmallRsaExponent/);
    expect(parsePublicKey(rsaSign, { ...jwk, e: "Aw" } as never, { allowSmallRsaExponent: true }).type).toBe(
      "public",
    );
    expect(parsePublicKey(rsaSign, jwk as never, {}).type).toBe("public");
  });

  it("refuses the low-order points of Curve25519, however they are encoded", () => {
    const lowOrder = [
      "0000000000000000000000000000000000000000000000000000000000000000",
      "0100000000000000000000000000000000000000000000000000000000000000",
      "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
      "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
      "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
      "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ];
    for (const hex of lowOrder) {
      expect(() => parsePublicKey(x25519, new Uint8Array(Buffer.from(hex, "hex")), {}), hex).toThrow(
        /low-order/,
      );
    }
    const { publicKey: good } = generateKeyPairSync("x25519");
    expect(parsePublicKey(x25519, good, {}).asymmetricKeyType).toBe("x25519");
  });
});

describe("keys in the forms users hold", () => {
  it("takes a KeyObject, a CryptoKey, a JWK object, a PEM string and bytes with a format", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const expected = publicKey.export({ format: "jwk" });
    const crypto = await webcrypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
    const sealed = await webcrypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    const inputs = [
      privateKey,
      privateKey.export({ format: "jwk" }),
      privateKey.export({ type: "pkcs8", format: "pem" }),
      new Uint8Array(privateKey.export({ type: "pkcs8", format: "der" })),
    ];
    for (const input of inputs) {
      const parsed = parseKeyImport(ed, input as never, undefined, {});
      expect(parsed.publicKey!.export({ format: "jwk" })).toEqual(expected);
    }
    const fromCrypto = parseKeyImport(ed, (crypto as webcrypto.CryptoKeyPair).privateKey, undefined, {});
    expect(fromCrypto.privateKey!.asymmetricKeyType).toBe("ed25519");
    // A non-extractable CryptoKey's holder said its secret stays in it: node could read it, we do not.
    expect(() => parseKeyImport(ed, (sealed as webcrypto.CryptoKeyPair).privateKey, undefined, {})).toThrow(
      /non-extractable/,
    );
    const raw = new Uint8Array(Buffer.from(privateKey.export({ format: "jwk" }).d!, "base64url"));
    expect(
      parseKeyImport(ed, raw, undefined, { format: "raw" }).publicKey!.export({ format: "jwk" }),
    ).toEqual(expected);
    expect(
      parseKeyImport(ed, undefined, publicKey.export({ type: "spki", format: "pem" }) as string, {})
        .privateKey,
    ).toBeUndefined();
  });

  it("says what to do with a string that is neither PEM nor JWK, or a public key as material", () => {
    expect(() => parseKeyImport(ed, "c2VjcmV0", undefined, {})).toThrow(/PEM or JWK JSON/);
    const { publicKey } = generateKeyPairSync("ed25519");
    expect(() => parseKeyImport(ed, publicKey, undefined, {})).toThrow(/import it as options.public/);
    expect(() => parseKeyImport(ed, undefined, generateKeyPairSync("ed25519").privateKey, {})).toThrow(
      /holds a private key/,
    );
    expect(() =>
      parseKeyImport(ed, createPublicKey(generateKeyPairSync("x25519").privateKey), undefined, {}),
    ).toThrow(InvalidKeyMaterialError);
  });
});
