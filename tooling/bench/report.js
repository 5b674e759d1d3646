// Writes docs/benchmarks.json and the generated part of docs/benchmarks.md. The markdown keeps
// whatever stands outside the generated block (the hand-written analysis of misses), so a new run
// refreshes the numbers without losing the explanation of them.
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { formatBytes, formatDuration } from "./harness.js";

const START = "<!-- pnpm bench: generated from here -->";
const END = "<!-- pnpm bench: generated up to here -->";

const DEFAULT_HEAD = `# Benchmarks

How keyprovider's hot paths compare with what a user would write without it (issue 12). The tables
come from \`pnpm bench\` (tooling/bench); rerun it to refresh them. The text after the tables is
written by hand and kept by the run.
`;

const escapeCell = (text) => String(text).replaceAll("|", "\\|").replaceAll("\n", " ");
const times = (ratio) => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "∞");

function verdict(row) {
  if (row.target === undefined) return "";
  return `${row.target}: ${row.met ? "met" : "**missed**"}`;
}

function rowCells(row) {
  if (row.kind === "time") {
    return [
      row.operation,
      formatDuration(row.oursMs),
      `${formatDuration(row.baselineMs)} (${row.baselineName})`,
      times(row.ratio),
      verdict(row),
    ];
  }
  const unit = (n) => `${n.toLocaleString("en")} ${n === 1 ? row.unit.replace(/s$/, "") : row.unit}`;
  return [
    row.detail === undefined ? row.operation : `${row.operation} (${row.detail})`,
    unit(row.ours),
    `${unit(row.baseline)} (${row.baselineName})`,
    times(row.ratio),
    verdict(row),
  ];
}

function table(header, rows) {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((cells) => `| ${cells.map(escapeCell).join(" | ")} |`),
  ].join("\n");
}

function growthTable(row) {
  return table(
    [
      "keys",
      "ours",
      "ours per key",
      "baseline per key",
      "ratio",
      "result heap per key (ours / baseline)",
      "keys held, heap per key (ours / baseline)",
    ],
    row.sizes.map((size) => [
      size.n.toLocaleString("en"),
      formatDuration(size.oursMs),
      formatDuration(size.oursMsPerKey),
      formatDuration(size.baselineMsPerKey),
      times(size.ratio),
      `${formatBytes(size.oursHeapPerKey)} / ${formatBytes(size.baselineHeapPerKey)}`,
      `${formatBytes(size.oursStorePerKey)} / ${formatBytes(size.baselineStorePerKey)}`,
    ]),
  );
}

/** The generated block of benchmarks.md. */
export function renderMarkdown(results) {
  const { machine, load, settings } = results;
  const lines = [];
  const date = results.startedAt.slice(0, 10);
  lines.push(
    `Measured on ${date}: ${machine.cpu}, ${machine.cores} cores, ${formatBytes(machine.memoryBytes)} RAM, ` +
      `Node.js ${machine.node} (V8 ${machine.v8}, OpenSSL ${machine.openssl}), ${machine.platform}. ` +
      `1-minute load average ${load.atStart[0].toFixed(2)} at the start and ${load.atEnd[0].toFixed(2)} at the end ` +
      `(each section gives its own). ${settings.rounds} round${settings.rounds === 1 ? "" : "s"} per pair, ` +
      `${settings.timeMs} ms per side per round, order alternating; the run took ${results.durationSeconds} s.` +
      (settings.quick ? " **Quick mode: a smoke test, the ratios mean nothing.**" : ""),
    "",
    "**Ratio** = our time ÷ the baseline's time per operation (the median of the per-round ratios): " +
      "1.00× is as fast, below 1 is faster. For counts it is our count ÷ the baseline's. Absolute " +
      "times are shown for scale only; the ratios are the result.",
    "",
  );
  const withTargets = results.sections.flatMap((section) =>
    section.rows.filter((row) => row.target !== undefined).map((row) => ({ section, row })),
  );
  if (withTargets.length > 0) {
    const missed = withTargets.filter(({ row }) => !row.met);
    lines.push(
      "## Targets",
      "",
      `${withTargets.length - missed.length} of ${withTargets.length} met.` +
        (missed.length === 0
          ? ""
          : ` Missed: ${missed.map(({ row }) => `${row.operation} (${times(row.ratio)}, target ${row.target})`).join("; ")}.`),
      "",
    );
  }
  for (const section of results.sections) {
    const items = section.items.length === 0 ? "" : ` (issue 12, item ${section.items.join(", ")})`;
    lines.push(`## ${section.title}${items}`, "");
    lines.push(`1-minute load average at the start of this section: ${section.load1m.toFixed(2)}.`, "");
    if (section.error !== undefined) lines.push(`**This section failed:** ${escapeCell(section.error)}`, "");
    const plain = section.rows.filter((row) => row.kind !== "growth");
    if (plain.length > 0) {
      lines.push(table(["operation", "ours", "baseline", "ratio", "target"], plain.map(rowCells)), "");
    }
    for (const row of section.rows.filter((r) => r.kind === "growth")) {
      lines.push(
        `${row.operation} against ${row.baselineName}: per-key time grows ${times(row.timeGrowth)}` +
          `, the heap its result holds per key ${times(row.heapGrowth)}, and the heap per key held ` +
          `${times(row.storeGrowth)} from the smallest to the largest set (1.00× is linear).`,
        "",
        growthTable(row),
        "",
      );
    }
    for (const note of section.notes) lines.push(note, "");
  }
  return lines.join("\n");
}

/** Write benchmarks.json and benchmarks.md into `dir`, keeping the hand-written part of the markdown. */
export async function writeReport(dir, results) {
  await mkdir(dir, { recursive: true });
  const mdPath = join(dir, "benchmarks.md");
  let head = DEFAULT_HEAD;
  let tail = "";
  if (existsSync(mdPath)) {
    const previous = await readFile(mdPath, "utf8");
    const start = previous.indexOf(START);
    const end = previous.indexOf(END);
    if (start !== -1 && end > start) {
      head = previous.slice(0, start);
      tail = previous.slice(end + END.length);
    } else {
      tail = `\n${previous}`;
    }
  }
  const markdown = `${head.trimEnd()}\n\n${START}\n\n${renderMarkdown(results)}\n${END}\n${tail.replace(/^\n*/, "\n")}`;
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const [md, formattedJson] = await formatted(markdown, json);
  await writeFile(mdPath, md);
  await writeFile(join(dir, "benchmarks.json"), formattedJson);
  return { markdown: mdPath, json: join(dir, "benchmarks.json") };
}

/** Both files as the repository's prettier would write them (prettier --check covers docs/). */
async function formatted(markdown, json) {
  try {
    const prettier = await import("prettier");
    const config = (await prettier.resolveConfig(join(import.meta.dirname, "report.js"))) ?? {};
    return Promise.all([
      prettier.format(markdown, { ...config, parser: "markdown" }),
      prettier.format(json, { ...config, parser: "json" }),
    ]);
  } catch {
    return [markdown, json];
  }
}
