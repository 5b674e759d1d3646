// The measuring side of `pnpm bench`. A comparison is a pair: our call and a baseline doing the same
// job the way a user would without keyprovider. Each pair runs in ROUNDS rounds with the order
// alternating (ours first, then the baseline first, …); each round gives one ratio of the two
// median times per operation, and the result is the median of those ratios, so drift on a busy
// machine hits both sides alike. Ratios, not absolute times, are the result.
//
// A case module (cases/*.js) default-exports `async function (bench) { … }` and records its results
// through `bench.section(…)`: `compare` (times), `count` (requests or calls), `growth` (per-key cost
// at several sizes) and `note`.
import { cpus, loadavg, totalmem } from "node:os";
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Bench } from "tinybench";

/** What a fast operation is batched up to, so the timer's own cost stays negligible. */
const MIN_BATCH_MS = 0.1;
const MAX_BATCH = 1_000;

/**
 * Settings from the command line and the environment.
 * `--quick`: one short round per pair and smaller sizes (a smoke test; ratios are not meaningful).
 * `--only <text>`: run only the case files whose name contains text. `--out <dir>`: where to write
 * benchmarks.md and benchmarks.json (default docs/). BENCH_ROUNDS and BENCH_TIME_MS override the
 * rounds per pair and the time per measurement.
 */
export function readSettings(argv = process.argv.slice(2), env = process.env) {
  const quick = argv.includes("--quick");
  const valueOf = (flag) => {
    const at = argv.indexOf(flag);
    return at === -1 ? undefined : argv[at + 1];
  };
  const number = (name, fallback) => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
    return value;
  };
  return {
    quick,
    rounds: Math.round(number("BENCH_ROUNDS", quick ? 1 : 5)),
    // 5 rounds of 150 ms a side keep the whole run near two and a half minutes (issue 12: `pnpm bench`,
    // build included, under 5 minutes from a fresh clone on 2 cores); raise BENCH_TIME_MS for tighter ratios.
    timeMs: number("BENCH_TIME_MS", quick ? 20 : 150),
    warmupMs: quick ? 5 : 25,
    only: valueOf("--only"),
    out: valueOf("--out"),
  };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

let collect;
/** A full garbage collection (V8's gc, enabled at run time: `pnpm bench` passes no node flags). */
export function collectGarbage() {
  if (collect === undefined) {
    setFlagsFromString("--expose-gc");
    collect = runInNewContext("gc");
  }
  collect();
  collect();
}

