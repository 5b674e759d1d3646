import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { publishedPackages } from "./workspace.js";

/** Entry source files of a package: what its exports map points at, as src/*.ts. */
function entries(dir: string, exportsField: Record<string, unknown> | undefined): string[] {
  return Object.entries(exportsField ?? {})
    .filter(([subpath]) => subpath !== "./package.json")
    .map(([, target]) => (typeof target === "string" ? target : (target as { default: string }).default))
    .map((file) => join(dir, file.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts")));
}

/** Public exports of a module that lack a doc comment with an @example. */
function undocumentedExports(file: string): string[] {
  const program = ts.createProgram([file], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  if (source === undefined) return [`${file}: not found`];
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) return [];
  const missing: string[] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const documented = (symbol.declarations ?? []).some((declaration) => {
      const holder = ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration;
      return ts.getJSDocTags(holder).some((tag) => tag.tagName.text === "example");
    });
    if (!documented) missing.push(exported.name);
  }
  return missing;
}

describe("documentation", () => {
  for (const pkg of publishedPackages) {
    describe(pkg.manifest.name, () => {
      it("every public export has a doc comment with an @example", () => {
        const missing = entries(pkg.dir, pkg.manifest.exports).flatMap(undocumentedExports);
        expect(missing).toEqual([]);
      }, 60_000);

      it("has a README with TypeScript examples", () => {
        const readme = join(pkg.dir, "README.md");
        expect(existsSync(readme)).toBe(true);
        expect(readFileSync(readme, "utf8")).toMatch(/^```ts$/m);
      });
    });
  }
});

describe("public types", () => {
  it.each(publishedPackages.map((pkg) => [pkg.manifest.name, pkg] as const))(
    "%s declares no `any` in its published declarations",
    (_name, pkg) => {
      const declarations = readdirSync(join(pkg.dir, "dist")).filter((file) => file.endsWith(".d.ts"));
      expect(declarations.length).toBeGreaterThan(0);
      for (const file of declarations) {
        const code = readFileSync(join(pkg.dir, "dist", file), "utf8")
          .replace(/\/\*[\s\S]*?\*\//g, "") // doc comments may say "any"
          .replace(/\/\/.*$/gm, "")
          .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, '""'); // the literal "any" is a value, not the type
        expect(code, file).not.toMatch(/\bany\b/);
      }
    },
  );
});
