import { describe, expect, it } from "vitest";
import { b64url, b64urlDecode, newKid, randomBytes } from "./index.js";
import { publicRandomBytes } from "./random.js";

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

describe("publicRandomBytes (nonces, kids and scoped ids, from a pool)", () => {
  it("hands out each pooled byte once, in arrays of their own, across pool refills", () => {
    const taken = Array.from({ length: 1_000 }, () => publicRandomBytes(12));
    for (const bytes of taken) {
      expect(bytes).toHaveLength(12);
      expect(bytes.constructor).toBe(Uint8Array);
      // Never a view into the pool: nothing else can be read through its buffer.
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(12);
    }
    // 12 000 bytes span several 4 KiB refills; 96-bit values never repeat.
    expect(new Set(taken.map((bytes) => b64url(bytes))).size).toBe(1_000);
  });

  it("serves sizes past the pool's limit straight from the CSPRNG, and 0 bytes as an empty array", () => {
    expect(publicRandomBytes(0)).toHaveLength(0);
    expect(publicRandomBytes(65)).toHaveLength(65);
    expect(publicRandomBytes(4_096)).toHaveLength(4_096);
    expect(b64url(publicRandomBytes(100))).not.toBe(b64url(publicRandomBytes(100)));
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
