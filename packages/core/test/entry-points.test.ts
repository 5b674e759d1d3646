import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const packageDir = resolve(import.meta.dirname, "..");

/** Every bare specifier the built module graph from `entry` imports (relative chunks followed). */
function bareImports(entry: string): string[] {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(join(packageDir, "dist", file), "utf8");
    for (const [, specifier] of code.matchAll(/(?:^|\s)(?:import|export)\s[^;]*?from\s*"([^"]+)"/g)) {
      if (specifier!.startsWith("./")) visit(specifier!.slice(2));
      else bare.add(specifier!);
    }
    for (const [, specifier] of code.matchAll(/(?:^|\s)import\s*"([^"]+)"/g)) {
      if (specifier!.startsWith("./")) visit(specifier!.slice(2));
      else bare.add(specifier!);
    }
  };
  visit(entry);
  return [...bare].sort();
}

describe("entry points", () => {
  it("the main entry imports nothing: no dependency, no Node builtin, so it runs anywhere", () => {
    expect(bareImports("index.js")).toEqual([]);
  });

  it("only the ./node entry takes the resolver dependency", () => {
    expect(bareImports("node.js")).toContain("import-meta-resolve");
    const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
      sideEffects?: unknown;
      dependencies?: Record<string, string>;
    };
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(["import-meta-resolve"]);
    expect(manifest.sideEffects).toBe(false);
  });
});
