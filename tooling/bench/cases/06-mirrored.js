// Issue 12, item 6: MirroredKeyProvider's reads against its primary alone (a LocalKeyProvider on both
// sides), and the latency of a read that fails over to the secondary while the primary is down
// (testkit's fault injector rejects every call at once) against the secondary read directly.
import { randomBytes } from "node:crypto";
import { LocalKeyProvider } from "@keyprovider/local";
import { MirroredKeyProvider } from "@keyprovider/mirrored";
import { createFaultInjector } from "@keyprovider/testkit";
import { targets } from "../harness.js";

export default async function mirroredCases(bench) {
  const section = bench.section({
    id: "mirrored",
    title: "MirroredKeyProvider reads against its primary alone",
    items: [6],
  });
  const primary = new LocalKeyProvider();
  const mirrored = new MirroredKeyProvider(primary, new LocalKeyProvider());
  const { kid } = await mirrored.createKey({ alg: "ES256" });
  for (let i = 0; i < 9; i += 1) await mirrored.createKey({ alg: "ES256" });
  const data = randomBytes(64);
  const signature = await mirrored.sign(kid, data);
  const reads = [
    ["getKey", (p) => p.getKey(kid)],
    ["getPublicJwk", (p) => p.getPublicJwk(kid)],
    ["verify ES256", (p) => p.verify(kid, data, signature)],
    ["sign ES256 (served by the primary)", (p) => p.sign(kid, data)],
    ["jwks() of 10 keys", (p) => p.jwks()],
  ];
  for (const [operation, call] of reads) {
    await section.compare({
      operation,
      ours: () => call(mirrored),
      baseline: () => call(primary),
      baselineName: "the primary alone",
      target: targets.atMost(1.1),
    });
  }

  // The floor of any wrapper that checks its arguments and awaits the primary (what a mirror must do
  // at the least): one async function, kid check and await, no failover logic.
  const wrapped = async (id) => {
    if (typeof id !== "string") throw new TypeError("kid");
    return await primary.getPublicJwk(id);
  };
  await section.compare({
    operation: "(floor) one async layer over the primary's getPublicJwk",
    ours: () => wrapped(kid),
    baseline: () => primary.getPublicJwk(kid),
    baselineName: "the primary alone",
  });

  // Failover: the primary rejects everything; reads are served by the secondary's copy.
  const down = createFaultInjector(new LocalKeyProvider());
  const secondary = new LocalKeyProvider();
  const failover = new MirroredKeyProvider(down, secondary);
  let failovers = 0;
  failover.on("failover", () => {
    failovers += 1;
  });
  const { kid: copied } = await failover.createKey({ alg: "ES256" });
  down.fail("*");
  for (const [operation, call] of [
    ["getPublicJwk, primary down (failover)", (p) => p.getPublicJwk(copied)],
    ["getKey, primary down (failover)", (p) => p.getKey(copied)],
  ]) {
    await section.compare({
      operation,
      ours: () => call(failover),
      baseline: () => call(secondary),
      baselineName: "the secondary alone",
    });
  }
  section.note(
    `A failed-over read pays for the primary's rejection (an error object with its stack), the failover ` +
      `event (${failovers.toLocaleString("en")} emitted here) and the kid's mapping to the secondary's copy; ` +
      "a primary that hangs instead of failing adds primaryTimeoutMs on top.",
  );
}
