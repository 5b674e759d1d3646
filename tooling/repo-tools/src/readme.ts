import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/** One fenced TypeScript block of a README. */
export interface ReadmeExample {
  /** The nearest heading above the block. */
  readonly heading: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly code: string;
  /** `module`: imported and run; `vitest`: a test file, run by vitest in a child process. */
  readonly mode: "module" | "vitest";
}

const FENCE = /^```(?:ts|typescript)(?:\s+(vitest))?\s*$/;

/**
 * Every ```ts block of a Markdown file, in order. Blocks in other languages (sh, json, text) are
 * not code examples and are skipped.
 */
export function readmeExamples(readmePath: string): ReadmeExample[] {
  const lines = readFileSync(readmePath, "utf8").split("\n");
  const examples: ReadmeExample[] = [];
  let heading = "(top)";
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!;
    if (line.startsWith("#")) heading = line.replace(/^#+\s*/, "");
    const fence = FENCE.exec(line);
    if (fence === null) continue;
    const start = i;
    const body: string[] = [];
    for (i += 1; i < lines.length && !lines[i]!.startsWith("```"); i += 1) body.push(lines[i]!);
    examples.push({
      heading,
      line: start + 1,
      code: body.join("\n"),
      mode: fence[1] === "vitest" ? "vitest" : "module",
    });
  }
  return examples;
}

/**
 * Run one README block as an ES module from the README's own directory, so its imports resolve
 * exactly as they would for a reader of that package. Returns what it printed with console.log.
 */
export async function runReadmeExample(readmePath: string, example: ReadmeExample): Promise<string[]> {
  if (example.mode === "vitest") return runAsTestFile(readmePath, example);
  const dir = join(dirname(readmePath), ".readme-examples");
  const file = join(dir, `example-${example.line}-${randomUUID()}.ts`);
  await mkdir(dir, { recursive: true });
  await writeFile(file, `${example.code}\n`);
  const printed: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => {
    printed.push(args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" "));
  };
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    console.log = log;
    await rm(file, { force: true });
  }
  return printed;
}

/**
 * Register one vitest test per ```ts block of a README (by default the one of the calling test
 * file's package): each block must run to completion. Call it from `src/readme.test.ts` with
 * `import.meta.url`.
 */
export function describeReadme(testFileUrl: string, relativePath = "../README.md"): void {
  const readme = fileURLToPath(new URL(relativePath, testFileUrl));
  const examples = readmeExamples(readme);
  describe(`README examples (${examples.length})`, () => {
    it("has at least one example", () => {
      expect(examples.length).toBeGreaterThan(0);
    });
    it.each(examples.map((example) => [`${example.heading}, line ${example.line}`, example] as const))(
      "%s runs",
      async (_name, example) => {
        await runReadmeExample(readme, example);
      },
      120_000,
    );
  });
}

const root = resolve(import.meta.dirname, "../../..");

/**
 * Run a README block that is itself a test file (it calls describe/it at the top level) the only
 * honest way: as a test file of the README's package, in a child vitest process.
 */
async function runAsTestFile(readmePath: string, example: ReadmeExample): Promise<string[]> {
  const packageDir = dirname(readmePath);
  const name = (JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { name: string }).name;
  const dir = join(packageDir, "test", "readme-examples");
  const file = join(dir, `example-${example.line}-${randomUUID()}.test.ts`);
  await mkdir(dir, { recursive: true });
  await writeFile(file, `${example.code}\n`);
  try {
    const { stdout: raw } = await promisify(execFile)(
      join(root, "node_modules/.bin/vitest"),
      ["run", "--project", name, "--reporter=dot", relative(root, file)],
      { cwd: root, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 16 * 1024 * 1024 },
    );
    // eslint-disable-next-line no-control-regex -- strip the ANSI colours vitest prints anyway
    const stdout = raw.replace(/\u001b\[[0-9;]*m/g, "");
    const summary = /Tests\s+(\d+) passed/.exec(stdout);
    if (summary === null || /\bfailed\b/.test(stdout))
      throw Object.assign(new Error("no passing tests"), { stdout });
    return stdout.split("\n");
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    throw new Error(
      `The README test example at line ${example.line} failed under vitest:\n${stdout}\n${stderr}`.slice(
        0,
        20_000,
      ),
      { cause: error },
    );
  } finally {
    await rm(file, { force: true });
  }
}
