import { readFileSync } from "node:fs";
import { hkdf as nobleHkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { hkdf } from "./index.js";

interface Vector {
  name: string;
  ikm: string;
  salt: string;
  info: string;
  length: number;
  okm: string;
}
const vectors = JSON.parse(
  readFileSync(new URL("../../../vectors/rfc5869-hkdf-sha256.json", import.meta.url), "utf8"),
) as { cases: Vector[]; limits: { maxLength: number } };
const hex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("hkdf (RFC 5869, SHA-256)", () => {
  it.each(vectors.cases)("matches $name", (v) => {
    const okm = hkdf(hex(v.ikm), { salt: hex(v.salt), info: hex(v.info), length: v.length });
    expect(toHex(okm)).toBe(v.okm);
    expect(okm).toBeInstanceOf(Uint8Array);
  });

  it("treats a missing salt and info as empty (A.3)", () => {
    const a3 = vectors.cases[2]!;
    expect(toHex(hkdf(hex(a3.ikm), { length: a3.length }))).toBe(a3.okm);
  });

  it("expands an info longer than node:crypto accepts exactly as @noble/hashes does", () => {
    const ikm = hex("0b".repeat(22));
    const salt = hex("0001020304");
    for (const infoLength of [1024, 1025, 4096]) {
      const info = new Uint8Array(infoLength).map((_, i) => i & 0xff);
      for (const length of [1, 32, 33, 100, 8160]) {
        expect(toHex(hkdf(ikm, { salt, info, length }))).toBe(
          toHex(nobleHkdf(sha256, ikm, salt, info, length)),
        );
      }
    }
  });

  it("returns empty output for length 0 and the full 255 blocks for 8160", () => {
    expect(hkdf(new Uint8Array(1), { length: 0 })).toEqual(new Uint8Array(0));
    expect(hkdf(new Uint8Array(1), { length: vectors.limits.maxLength })).toHaveLength(8160);
  });

  it("refuses lengths over 8160, negative or fractional with RangeError", () => {
    const ikm = new Uint8Array(1);
    expect(() => hkdf(ikm, { length: 8161 })).toThrow(RangeError);
    expect(() => hkdf(ikm, { length: 8161 })).toThrow("length must be an integer from 0 to 8160, got 8161");
    expect(() => hkdf(ikm, { length: -1 })).toThrow(RangeError);
    expect(() => hkdf(ikm, { length: 1.5 })).toThrow(RangeError);
    expect(() => hkdf(ikm, { length: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });

  it("refuses wrong argument types with TypeError", () => {
    expect(() => hkdf("ikm" as never, { length: 32 })).toThrow(TypeError);
    expect(() => hkdf(new Uint8Array(1), { length: "32" as never })).toThrow(TypeError);
    expect(() => hkdf(new Uint8Array(1), { length: Number.NaN })).toThrow(TypeError);
    expect(() => hkdf(new Uint8Array(1), { salt: "s" as never, length: 32 })).toThrow(
      /salt must be a Uint8Array/,
    );
    expect(() => hkdf(new Uint8Array(1), undefined as never)).toThrow(TypeError);
    expect(() => hkdf(new Uint8Array(1), { length: 32, lenght: 3 } as never)).toThrow(
      /unknown option "lenght"/,
    );
  });
});
