// Issue 12, item 7: the provider's randomBytes(32) against node:crypto's randomBytes(32).
import { randomBytes } from "node:crypto";
import { LocalKeyProvider } from "@keyprovider/local";

export default async function randomCases(bench) {
  const section = bench.section({
    id: "random",
    title: "randomBytes against node:crypto",
    items: [7],
  });
  const provider = new LocalKeyProvider();
  await section.compare({
    operation: "randomBytes(32)",
    ours: () => provider.randomBytes(32),
    baseline: () => randomBytes(32),
    baselineName: "node:crypto randomBytes",
  });
}
