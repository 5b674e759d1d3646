// A separate process working on a store, for the multi-process tests. It runs the built package
// (dist/), as another service on the host would.
//
//   node worker.mjs rotate <directory> <kek hex> <kid> <count> <start at (ms since epoch)>
//     rotates <kid> <count> times, prints {"versions":[…]}, then waits for a line on stdin and
//     prints {"list":[…]} (listVersions once every worker has finished).
//   node worker.mjs churn <directory> <kek hex> <seed>
//     prints "ready" once loaded, waits for a line on stdin, prints "started", then creates,
//     rotates, imports, activates and destroys keys until killed.
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createInterface } from "node:readline";
import { FileKeyProvider } from "@keyprovider/file";

const [command, directory, kekHex, ...rest] = process.argv.slice(2);
const provider = new FileKeyProvider({ directory, kek: { key: new Uint8Array(Buffer.from(kekHex, "hex")) } });

if (command === "rotate") {
  const [kid, count, startAt] = rest;
  await sleep(Math.max(0, Number(startAt) - Date.now()));
  const versions = [];
  for (let i = 0; i < Number(count); i += 1) versions.push((await provider.rotateKey(kid)).version);
  console.log(JSON.stringify({ versions }));
  const lines = createInterface({ input: process.stdin });
  for await (const _ of lines) break;
  console.log(JSON.stringify({ list: await provider.listVersions(kid) }));
  lines.close();
} else if (command === "churn") {
  // A small deterministic generator, so a failing round can be replayed from its seed.
  let state = Number(rest[0]) >>> 0 || 1;
  const random = (n) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  const specs = [{ alg: "ED25519" }, { alg: "HMAC_SHA256" }, { alg: "AES256_GCM" }, { alg: "ES256" }];
  console.log("ready");
  const lines = createInterface({ input: process.stdin });
  for await (const _ of lines) break;
  console.log("started");
  for (;;) {
    const kids = await provider.listKeys();
    const kid = kids.length === 0 ? undefined : kids[random(kids.length)];
    const action = kid === undefined || kids.length < 3 ? 0 : random(7);
    try {
      if (action === 0) await provider.createKey(specs[random(specs.length)]);
      else if (action === 1 || action === 2) await provider.rotateKey(kid, { activate: random(3) !== 0 });
      else if (action === 3) {
        const versions = await provider.listVersions(kid);
        await provider.destroyKey(kid, versions[random(versions.length)]);
      } else if (action === 4) {
        await provider.importKey({ alg: "AES256_GCM" }, new Uint8Array(randomBytes(32)), {
          kid: `imported-${random(4)}`,
        });
      } else if (action === 5) {
        const versions = await provider.listVersions(kid);
        await provider.activateVersion(kid, versions[random(versions.length)]);
      } else if (kids.length > 6) {
        await provider.destroyKey(kid);
      }
    } catch (error) {
      // Another worker may have destroyed the kid meanwhile; anything else is a failure.
      if (error?.code !== "ERR_KEY_NOT_FOUND" && error?.code !== "ERR_INVALID_KEY_SPEC") throw error;
    }
  }
} else {
  throw new Error(`unknown command ${command}`);
}
