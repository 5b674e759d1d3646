import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { markdownLinks, readmeExamples, resultMismatch, runReadmeExample } from "../src/readme.js";

const scratch = mkdtempSync(join(tmpdir(), "keyprovider-readme-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let count = 0;
function readme(markdown: string): string {
  count += 1;
  const path = join(scratch, `README-${count}.md`);
  writeFileSync(path, markdown);
  return path;
}

async function runAll(path: string): Promise<void> {
  for (const example of readmeExamples(path)) await runReadmeExample(path, example);
}

describe("// → result comments", () => {
  it.each([
    ["a string as it is", "hello", ["hello"]],
    ["several values as console.log joins them", "user-1 ES256 1", ["user-1", "ES256", 1]],
    ["an object as util.inspect prints it", "{ kid: 'k', version: 1 }", [{ kid: "k", version: 1 }]],
    ["without the spaces inside brackets", "[1, 2] {a: 1}", [[1, 2], { a: 1 }]],
    [
      "a wrapped rendering on one line",
      `{ a: '${"x".repeat(60)}', b: '${"y".repeat(60)}' }`,
      [{ a: "x".repeat(60), b: "y".repeat(60) }],
    ],
    ["one value as JSON", '["ES256/sig", "ES256/sig"]', [["ES256/sig", "ES256/sig"]]],
    ["… for any text", "….1 true", ["0f3a9c.1", true]],
    ["undefined and booleans", "true undefined", [true, undefined]],
  ])("match %s", (_name, expected, args) => {
    expect(resultMismatch(expected, args)).toBeUndefined();
  });

  it.each([
    ["another value", "2", [3]],
    ["JSON that is not the same data", '["a"]', [["b"]]],
    ["quotes around one of several strings", '"exp" missing', ["exp", "missing"]],
    ["prose after the value", "false: no secret here", [false]],
    ["another member", "{ a: 1 }", [{ a: 2 }]],
  ])("refuse %s", (_name, expected, args) => {
    expect(resultMismatch(expected, args)).toMatch(/^the comment says .*, but it prints /);
  });

  it("checks each comment against the call it follows, including a call Prettier wrapped", async () => {
    const path = readme(
      [
        "# Example",
        "```ts",
        "const values = [1, 2];",
        "console.log(values.length); // → 2",
        "console.log(",
        "  values.map((v) => v * 2),",
        "  'doubled',",
        "); // → [ 2, 4 ] doubled",
        "console.log('not checked'); // a plain comment",
        "```",
      ].join("\n"),
    );
    expect(readmeExamples(path)[0]!.results.map((r) => [r.line, r.expected])).toEqual([
      [4, "2"],
      [8, "[ 2, 4 ] doubled"],
    ]);
    await runAll(path);
  });

  it("fails with the README line, what it says and what the code prints", async () => {
    const path = readme(["```ts", "console.log(1 + 1); // → 3", "```"].join("\n"));
    await expect(runAll(path)).rejects.toThrow(`${path}:2: the comment says 3, but it prints 2`);
  });

  it("fails for a comment after something that is not one console.log call", async () => {
    const path = readme(["```ts", "const x = 1 + 1; // → 2", "```"].join("\n"));
    await expect(runAll(path)).rejects.toThrow(
      `${path}:2: a // → result comment goes after exactly one console.log`,
    );
  });

  it("fails for a result line that does not run once", async () => {
    const loop = readme(["```ts", "for (const i of [1, 2]) console.log(i); // → 1", "```"].join("\n"));
    await expect(runAll(loop)).rejects.toThrow(`${loop}:2: console.log ran 2 times, not once`);
    const never = readme(
      ["```ts", "if (Math.random() > 2) console.log('never'); // → never", "```"].join("\n"),
    );
    await expect(runAll(never)).rejects.toThrow(`${never}:2: console.log ran 0 times, not once`);
  });

  it("refuses a result comment in a ```ts vitest block, which runs in another process", async () => {
    const path = readme(["```ts vitest", "console.log(1); // → 1", "```"].join("\n"));
    await expect(runAll(path)).rejects.toThrow("cannot be checked");
  });
});

describe("markdownLinks", () => {
  it("finds inline, reference, auto and HTML links outside code", () => {
    const path = readme(
      [
        "See [the core](../core/README.md) and ![logo](logo.png 'Logo').",
        "[ref]: https://example.com/ref",
        '<https://example.com/auto> and <a href="docs/x.md">x</a>',
        "Code: `[not](a-link.md)`",
        "```md",
        "[also not](inside-a-fence.md)",
        "```",
      ].join("\n"),
    );
    expect(markdownLinks(path)).toEqual([
      { line: 1, target: "../core/README.md" },
      { line: 1, target: "logo.png" },
      { line: 2, target: "https://example.com/ref" },
      { line: 3, target: "https://example.com/auto" },
      { line: 3, target: "docs/x.md" },
    ]);
  });
});
