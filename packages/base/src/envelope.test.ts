import { DecryptionError } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { ENVELOPE_FORMAT, decodeEnvelope, encodeEnvelope, envelopeAad } from "./index.js";

const envelope = {
  alg: "RSA_OAEP_SHA256",
  kid: "k1",
  version: 7,
  wrappedKey: new Uint8Array([9, 9, 9]),
  nonce: new Uint8Array(12).fill(1),
  body: new Uint8Array([5, 6, 7, 8]),
} as const;

describe("the encryption envelope", () => {
  it("has the documented layout", () => {
    const bytes = encodeEnvelope(envelope);
    expect(Buffer.from(bytes).toString("hex")).toBe(
      [
        "6b70", // "kp"
        "01", // format
        "02", // RSA-OAEP-256 hybrid
        "0002",
        "6b31", // kid
        "00000007", // version
        "0003",
        "090909", // wrapped key
        "0c",
        "01".repeat(12), // nonce
        "05060708", // body
      ].join(""),
    );
    expect(bytes[2]).toBe(ENVELOPE_FORMAT);
    expect(decodeEnvelope(bytes)).toEqual({ ...envelope });
  });

  it("refuses every truncation and unknown format or algorithm with one DecryptionError", () => {
    const bytes = encodeEnvelope(envelope);
    const headerLength = bytes.length - envelope.body.length;
    for (let cut = 0; cut < headerLength; cut += 1) {
      expect(() => decodeEnvelope(bytes.subarray(0, cut))).toThrow(DecryptionError);
    }
    for (const [index, value] of [
      [0, 0x6a],
      [2, 2],
      [3, 9],
    ] as const) {
      const changed = bytes.slice();
      changed[index] = value;
      expect(() => decodeEnvelope(changed)).toThrow(new DecryptionError().message);
    }
  });

  it("builds the AAD in the documented layout: every field a u32 length and its bytes", () => {
    expect(Buffer.from(envelopeAad(envelope, new Uint8Array([1]))).toString("hex")).toBe(
      [
        "00000014",
        Buffer.from("keyprovider/envelope").toString("hex"),
        "00000001",
        "01", // format
        "00000001",
        "02", // RSA-OAEP-256 hybrid
        "00000002",
        "6b31", // kid
        "00000004",
        "00000007", // version
        "00000003",
        "090909", // wrapped key
        "00000001",
        "01", // the caller's aad
      ].join(""),
    );
  });

  it("binds format, algorithm, kid, version, wrapped key and the caller's aad into the AAD", () => {
    const base = envelopeAad(envelope, new Uint8Array([1]));
    const variants = [
      envelopeAad({ ...envelope, alg: "X25519" }, new Uint8Array([1])),
      envelopeAad({ ...envelope, kid: "k2" }, new Uint8Array([1])),
      envelopeAad({ ...envelope, version: 8 }, new Uint8Array([1])),
      envelopeAad({ ...envelope, wrappedKey: new Uint8Array([9, 9]) }, new Uint8Array([1])),
      envelopeAad(envelope, new Uint8Array([2])),
      envelopeAad(envelope),
      // Length prefixes keep field boundaries: moving a byte from the kid into the aad changes it.
      envelopeAad({ ...envelope, kid: "k" }, new Uint8Array([0x31, 1])),
    ];
    for (const variant of variants) expect(Buffer.from(variant).equals(Buffer.from(base))).toBe(false);
  });
});
