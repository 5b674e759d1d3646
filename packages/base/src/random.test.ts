import { describe, expect, it } from "vitest";
import { b64url, b64urlDecode, newKid, randomBytes } from "./index.js";

describe("randomBytes", () => {
  it("returns n bytes as a plain Uint8Array, different each call", () => {
    for (const n of [0, 1, 16, 65_536]) expect(randomBytes(n)).toHaveLength(n);
    expect(randomBytes(16).constructor).toBe(Uint8Array);
    expect(b64url(randomBytes(32))).not.toBe(b64url(randomBytes(32)));
  });

  it("refuses out-of-range and wrong-type counts", () => {
    expect(() => randomBytes(65_537)).toThrow(RangeError);
    expect(() => randomBytes(-1)).toThrow(RangeError);
    expect(() => randomBytes(1.5)).toThrow(RangeError);
    expect(() => randomBytes("8" as never)).toThrow(TypeError);
  });
});

describe("newKid", () => {
  it("is 32 lowercase hex characters and unique", () => {
    const kids = new Set(Array.from({ length: 1000 }, newKid));
    expect(kids.size).toBe(1000);
    for (const kid of kids) expect(kid).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("base64url (RFC 7515 §2)", () => {
  it("encodes without padding", () => {
    expect(b64url(new Uint8Array([0, 1]))).toBe("AAE");
    expect(b64url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
  });

  it("decodes only canonical unpadded base64url", () => {
    expect(b64urlDecode("AAE")).toEqual(new Uint8Array([0, 1]));
    expect(b64urlDecode("")).toEqual(new Uint8Array(0));
    for (const bad of ["AAE=", "AA E", "+/8", "A", "AAF" /* non-canonical trailing bits */]) {
      expect(b64urlDecode(bad)).toBeUndefined();
    }
  });
});
