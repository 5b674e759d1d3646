import { KeyExistsError } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { EMPTY_LIST, withVersion, withoutVersions } from "./version-list.js";

describe("version list", () => {
  it("never lists a number twice: a live or destroyed number is refused with KeyExistsError", () => {
    const one = withVersion(EMPTY_LIST, "k", 1, true);
    expect(() => withVersion(one, "k", 1, true)).toThrow(KeyExistsError);
    const gone = withoutVersions(one, 1);
    expect(() => withVersion(gone, "k", 1, true)).toThrow(/destroyed/);
  });

  it("records a number no list mentioned yet as destroyed, and raises highest", () => {
    const one = withVersion(EMPTY_LIST, "k", 1, true);
    const abandoned = withoutVersions(one, 2);
    expect(abandoned).toMatchObject({ highest: 2, primary: 1, live: [1], destroyed: [2] });
    expect(() => withVersion(abandoned, "k", 2, false)).toThrow(KeyExistsError);
  });
});
