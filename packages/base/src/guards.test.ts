import { InvalidKidError, KeyNotFoundError, describeType, displayValue } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import {
  assertBoundedBytes,
  assertBytes,
  assertKid,
  assertNewKid,
  assertOptions,
  assertSignal,
  assertVersion,
  readOptions,
} from "./index.js";

describe("guards", () => {
  it("assertKid: TypeError for non-strings, KeyNotFoundError for strings no provider could hold (§7.1)", () => {
    assertKid("signing_2027-a");
    expect(() => assertKid(42)).toThrow("kid must be a string, got the number 42");
    for (const bad of ["", "anything.at-all", "../../etc/passwd", "a b", "k".repeat(129), "é"]) {
      expect(() => assertKid(bad)).toThrow(KeyNotFoundError);
    }
  });

  it("assertNewKid refuses dots and other characters with InvalidKidError", () => {
    assertNewKid("signing_2027-a");
    for (const bad of ["a.b", "", "a b", "k".repeat(129)])
      expect(() => assertNewKid(bad)).toThrow(InvalidKidError);
    expect(() => assertNewKid(7)).toThrow(TypeError);
  });

  it("assertBoundedBytes refuses too long inputs with RangeError", () => {
    assertBoundedBytes(new Uint8Array(4), "data", 4);
    expect(() => assertBoundedBytes(new Uint8Array(5), "data", 4)).toThrow(RangeError);
  });

  it("assertSignal refuses non-signals and rejects with the reason of an aborted one", () => {
    assertSignal(undefined);
    assertSignal(new AbortController().signal);
    expect(() => assertSignal({ aborted: false })).toThrow(TypeError);
    const controller = new AbortController();
    const reason = new Error("stop");
    controller.abort(reason);
    expect(() => assertSignal(controller.signal)).toThrow(reason);
    expect(() => readOptions({ signal: controller.signal }, "o", ["signal"])).toThrow(reason);
  });

  it("assertVersion: TypeError for non-numbers, RangeError below 1 or fractional", () => {
    assertVersion(1);
    expect(() => assertVersion("1")).toThrow(TypeError);
    expect(() => assertVersion(Number.NaN)).toThrow(TypeError);
    expect(() => assertVersion(0)).toThrow(RangeError);
    expect(() => assertVersion(-3)).toThrow("version must be an integer from 1 to 2147483647, got -3");
    expect(() => assertVersion(2 ** 31)).toThrow(RangeError);
    expect(() => assertVersion(Number.POSITIVE_INFINITY)).toThrow(RangeError);
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

  it("readOptions reads own properties only, so prototype pollution cannot switch an option on", () => {
    const polluted = Object.create({ includeSecret: true }) as { includeSecret?: boolean };
    expect(readOptions(polluted, "o", ["includeSecret"])).toEqual({});
    expect(readOptions({ includeSecret: true }, "o", ["includeSecret"])).toEqual({ includeSecret: true });
    expect(readOptions(undefined, "o", [])).toEqual({});
  });

  it("displayValue quotes identifiers and describes anything that might be a secret", () => {
    expect(displayValue("asymmetric")).toBe('"asymmetric"');
    expect(displayValue("sk_live_51HcKxyzABCDEFGHIJKLMNOPQR")).toBe("a string of 34 characters");
    expect(displayValue("x".repeat(40))).toBe("a string of 40 characters");
    expect(displayValue(new Uint8Array(4))).toBe("a Uint8Array of 4 bytes");
  });

  it("describeType never echoes a string's contents", () => {
    expect(describeType("super secret")).toBe("a string of 12 characters");
    expect(describeType(new Uint8Array(3))).toBe("a Uint8Array of 3 bytes");
  });
});
