import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { root } from "./workspace.js";

const run = promisify(execFile);

/** Run a root tool and return its combined output; a non-zero exit fails the test with that output. */
async function check(command: string, args: string[]): Promise<void> {
  try {
    await run(command, args, {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, FORCE_COLOR: "0" },
    });
  } catch (error) {
    const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
    expect.fail(`${command} ${args.join(" ")} failed:\n${stdout}\n${stderr}`.slice(0, 20_000));
  }
}

const bin = (name: string) => join(root, "node_modules/.bin", name);

// CI runs only the test command, so the static checks run as tests: a lint error is a red test.
describe("static checks", () => {
  it(
    "typecheck: tsc --noEmit in every package",
    () => check(bin("turbo"), ["run", "typecheck", "--output-logs=errors-only"]),
    600_000,
  );
  it(
    "lint: eslint (type-aware) with no warnings",
    () => check(bin("eslint"), [".", "--max-warnings=0"]),
    600_000,
  );
  it("format: prettier --check", () => check(bin("prettier"), ["--check", "."]), 600_000);
  it(
    "api docs: TypeDoc converts every published package with no warning (what pnpm docs builds)",
    () => check(bin("typedoc"), ["--emit", "none"]),
    600_000,
  );
  it(
    "packaging: publint --strict and attw on every published package",
    () => check(bin("turbo"), ["run", "check:package", "--output-logs=errors-only"]),
    600_000,
  );
});
