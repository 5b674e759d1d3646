// Several processes on one directory, and processes killed at any moment. The workers run the
// built package (`pnpm test` builds first).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, readdir, utimes } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { KeyUse } from "@keyprovider/core";
import { beforeAll, describe, expect, it } from "vitest";
import { FileKeyProvider } from "../src/index.js";
import { storeDirectory } from "./helpers.js";

const WORKER = join(import.meta.dirname, "worker.mjs");
const message = new TextEncoder().encode("multi-process");

beforeAll(() => {
  if (!existsSync(join(import.meta.dirname, "../dist/index.js"))) {
    throw new Error("The multi-process tests run the built package: run `pnpm build` (pnpm test does) first");
  }
});

function worker(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [WORKER, ...args], { stdio: "pipe" });
}

/** The next line a process prints, or its stderr if it exits first. */
function nextLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  const lines = createInterface({ input: child.stdout });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    lines.once("line", (line) => {
      lines.close();
      resolve(line);
    });
    child.once("exit", (code) => reject(new Error(`worker exited (${code}) before printing: ${stderr}`)));
  });
}

/**
 * The versions a kid's newest version list (format 1: the highest non-empty `list.<S>`, metadata on
 * its first line) records as destroyed: what a version that left the listing must be.
 */
async function destroyedVersions(directory: string, kid: string): Promise<Set<number>> {
  const dir = join(directory, "keys", kid);
  const seqs = (await readdir(dir))
    .filter((name) => name.startsWith("list."))
    .map((name) => Number(name.slice(5)))
    .sort((a, b) => b - a);
  for (const seq of seqs) {
    const text = await readFile(join(dir, `list.${seq}`), "utf8");
    if (text !== "") return new Set((JSON.parse(text.split("\n")[0]!) as { destroyed: number[] }).destroyed);
  }
  return new Set();
}

describe("several processes on one directory", () => {
  it("two processes rotating one kid 20 times each get versions 1..41, no gap, no duplicate", async () => {
    const directory = await storeDirectory();
    const kekHex = randomBytes(32).toString("hex");
    const kek = { key: new Uint8Array(Buffer.from(kekHex, "hex")) };
    const { kid } = await new FileKeyProvider({ directory, kek }).createKey({ alg: "ED25519" });
    const startAt = String(Date.now() + 1_500);
    const workers = [
      worker(["rotate", directory, kekHex, kid, "20", startAt]),
      worker(["rotate", directory, kekHex, kid, "20", startAt]),
    ];
    const results = (await Promise.all(workers.map(nextLine))).map(
      (line) => JSON.parse(line) as { versions: number[] },
    );
    const issued = results.flatMap((result) => result.versions).sort((a, b) => a - b);
    expect(issued).toEqual(Array.from({ length: 40 }, (_, i) => i + 2));
    // Each worker's own versions come in increasing order, and both interleaved (they really raced).
    for (const { versions } of results) expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    const lists = workers.map((child) => {
      const line = nextLine(child);
      child.stdin.write("list\n");
      return line;
    });
    const listed = (await Promise.all(lists)).map((line) => (JSON.parse(line) as { list: number[] }).list);
    const all = Array.from({ length: 41 }, (_, i) => i + 1);
    expect(listed).toEqual([all, all]);
    expect(await new FileKeyProvider({ directory, kek }).listVersions(kid)).toEqual(all);
  }, 60_000);

  it("a process killed with SIGKILL at random moments, 20 rounds: the store opens every time and every listed version works", async () => {
    const directory = await storeDirectory();
    const kekHex = randomBytes(32).toString("hex");
    const kek = { key: new Uint8Array(Buffer.from(kekHex, "hex")) };
    let checked = 0;
    // What earlier rounds saw: each live version's fingerprint, and each kid's destroyed numbers.
    const seen = new Map<string, { fingerprint: string; round: number }>();
    const destroyedBefore = new Map<string, Set<number>>();
    // The next worker loads while this one churns and the round is checked; it starts on "go".
    const spawnReady = async () => {
      const seed = randomBytes(4).readUInt32LE();
      const child = worker(["churn", directory, kekHex, String(seed)]);
      expect(await nextLine(child)).toBe("ready");
      return { child, seed };
    };
    let next = spawnReady();
    for (let round = 0; round < 20; round += 1) {
      const { child, seed } = await next;
      const started = nextLine(child);
      child.stdin.write("go\n");
      if (round < 19) next = spawnReady();
      expect(await started).toBe("started");
      await new Promise((resolve) => setTimeout(resolve, 20 + (seed % 400)));
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
      // A fresh process's view: it opens, and every listed version signs and verifies (or seals and opens).
      const provider = new FileKeyProvider({ directory, kek });
      const live = new Set<string>();
      for (const kid of await provider.listKeys()) {
        for (const version of await provider.listVersions(kid)) {
          const ref = await provider.getKey(kid, version);
          // Never a different key under a number seen before, and never a destroyed number again.
          const before = seen.get(`${kid}.${version}`);
          if (before !== undefined)
            expect(ref.fingerprint, `${kid}.${version} (seed ${seed})`).toBe(before.fingerprint);
          expect(destroyedBefore.get(kid)?.has(version) ?? false, `${kid}.${version} reissued`).toBe(false);
          seen.set(`${kid}.${version}`, { fingerprint: ref.fingerprint, round });
          live.add(`${kid}.${version}`);
          if (ref.uses.includes(KeyUse.SIGN)) {
            const signature = await provider.sign(kid, message, { version });
            expect(
              await provider.verify(kid, message, signature, { version }),
              `${kid}.${version} (seed ${seed})`,
            ).toBe(true);
          } else {
            const sealed = await provider.encrypt(kid, message, { version });
            expect(await provider.decrypt(kid, sealed), `${kid}.${version} (seed ${seed})`).toEqual(message);
          }
          checked += 1;
        }
      }
      // Nothing stored is lost: a version seen in an earlier round and no longer listed was destroyed
      // (by the worker), and its kid's authenticated list says so.
      for (const kid of new Set([...seen.keys()].map((versioned) => versioned.split(".")[0]!))) {
        destroyedBefore.set(kid, await destroyedVersions(directory, kid));
      }
      for (const [versioned, { round: when }] of seen) {
        if (live.has(versioned)) continue;
        const [kid, version] = versioned.split(".") as [string, string];
        expect(destroyedBefore.get(kid)?.has(Number(version)), `${versioned}, seen in round ${when}`).toBe(
          true,
        );
        seen.delete(versioned);
      }
    }
    expect(checked).toBeGreaterThan(20);
    // Leftover temp files are ignored, and removed once older than the grace period.
    const tmp = join(directory, "tmp");
    const old = new Date(Date.now() - 10 * 60_000);
    for (const name of await readdir(tmp)) await utimes(join(tmp, name), old, old);
    await new FileKeyProvider({ directory, kek }).listKeys();
    expect(await readdir(tmp)).toEqual([]);
  }, 120_000);
});
