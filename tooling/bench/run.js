// pnpm bench: keyprovider side by side with what a user would write without it, in one process.
// Every module in cases/ (in file-name order) records its comparisons; the run then writes
// docs/benchmarks.md and docs/benchmarks.json.
//
//   pnpm bench                          every case, 5 rounds × 150 ms per side
//   node tooling/bench/run.js --quick   a smoke test (1 short round, smaller sizes)
//   node tooling/bench/run.js --only jwt --out /tmp/bench
//   BENCH_ROUNDS=9 BENCH_TIME_MS=500 pnpm bench
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import { BenchRun, readSettings } from "./harness.js";
import { writeReport } from "./report.js";

const settings = readSettings();
const casesDir = join(import.meta.dirname, "cases");
const files = (await readdir(casesDir))
  .filter((name) => name.endsWith(".js"))
  .filter((name) => settings.only === undefined || name.includes(settings.only))
  .sort();

const [load] = loadavg();
console.log(
  `keyprovider benchmarks: ${files.length} case files, ${settings.rounds} rounds × ${settings.timeMs} ms` +
    `${settings.quick ? " (quick)" : ""}; 1-minute load average ${load.toFixed(2)}` +
    (load > 1.5 ? " — the machine is busy, ratios will be noisy" : ""),
);

const run = new BenchRun(settings);
let failed = 0;
for (const file of files) {
  const { default: runCase } = await import(pathToFileURL(join(casesDir, file)).href);
  const before = run.sections.length;
  try {
    await runCase(run);
  } catch (error) {
    failed += 1;
    console.error(`\n${file} failed:`, error);
    const section =
      run.sections.length > before
        ? run.sections.at(-1)
        : run.section({ id: file.replace(/\.js$/, ""), title: file });
    section.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

const out = settings.out ?? join(import.meta.dirname, "../../docs");
const written = await writeReport(out, run.toJSON());
console.log(`\nWrote ${written.markdown} and ${written.json}`);
if (failed > 0) {
  console.error(`${failed} case file(s) failed`);
  process.exitCode = 1;
}
// Servers and clients are closed by their cases; anything left (a keep-alive socket) must not hold the run.
process.exit();
