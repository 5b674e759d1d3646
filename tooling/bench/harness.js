// A benchmark is a pair: our call and a baseline doing the same job directly. Each pair runs in
// ROUNDS rounds with the order alternating (ours first, then baseline first, …), and the median
// throughput ratio is reported, so drift on a busy machine hits both sides alike.
import { Bench } from "tinybench";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TIME_MS = Number(process.env.BENCH_TIME_MS ?? 300);

export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function throughput(name, fn) {
  const bench = new Bench({ time: TIME_MS, warmupTime: 50 });
  bench.add(name, fn);
  await bench.run();
  const { result } = bench.tasks[0];
  if (result.state !== "completed")
    throw new Error(`${name} did not complete: ${result.error ?? result.state}`);
  return result.throughput.mean;
}

/**
 * @param {{ name: string, ours: () => unknown, baseline: () => unknown, baselineName: string }[]} cases
 */
export async function runPairs(title, cases) {
  console.log(`\n${title}`);
  const rows = [];
  for (const { name, ours, baseline, baselineName } of cases) {
    const oursRuns = [];
    const baseRuns = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      if (round % 2 === 0) {
        oursRuns.push(await throughput(name, ours));
        baseRuns.push(await throughput(baselineName, baseline));
      } else {
        baseRuns.push(await throughput(baselineName, baseline));
        oursRuns.push(await throughput(name, ours));
      }
    }
    const ratios = oursRuns.map((value, i) => value / baseRuns[i]);
    rows.push({
      case: name,
      baseline: baselineName,
      "ours ops/s": Math.round(median(oursRuns)).toLocaleString("en"),
      "baseline ops/s": Math.round(median(baseRuns)).toLocaleString("en"),
      "ours / baseline": median(ratios).toFixed(2),
    });
  }
  console.table(rows);
  return rows;
}
