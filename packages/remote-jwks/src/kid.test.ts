import { describe, expect, it } from "vitest";
import { parseKid } from "./kid.js";

describe("parseKid", () => {
  it.each([
    ["k.1", "k", 1],
    ["3fa1.2", "3fa1", 2],
    ["a.b.3", "a.b", 3],
    ["k.2147483647", "k", 2_147_483_647],
    ["k.2147483648", "k.2147483648", 1],
    ["k.99999999999", "k.99999999999", 1],
    ["k.0", "k.0", 1],
    ["k.01", "k.01", 1],
    ["k.-1", "k.-1", 1],
    ["k.+1", "k.+1", 1],
    ["k.1e3", "k.1e3", 1],
    ["k. 1", "k. 1", 1],
    ["b.x", "b.x", 1],
    ["abc.", "abc.", 1],
    [".5", ".5", 1],
    ["abc", "abc", 1],
    ["line\n.2", "line\n", 2],
  ])("%j is kid %j version %i", (jwkKid, kid, version) => {
    expect(parseKid(jwkKid)).toEqual({ kid, version });
  });

  it("refuses a non-string", () => {
    expect(() => parseKid(1 as never)).toThrow(TypeError);
  });
});
