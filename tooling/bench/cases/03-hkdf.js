// Issue 12, item 3: the provider's hkdf (HKDF-SHA256) against node:crypto's hkdfSync and
// @noble/hashes' hkdf, for a 32-byte key and the longest output (8 160 bytes, 255 × HashLen).
import { hkdfSync, randomBytes } from "node:crypto";
import { hkdf as nobleHkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { LocalKeyProvider } from "@keyprovider/local";
import { targets } from "../harness.js";

export default async function hkdfCases(bench) {
  const section = bench.section({
    id: "hkdf",
    title: "hkdf against node:crypto and @noble/hashes",
    items: [3],
  });
  const provider = new LocalKeyProvider();
  const ikm = randomBytes(32);
  const salt = randomBytes(32);
  const info = new TextEncoder().encode("keyprovider/bench");
  for (const length of [32, 8_160]) {
    await section.compare({
      operation: `hkdf ${length.toLocaleString("en")} bytes`,
      ours: () => provider.hkdf(ikm, { salt, info, length }),
      baseline: () => hkdfSync("sha256", ikm, salt, info, length),
      baselineName: "node:crypto hkdfSync",
      target: targets.atMost(1.25),
    });
    await section.compare({
      operation: `hkdf ${length.toLocaleString("en")} bytes`,
      ours: () => provider.hkdf(ikm, { salt, info, length }),
      baseline: () => nobleHkdf(sha256, ikm, salt, info, length),
      baselineName: "@noble/hashes hkdf",
    });
  }
  const longInfo = new Uint8Array(2_048).fill(7);
  await section.compare({
    operation: "hkdf 32 bytes, 2 KiB info (node:crypto refuses > 1 KiB; ours expands with HMAC)",
    ours: () => provider.hkdf(ikm, { salt, info: longInfo, length: 32 }),
    baseline: () => nobleHkdf(sha256, ikm, salt, longInfo, 32),
    baselineName: "@noble/hashes hkdf",
  });
}
