// FileKeyProvider (the file engineer's comparisons, as a case module): warm operations against a
// LocalKeyProvider holding the same key, createKey with its fsyncs against Local's, and the cold
// open of a store (a new provider reading and decrypting every key for jwks()) at three sizes, each
// against the smallest store opened as many times as it takes to read as many keys — a ratio of
// 1.00 there is linear growth.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileKeyProvider } from "@keyprovider/file";
import { LocalKeyProvider } from "@keyprovider/local";
import { targets } from "../harness.js";

const ED25519 = { alg: "ED25519" };

export default async function fileCases(bench) {
  const section = bench.section({
    id: "file",
    title: "FileKeyProvider against LocalKeyProvider, and its cold open",
    note:
      "The file provider's goal for warm operations is within 1.25× of LocalKeyProvider (both hold the key " +
      "in memory once read); createKey also writes and fsyncs the key's files.",
  });
  const root = await mkdtemp(join(tmpdir(), "keyprovider-bench-file-"));
  try {
    const kek = { key: new Uint8Array(randomBytes(32)) };
    const store = new FileKeyProvider({ directory: join(root, "warm"), kek });
    const twin = new LocalKeyProvider();
    const message = randomBytes(64);
    const pairs = [];
    for (const [alg, generate] of [
      ["ED25519", () => generateKeyPairSync("ed25519")],
      ["ES256", () => generateKeyPairSync("ec", { namedCurve: "P-256" })],
    ]) {
      const { privateKey } = generate();
      const { kid: fileKid } = await store.importKey({ alg }, privateKey);
      const { kid: localKid } = await twin.importKey({ alg }, privateKey);
      pairs.push({ alg, fileKid, localKid });
    }
    for (const { alg, fileKid, localKid } of pairs) {
      await section.compare({
        operation: `sign ${alg} (warm)`,
        ours: () => store.sign(fileKid, message),
        baseline: () => twin.sign(localKid, message),
        baselineName: "LocalKeyProvider sign, same key",
        target: targets.atMost(1.25),
      });
    }
    const [{ fileKid: edFile, localKid: edLocal }] = pairs;
    await section.compare({
      operation: "getPublicJwk ED25519 (warm)",
      ours: () => store.getPublicJwk(edFile),
      baseline: () => twin.getPublicJwk(edLocal),
      baselineName: "LocalKeyProvider getPublicJwk",
      target: targets.atMost(1.25),
    });
    const creator = new FileKeyProvider({ directory: join(root, "create"), kek });
    await creator.listKeys();
    await section.compare({
      operation: "createKey ED25519 (written and fsynced)",
      ours: () => creator.createKey(ED25519),
      baseline: () => twin.createKey(ED25519),
      baselineName: "LocalKeyProvider createKey",
    });

    // One store of the largest size, made in parallel batches; the smaller ones are copies of part of it.
    const sizes = bench.settings.quick ? [25, 50, 100] : [250, 500, 1_000];
    const largest = sizes.at(-1);
    const big = join(root, String(largest));
    const maker = new FileKeyProvider({ directory: big, kek });
    for (let made = 0; made < largest; made += 50) {
      await Promise.all(Array.from({ length: Math.min(50, largest - made) }, () => maker.createKey(ED25519)));
    }
    const kids = await maker.listKeys();
    const directories = new Map([[largest, big]]);
    for (const size of sizes.slice(0, -1)) {
      const directory = join(root, String(size));
      await mkdir(join(directory, "keys"), { recursive: true, mode: 0o700 });
      await cp(join(big, "header"), join(directory, "header"));
      for (const kid of kids.slice(0, size)) {
        await cp(join(big, "keys", kid), join(directory, "keys", kid), { recursive: true });
      }
      directories.set(size, directory);
    }
    const open = async (size) => {
      const { keys } = await new FileKeyProvider({ directory: directories.get(size), kek }).jwks();
      if (keys.length !== size) throw new Error(`expected ${size} keys, got ${keys.length}`);
    };
    const [smallest] = sizes;
    for (const size of sizes.slice(1)) {
      const times = size / smallest;
      await section.compare({
        operation: `cold open + jwks() of ${size.toLocaleString("en")} keys`,
        ours: () => open(size),
        baseline: async () => {
          for (let i = 0; i < times; i += 1) await open(smallest);
        },
        baselineName: `${times} cold opens of ${smallest.toLocaleString("en")} keys (1.00× = linear)`,
        slow: true,
      });
    }
    section.note(
      "A cold open reads and decrypts every key file (the files are in the page cache after the first run).",
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
