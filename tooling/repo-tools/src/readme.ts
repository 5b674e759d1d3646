import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { formatWithOptions, isDeepStrictEqual, promisify } from "node:util";
import { fileURLToPath } from "node:url";
import ts from "typescript";
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
  /** The `// → value` result comments of the block. */
  readonly results: readonly ResultComment[];
}

/**
 * A result comment: `console.log(x); // → value` says what that `console.log` prints. The value is
 * compared with what the call printed, as console.log prints it (strings as they are, other values
 * through `util.inspect`), whitespace-insensitively (a line break in an object's rendering is a
 * space, and `[ 1 ]` may be written `[1]`); `…` stands for any text, such as a random kid. A call
 * with one argument may instead be given as JSON (`// → ["ES256/sig"]`), compared as data. The
 * line must call `console.log` exactly once when the block runs.
 */
export interface ResultComment {
  /** 1-based line of the README. */
  readonly line: number;
  /** 0-based line within the block. */
  readonly index: number;
  readonly expected: string;
}

const RESULT = /\/\/ → (.*)$/;
const RECORDER_NAME = "keyprovider.readme.result";
const RECORDER = Symbol.for(RECORDER_NAME);

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
    const results = body.flatMap((text, index): ResultComment[] => {
      const expected = RESULT.exec(text)?.[1]?.trim();
      return expected === undefined ? [] : [{ line: start + 2 + index, index, expected }];
    });
    examples.push({
      heading,
      line: start + 1,
      code: body.join("\n"),
      mode: fence[1] === "vitest" ? "vitest" : "module",
      results,
    });
  }
  return examples;
}

/** A link of a Markdown file: where it points, and the line it is on. */
export interface MarkdownLink {
  /** 1-based. */
  readonly line: number;
  readonly target: string;
}

const LINK_PATTERNS: readonly RegExp[] = [
  /!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g, // [text](target "title"), ![alt](src)
  /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/g, // [label]: target
  /<((?:https?|mailto|ftp):[^>\s]+)>/g, // <https://…>
  /\b(?:href|src)\s*=\s*"([^"]*)"/g, // <a href="…">, <img src="…">
];

/**
 * Every link target of a Markdown file outside fenced code blocks and inline code: inline links and
 * images, reference definitions, autolinks and HTML `href`/`src`.
 */
export function markdownLinks(markdownPath: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  let fence: string | undefined;
  readFileSync(markdownPath, "utf8")
    .split("\n")
    .forEach((text, index) => {
      const opening = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
      if (opening !== undefined) {
        if (fence === undefined) fence = opening;
        else if (opening.startsWith(fence)) fence = undefined;
        return;
      }
      if (fence !== undefined) return;
      const prose = text.replace(/(`+)[^`]*?\1/g, "");
      for (const pattern of LINK_PATTERNS) {
        for (const match of prose.matchAll(pattern)) links.push({ line: index + 1, target: match[1]! });
      }
    });
  return links;
}

/**
 * Run one README block as an ES module from the README's own directory, so its imports resolve
 * exactly as they would for a reader of that package, and check its `// → value` result comments
 * (see {@link ResultComment}). Returns what it printed with console.log, as console.log prints it.
 */
export async function runReadmeExample(readmePath: string, example: ReadmeExample): Promise<string[]> {
  if (example.mode === "vitest") {
    const [result] = example.results;
    if (result !== undefined) {
      throw new Error(
        `${readmePath}:${result.line}: a // → result in a \`\`\`ts vitest block cannot be checked; show results in a \`\`\`ts block`,
      );
    }
    return runAsTestFile(readmePath, example);
  }
  const dir = join(dirname(readmePath), ".readme-examples");
  const file = join(dir, `example-${example.line}-${randomUUID()}.ts`);
  await mkdir(dir, { recursive: true });
  await writeFile(file, `${instrument(readmePath, example)}\n`);
  const printed: string[] = [];
  const byLine = new Map<number, unknown[][]>();
  const log = console.log;
  const global = globalThis as Record<symbol, unknown>;
  console.log = (...args: unknown[]) => {
    printed.push(formatWithOptions({}, ...args));
  };
  global[RECORDER] = (line: number, ...args: unknown[]) => {
    printed.push(formatWithOptions({}, ...args));
    byLine.set(line, [...(byLine.get(line) ?? []), args]);
  };
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    console.log = log;
    delete global[RECORDER];
    await rm(file, { force: true });
  }
  const wrong = example.results.flatMap((result) => {
    const calls = byLine.get(result.line) ?? [];
    if (calls.length !== 1)
      return [`${readmePath}:${result.line}: console.log ran ${calls.length} times, not once`];
    const problem = resultMismatch(result.expected, calls[0]!);
    return problem === undefined ? [] : [`${readmePath}:${result.line}: ${problem}`];
  });
  if (wrong.length > 0) throw new Error(`README results that the code does not give:\n${wrong.join("\n")}`);
  return printed;
}

/**
 * The block's code with the `console.log` of each result comment's call replaced by the recorder,
 * bound to the comment's README line, so each printed value is matched to its comment. The call is
 * the one that ends on the comment's line (Prettier may wrap a long call, leaving the comment after
 * its closing parenthesis). Lines keep their numbers.
 */
function instrument(readmePath: string, example: ReadmeExample): string {
  const source = ts.createSourceFile(
    "example.ts",
    example.code,
    ts.ScriptTarget.Latest,
    true,
    ts.ScriptKind.TS,
  );
  const calls: ts.CallExpression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.expression.getText(source) === "console.log") calls.push(node);
    ts.forEachChild(node, visit);
  };
  visit(source);
  const edits = example.results.map((result) => {
    const ending = calls.filter(
      (call) => source.getLineAndCharacterOfPosition(call.getEnd()).line === result.index,
    );
    if (ending.length !== 1) {
      throw new Error(
        `${readmePath}:${result.line}: a // → result comment goes after exactly one console.log(…) call, whose output it shows; this line ends ${ending.length}`,
      );
    }
    const callee = ending[0]!.expression;
    return { start: callee.getStart(source), end: callee.getEnd(), line: result.line };
  });
  let code = example.code;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    code = `${code.slice(0, edit.start)}(globalThis as any)[Symbol.for("${RECORDER_NAME}")].bind(null, ${edit.line})${code.slice(edit.end)}`;
  }
  return code;
}

/** Why `args`, as console.log prints them, are not what `expected` says; `undefined` if they are. */
export function resultMismatch(expected: string, args: readonly unknown[]): string | undefined {
  const printed = formatWithOptions({}, ...args);
  const wanted = normalize(expected);
  const pattern = new RegExp(`^${wanted.split("…").map(escapeRegExp).join(".*?")}$`, "s");
  if (pattern.test(normalize(printed))) return undefined;
  if (args.length === 1 && !expected.includes("…")) {
    try {
      if (isDeepStrictEqual(JSON.parse(expected), JSON.parse(JSON.stringify(args[0]) ?? "null")))
        return undefined;
    } catch {
      // not JSON, or not JSON-able: compared as printed only
    }
  }
  return `the comment says ${expected}, but it prints ${printed.replace(/\s+/g, " ")}`;
}

/** Whitespace runs as one space, none just inside brackets: how util.inspect wraps is not the point. */
function normalize(text: string): string {
  return text
    .replace(/\s+/g, " ")
    .replace(/([[{(]) /g, "$1")
    .replace(/ ([\]})])/g, "$1")
    .trim();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
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
