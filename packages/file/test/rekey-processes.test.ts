// A rekey by one process, seen by another that opened the store before it (two providers on one
// directory stand for two processes).
import { StoreUnlockError } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { FileKeyProvider } from "../src/index.js";
import { freshProvider, rawKek, rejection } from "./helpers.js";

const message = new TextEncoder().encode("rekey");

describe("FileKeyProvider: a rekey by another process", () => {
  it("a KEK change alone (same data key) leaves the other process writing, readable under the new KEK", async () => {
    const { provider: a, directory, kek } = await freshProvider();
    await a.createKey({ alg: "ED25519" });
    const next = rawKek();
    await new FileKeyProvider({ directory, kek }).rekey({ kek: next });
    const { kid } = await a.createKey({ alg: "ED25519" });
    const signature = await a.sign(kid, message);
    const reopened = new FileKeyProvider({ directory, kek: next });
    expect(await reopened.verify(kid, message, signature)).toBe(true);
  });

  it("a KEK change with a new data key makes the other process refuse to write, and write nothing", async () => {
    const { provider: a, directory, kek } = await freshProvider();
    const { kid } = await a.createKey({ alg: "ED25519" });
    const next = rawKek();
    await new FileKeyProvider({ directory, kek }).rekey({ kek: next, rotateDataKey: true });
    expect(StoreUnlockError.isInstance(await rejection(a.rotateKey(kid)))).toBe(true);
    const reopened = new FileKeyProvider({ directory, kek: next });
    expect(await reopened.listVersions(kid)).toEqual([1]);
  });
});