/** Heap bytes in use after a full collection. */
export function heapUsed() {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

const isThenable = (value) => typeof value?.then === "function";

/**
 * The function tinybench times: `fn` called `batch` times in a row (awaited one after the other
 * when it returns promises), so fast calls are measured over a batch, not one timer tick.
 */
async function batched(fn) {
  let started = performance.now();
  const first = fn();
  const async = isThenable(first);
  if (async) await first;
  if (performance.now() - started >= 1) return { batch: 1, run: fn }; // clearly slow: no batch
  started = performance.now();
  let calls = 0;
  while (performance.now() - started < MIN_BATCH_MS * 4 && calls < MAX_BATCH) {
    if (async) await fn();
    else fn();
    calls += 1;
  }
  const perCall = (performance.now() - started) / calls;
  const batch = Math.max(1, Math.min(MAX_BATCH, Math.ceil(MIN_BATCH_MS / Math.max(perCall, 1e-6))));
  if (batch === 1) return { batch, run: fn };
  const run = async
    ? async () => {
        for (let i = 0; i < batch; i += 1) await fn();
      }
    : () => {
        for (let i = 0; i < batch; i += 1) fn();
      };
  return { batch, run };
}

/** Milliseconds per call of `fn`: the median iteration of one tinybench run, divided by its batch. */
async function timePerCall(name, fn, settings, scale = 1, iterations = settings.quick ? 2 : 5) {
  const { batch, run } = await batched(fn);
  const bench = new Bench({
    time: settings.timeMs * scale,
    warmupTime: settings.warmupMs,
    iterations,
    warmupIterations: 1,
    throws: true,
  });
  bench.add(name, run);
  await bench.run();
  const { result } = bench.tasks[0];
  if (result.state !== "completed") throw new Error(`${name} did not complete: ${result.state}`);
  return result.latency.p50 / batch;
}

/** A duration in ms as text with a unit that keeps three significant digits. */
export function formatDuration(ms) {
  if (ms >= 1000) return `${(ms / 1000).toPrecision(3)} s`;
  if (ms >= 1) return `${ms.toPrecision(3)} ms`;
  if (ms >= 0.001) return `${(ms * 1000).toPrecision(3)} µs`;
  return `${(ms * 1e6).toPrecision(3)} ns`;
}

/** A byte count as text. */
export function formatBytes(bytes) {
  if (Math.abs(bytes) >= 1024 ** 3) return `${(bytes / 1024 ** 3).toPrecision(3)} GiB`;
  if (Math.abs(bytes) >= 1024 * 1024) return `${(bytes / 1024 / 1024).toPrecision(3)} MiB`;
  if (Math.abs(bytes) >= 1024) return `${(bytes / 1024).toPrecision(3)} KiB`;
  return `${Math.round(bytes)} B`;
}

/**
 * A target for a row: `{ text, met(row) }`. The helpers cover the usual shapes; `row.ratio` is ours
 * divided by the baseline (time, or count), `row.ours` our value.
 */
export const targets = {
  /** Our time at most `max` times the baseline's: "≤ 1.10×". */
  atMost: (max) => ({ text: `≤ ${max.toFixed(2)}×`, met: (row) => row.ratio <= max }),
  /** At least `factor` times faster than the baseline: "≥ 20× faster". */
  fasterBy: (factor) => ({ text: `≥ ${factor}× faster`, met: (row) => row.ratio <= 1 / factor }),
  /** Exactly this many (of a count). */
  exactly: (value, unit) => ({ text: `exactly ${value} ${unit}`, met: (row) => row.ours === value }),
  /** Our count at most a fraction of the baseline's: "≤ 1/10 of jose". */
  fractionOf: (denominator, of) => ({
    text: `≤ 1/${denominator} of ${of}`,
    met: (row) => row.ours * denominator <= row.baseline,
  }),
};

class Section {
  constructor(run, { id, title, items, note }) {
    this.run = run;
    this.id = id;
    this.title = title;
    this.items = items ?? [];
    this.notes = note === undefined ? [] : [note];
    this.rows = [];
    this.load = loadavg()[0];
  }

  get settings() {
    return this.run.settings;
  }

  /**
   * Time our call against a baseline.
   * @param {{ operation: string, ours: () => unknown, baseline: () => unknown, baselineName: string,
   *   oursName?: string, target?: { text: string, met: (row: object) => boolean }, timeScale?: number,
   *   slow?: boolean }} pair `slow`: an operation of a second or so, timed in at most 3 rounds of 2 calls a side
   */
  async compare({ operation, ours, baseline, baselineName, oursName, target, timeScale = 1, slow = false }) {
    const measured = await this.measurePair(operation, ours, baseline, baselineName, timeScale, slow);
    const row = {
      kind: "time",
      operation,
      oursName: oursName ?? "keyprovider",
      baselineName,
      ...measured,
    };
    return this.#add(row, target);
  }

  /**
   * Time two functions in alternating rounds without recording a row: the median ms per call of
   * each, the per-round ratios (ours ÷ baseline) and their median.
   */
  async measurePair(operation, ours, baseline, baselineName, timeScale = 1, slow = false) {
    const oursMs = [];
    const baseMs = [];
    const rounds = slow ? Math.min(3, this.settings.rounds) : this.settings.rounds;
    const iterations = slow ? 2 : undefined;
    for (let round = 0; round < rounds; round += 1) {
      const order = round % 2 === 0 ? ["ours", "baseline"] : ["baseline", "ours"];
      for (const side of order) {
        const [name, fn, into] =
          side === "ours" ? [operation, ours, oursMs] : [baselineName, baseline, baseMs];
        into.push(await timePerCall(name, fn, this.settings, timeScale, iterations));
      }
    }
    const ratios = oursMs.map((value, i) => value / baseMs[i]);
    return { oursMs: median(oursMs), baselineMs: median(baseMs), ratio: median(ratios), ratios };
  }

  /**
   * Record a count (requests, KMS calls) of ours against the baseline's.
   * @param {{ operation: string, unit: string, ours: number, baseline: number, baselineName: string,
   *   target?: { text: string, met: (row: object) => boolean } }} count
   */
  count({ operation, unit, ours, baseline, baselineName, detail, target }) {
    const row = {
      kind: "count",
      operation,
      unit,
      baselineName,
      ours,
      baseline,
      ratio: baseline === 0 ? (ours === 0 ? 1 : Infinity) : ours / baseline,
      ...(detail === undefined ? {} : { detail }),
    };
    return this.#add(row, target);
  }

  /**
   * Per-key cost at several sizes, ours and the baseline's, and how it grows: `timeGrowth` is our
   * per-key time at the largest size over the one at the smallest (1.00× = linear), `heapGrowth` the
   * same for the heap the result holds. `storeBytes` is what holding the n keys costs each side.
   * @param {{ operation: string, baselineName: string, sizes: { n: number, oursMs: number,
   *   baselineMs: number, ratio: number, oursHeapBytes: number, baselineHeapBytes: number,
   *   oursStoreBytes: number, baselineStoreBytes: number }[] }} growth
   */
  growth({ operation, baselineName, sizes }) {
    const perKey = sizes.map((size) => ({
      ...size,
      oursMsPerKey: size.oursMs / size.n,
      baselineMsPerKey: size.baselineMs / size.n,
      oursHeapPerKey: size.oursHeapBytes / size.n,
      baselineHeapPerKey: size.baselineHeapBytes / size.n,
      oursStorePerKey: size.oursStoreBytes / size.n,
      baselineStorePerKey: size.baselineStoreBytes / size.n,
    }));
    const first = perKey[0];
    const last = perKey.at(-1);
    const row = {
      kind: "growth",
      operation,
      baselineName,
      sizes: perKey,
      timeGrowth: last.oursMsPerKey / first.oursMsPerKey,
      heapGrowth: last.oursHeapPerKey / first.oursHeapPerKey,
      storeGrowth: last.oursStorePerKey / first.oursStorePerKey,
    };
    this.rows.push(row);
    console.table(
      perKey.map((size) => ({
        keys: size.n,
        "ours/key": formatDuration(size.oursMsPerKey),
        "baseline/key": formatDuration(size.baselineMsPerKey),
        ratio: size.ratio.toFixed(2),
        "result heap/key": formatBytes(size.oursHeapPerKey),
        "baseline heap/key": formatBytes(size.baselineHeapPerKey),
        "store/key": formatBytes(size.oursStorePerKey),
      })),
    );
    return row;
  }

  /** A sentence for the report under this section's table. */
  note(text) {
    this.notes.push(text);
  }

  #add(row, target) {
    if (target !== undefined) Object.assign(row, { target: target.text, met: target.met(row) });
    this.rows.push(row);
    const shown =
      row.kind === "time"
        ? `${formatDuration(row.oursMs)} vs ${formatDuration(row.baselineMs)}`
        : `${row.ours} vs ${row.baseline} ${row.unit}`;
    const verdict = row.target === undefined ? "" : `  [${row.met ? "met" : "MISSED"}: ${row.target}]`;
    console.log(
      `  ${row.operation} — ${shown} (${row.baselineName}) ratio ${row.ratio.toFixed(2)}${verdict}`,
    );
    return row;
  }
}

