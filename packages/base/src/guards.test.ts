import { describe, expect, it } from "vitest";
import { assertBytes, assertKid, assertNewKid, assertOptions, assertVersion, describeType } from "./index.js";

describe("guards", () => {
  it("assertKid takes any non-empty string and refuses other types", () => {
    assertKid("anything.at-all");
    expect(() => assertKid("")).toThrow(TypeError);
    expect(() => assertKid(42)).toThrow("kid must be a non-empty string, got the number 42");
    expect(() => assertKid("k".repeat(1025))).toThrow(RangeError);
  });

  it("assertNewKid refuses dots and other characters", () => {
    assertNewKid("signing_2027-a");
    for (const bad of ["a.b", "", "a b", "k".repeat(129), 7])
      expect(() => assertNewKid(bad)).toThrow(TypeError);
  });

  it("assertVersion: TypeError for non-numbers, RangeError below 1 or fractional", () => {
    assertVersion(1);
    expect(() => assertVersion("1")).toThrow(TypeError);
    expect(() => assertVersion(Number.NaN)).toThrow(TypeError);
    expect(() => assertVersion(0)).toThrow(RangeError);
    expect(() => assertVersion(-3)).toThrow("version must be an integer of at least 1, got -3");
    expect(() => assertVersion(1.5)).toThrow(RangeError);
  });

  it("assertBytes explains how to pass text", () => {
    expect(() => assertBytes("-----BEGIN", "material")).toThrow(/TextEncoder/);
    expect(() => assertBytes(new ArrayBuffer(2), "material")).toThrow(TypeError);
    assertBytes(Buffer.from("x"), "material");
  });

  it("assertOptions refuses unknown keys and non-objects", () => {
    assertOptions(undefined, "o", ["a"]);
    assertOptions({ a: 1 }, "o", ["a"]);
    expect(() => assertOptions({ b: 1 }, "o", ["a"])).toThrow('o has an unknown option "b"; known: a');
    expect(() => assertOptions(3, "o", ["a"])).toThrow(TypeError);
  });

  it("describeType never echoes a string's contents", () => {
    expect(describeType("super secret")).toBe("a string of 12 characters");
    expect(describeType(new Uint8Array(3))).toBe("a Uint8Array of 3 bytes");
  });
});
