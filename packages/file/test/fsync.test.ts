// Every write is durable before the call resolves: each file is fsynced before it gets its name
// (link or rename), and the directory holding the name is fsynced after, all before the promise of
// the call settles. node:fs/promises is wrapped to record the order of those system calls.
import type * as FsPromises from "node:fs/promises";
import { dirname } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { FileKeyProvider } from "../src/index.js";
import { rawKek, storeDirectory } from "./helpers.js";

type Event =
  | { readonly op: "write" | "fsync"; readonly path: string }
  | { readonly op: "link" | "rename"; readonly from: string; readonly to: string };

const events = vi.hoisted(() => [] as Event[]);

vi.mock("node:fs/promises", async (importOriginal) => {
  const fs = await importOriginal<typeof FsPromises>();
  const open: typeof fs.open = async (...args) => {
    const handle = await fs.open(...args);
    const path = String(args[0]);
    const writeFile = handle.writeFile.bind(handle);
    const sync = handle.sync.bind(handle);
    return Object.assign(handle, {
      writeFile: async (...rest: Parameters<typeof writeFile>) => {
        await writeFile(...rest);
        events.push({ op: "write", path });
      },
      sync: async () => {
        await sync();
        events.push({ op: "fsync", path });
      },
    });
  };
  const link: typeof fs.link = async (from, to) => {
    await fs.link(from, to);
    events.push({ op: "link", from: String(from), to: String(to) });
  };
  const rename: typeof fs.rename = async (from, to) => {
    await fs.rename(from, to);
    events.push({ op: "rename", from: String(from), to: String(to) });
  };
  return { ...fs, default: { ...fs, open, link, rename }, open, link, rename };
});

/**
 * Run `call` and check the events it caused, up to the moment it resolved: every name given (link,
 * rename) is to a file fsynced after its last write, and is followed by an fsync of its directory.
 * Returns the names given, relative to the store.
 */
async function durable(root: string, call: () => Promise<unknown>): Promise<string[]> {
  const start = events.length;
  await call();
  const seen = events.slice(start);
  const named: string[] = [];
  for (const [i, event] of seen.entries()) {
    if (event.op !== "link" && event.op !== "rename") continue;
    const before = seen.slice(0, i);
    const lastWrite = before.findLastIndex((e) => e.op === "write" && e.path === event.from);
    const lastSync = before.findLastIndex((e) => e.op === "fsync" && e.path === event.from);
    expect(lastWrite, `${event.to} was written`).toBeGreaterThanOrEqual(0);
    expect(lastSync, `${event.to}: its file is fsynced after its last write`).toBeGreaterThan(lastWrite);
    const dirSynced = seen.slice(i + 1).some((e) => e.op === "fsync" && e.path === dirname(event.to));
    expect(dirSynced, `${event.to}: its directory is fsynced before the call resolves`).toBe(true);
    named.push(event.to.slice(root.length + 1));
  }
  return named;
}

describe("every write is fsynced, file then directory, before the call resolves", () => {
  it("create, rotate, import, activate, destroy and rekey", async () => {
    const directory = await storeDirectory();
    const provider = new FileKeyProvider({ directory, kek: rawKek() });
    const created = await durable(directory, () => provider.createKey({ alg: "ED25519" }));
    const [kid] = await provider.listKeys();
    expect(created).toEqual(["header", `keys/${kid}/v1`, `keys/${kid}/list.1`]);
    expect(await durable(directory, () => provider.rotateKey(kid!, { activate: false }))).toEqual([
      `keys/${kid}/v2`,
      `keys/${kid}/list.2`,
    ]);
    expect(await durable(directory, () => provider.activateVersion(kid!, 2))).toEqual([`keys/${kid}/list.3`]);
    expect(
      await durable(directory, () =>
        provider.importKey({ alg: "AES256_GCM" }, new Uint8Array(32).fill(3), { kid: "imported" }),
      ),
    ).toEqual(["keys/imported/v1", "keys/imported/list.1"]);
    expect(await durable(directory, () => provider.destroyKey(kid!, 1))).toEqual([
      `keys/${kid}/list.4`,
      `keys/${kid}/v1`,
    ]);
    expect(await durable(directory, () => provider.rekey({ kek: rawKek() }))).toEqual(["header"]);
    const rotated = await durable(directory, () => provider.rekey({ kek: rawKek(), rotateDataKey: true }));
    expect(rotated).toEqual(expect.arrayContaining(["header", `keys/${kid}/v2`, "keys/imported/v1"]));
  });
});