/** One `pnpm bench` run: its settings, its sections, and the machine it ran on. */
export class BenchRun {
  constructor(settings) {
    this.settings = settings;
    this.sections = [];
    this.startedAt = new Date();
    this.loadAtStart = loadavg();
  }

  /** Start a section of the report (one table). */
  section({ id, title, items, note }) {
    console.log(`\n${title}`);
    const section = new Section(this, { id, title, items, note });
    this.sections.push(section);
    return section;
  }

  /** Everything as plain data, for benchmarks.json. */
  toJSON() {
    const cpu = cpus();
    return {
      machine: {
        cpu: cpu[0]?.model.trim() ?? "unknown",
        cores: cpu.length,
        memoryBytes: totalmem(),
        node: process.version,
        v8: process.versions.v8,
        openssl: process.versions.openssl,
        platform: `${process.platform} ${process.arch}`,
      },
      startedAt: this.startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - this.startedAt.getTime()) / 1000),
      load: { atStart: this.loadAtStart, atEnd: loadavg() },
      settings: {
        quick: this.settings.quick,
        rounds: this.settings.rounds,
        timeMs: this.settings.timeMs,
      },
      sections: this.sections.map((section) => ({
        id: section.id,
        title: section.title,
        items: section.items,
        load1m: section.load,
        notes: section.notes,
        rows: section.rows,
        ...(section.error === undefined ? {} : { error: section.error }),
      })),
    };
  }
}
