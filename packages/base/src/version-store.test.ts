import { KeyExistsError, KeyNotFoundError } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { VersionStore } from "./index.js";

describe("VersionStore", () => {
  it("numbers versions from 1 and returns the latest by default", () => {
    const store = new VersionStore<string>();
    store.add("k", undefined, (v) => `v${v}`);
    store.add("k", undefined, (v) => `v${v}`);
    expect(store.get("k")).toBe("v2");
    expect(store.get("k", 1)).toBe("v1");
    expect(store.versions("k")).toEqual([1, 2]);
  });

  it("raises KeyNotFoundError for unknown kids and versions", () => {
    const store = new VersionStore<string>();
    store.add("k", undefined, () => "x");
    expect(() => store.get("nope")).toThrow(KeyNotFoundError);
    expect(() => store.get("k", 5)).toThrow(new KeyNotFoundError("k", 5));
    expect(() => store.versions("nope")).toThrow(KeyNotFoundError);
  });

  it("keeps parallel additions distinct and consecutive", async () => {
    const store = new VersionStore<number>();
    store.add("k", undefined, (v) => v);
    const added = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, (i * 7) % 5)); // finish in a jumbled order
        return store.add("k", undefined, (v) => v);
      }),
    );
    expect(new Set(added).size).toBe(50);
    expect(store.versions("k")).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
  });

  it("never reissues a destroyed version number while the kid lives", () => {
    const store = new VersionStore<number>();
    store.add("k", undefined, (v) => v);
    store.add("k", undefined, (v) => v);
    expect(store.delete("k", 2)).toBe(true);
    expect(store.add("k", undefined, (v) => v)).toBe(3);
  });

  it("never reissues a number after the whole kid was destroyed, and a new life refuses old tokens", () => {
    const store = new VersionStore<number>();
    store.add("k", undefined, (v) => v);
    store.add("k", 4, (v) => v);
    const token = store.token("k");
    expect(store.delete("k")).toBe(true);
    expect(store.has("k")).toBe(false);
    expect(store.kids()).toEqual([]);
    expect(() => store.add("k", 1, (v) => v)).toThrow(KeyExistsError);
    expect(() => store.add("k", 4, (v) => v)).toThrow(KeyExistsError);
    expect(store.add("k", undefined, (v) => v)).toBe(5);
    expect(() => store.add("k", undefined, (v) => v, token)).toThrow(KeyNotFoundError);
    // The last version going one by one retires the kid's numbers as well.
    expect(store.delete("k", 5)).toBe(true);
    expect(store.add("k", undefined, (v) => v)).toBe(6);
    expect(store.add("k", 2, (v) => v)).toBe(2); // never issued: may be back-filled
  });

  it("adds an exact version, refusing a live one", () => {
    const store = new VersionStore<number>();
    store.add("k", 7, (v) => v);
    expect(store.versions("k")).toEqual([7]);
    expect(() => store.add("k", 7, (v) => v)).toThrow(KeyExistsError);
    expect(store.add("k", undefined, (v) => v)).toBe(8);
    expect(store.add("k", 3, (v) => v)).toBe(3);
  });

  it("deletes versions and kids, reporting whether anything went", () => {
    const store = new VersionStore<number>();
    store.add("k", undefined, (v) => v);
    store.add("k", undefined, (v) => v);
    expect(store.delete("k", 9)).toBe(false);
    expect(store.delete("k", 1)).toBe(true);
    expect(store.delete("k", 1)).toBe(false);
    expect(store.delete("k", 2)).toBe(true); // the last version takes the kid with it
    expect(store.has("k")).toBe(false);
    expect(store.delete("k")).toBe(false);
  });

  it("lists kids sorted and by prefix", () => {
    const store = new VersionStore<number>();
    for (const kid of ["b2", "a1", "b1"]) store.add(kid, undefined, (v) => v);
    expect(store.kids()).toEqual(["a1", "b1", "b2"]);
    expect(store.kids("b")).toEqual(["b1", "b2"]);
  });

  it("keeps the sorted kid list right as kids come and go, and hands out copies", () => {
    const store = new VersionStore<number>();
    for (const kid of ["c", "a"]) store.add(kid, undefined, (v) => v);
    const listed = store.kids();
    expect(listed).toEqual(["a", "c"]);
    listed.push("zz");
    store.add("b", undefined, (v) => v);
    store.add("a", undefined, (v) => v); // a new version of a known kid
    expect(store.kids()).toEqual(["a", "b", "c"]);
    store.delete("c");
    expect(store.kids()).toEqual(["a", "b"]);
    store.delete("b", 1); // its last version
    expect(store.kids()).toEqual(["a"]);
    store.delete("a", 1); // not its last
    expect(store.kids()).toEqual(["a"]);
    expect(() =>
      store.add("d", undefined, () => {
        throw new Error("no");
      }),
    ).toThrow("no");
    expect(store.kids()).toEqual(["a"]);
  });

  it("leaves nothing behind when building the record throws", () => {
    const store = new VersionStore<number>();
    expect(() =>
      store.add("k", undefined, () => {
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(store.has("k")).toBe(false);
  });

  it("tracks the primary: new versions activate unless told not to, and a destroyed primary moves back", () => {
    const store = new VersionStore<number>();
    store.add("k", undefined, (v) => v);
    store.add("k", undefined, (v) => v, undefined, false);
    expect(store.listing("k")).toEqual({ versions: [1, 2], primary: 1 });
    expect(store.get("k")).toBe(1);
    expect(store.setPrimary("k", 2)).toBe(true);
    expect(store.get("k")).toBe(2);
    expect(store.setPrimary("k", 9)).toBe(false);
    store.add("k", undefined, (v) => v);
    expect(store.listing("k")!.primary).toBe(3);
    // A back-filled older version does not take over.
    store.add("k", 10, (v) => v, undefined, false);
    store.add("k", 5, (v) => v);
    expect(store.listing("k")!.primary).toBe(5);
    store.delete("k", 5);
    expect(store.listing("k")!.primary).toBe(3);
    store.delete("k", 1);
    store.delete("k", 2);
    store.delete("k", 3);
    expect(store.listing("k")).toEqual({ versions: [10], primary: 10 });
    expect(store.find("k", 3)).toBeUndefined();
  });
});
