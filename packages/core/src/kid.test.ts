import { describe, expect, it } from "vitest";
import { isValidKid, parseVersionedKid, versionedKid } from "./index.js";

describe("versioned kids", () => {
  it("formats and parses <kid>.<version>", () => {
    expect(versionedKid("abc", 3)).toBe("abc.3");
    expect(parseVersionedKid("abc.3")).toEqual({ kid: "abc", version: 3 });
    expect(parseVersionedKid(versionedKid("a-b_c", 2_147_483_647))).toEqual({
      kid: "a-b_c",
      version: 2_147_483_647,
    });
  });

  it("treats anything but a canonical positive integer suffix as a kid of its own", () => {
    for (const kid of [
      "b.x",
      "abc.",
      "abc.01",
      "abc.0",
      "abc.-1",
      "abc.+1",
      "abc.1e3",
      "abc. 1",
      ".3",
      "abc",
      "a.2147483648",
    ]) {
      expect(parseVersionedKid(kid)).toEqual({ kid, version: undefined });
    }
    // Only the last dot separates a version.
    expect(parseVersionedKid("a.b.7")).toEqual({ kid: "a.b", version: 7 });
  });

  it("refuses versions that are not positive 32-bit integers", () => {
    expect(() => versionedKid("abc", 0)).toThrow(RangeError);
    expect(() => versionedKid("abc", 1.5)).toThrow(RangeError);
    expect(() => versionedKid("", 1)).toThrow(TypeError);
  });

  it("accepts exactly the kids of DESIGN §7.1", () => {
    expect(isValidKid("0123456789abcdef0123456789abcdef")).toBe(true);
    expect(isValidKid("signing-2027_A")).toBe(true);
    expect(isValidKid("k".repeat(128))).toBe(true);
    for (const kid of ["", "k".repeat(129), "a.b", "../x", "a/b", "a b", "é", "a\u0000", 42, undefined]) {
      expect(isValidKid(kid)).toBe(false);
    }
  });
});
