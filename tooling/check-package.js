#!/usr/bin/env node
// Packs the package in the current directory exactly as it would be published (pnpm rewrites
// workspace: ranges), then checks that tarball with publint --strict and
// @arethetypeswrong/cli (ESM-only profile). Exits non-zero on any problem.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const out = mkdtempSync(join(tmpdir(), "keyprovider-pack-"));
const run = (command, args) => execFileSync(command, args, { stdio: "inherit" });

try {
  execFileSync("pnpm", ["pack", "--pack-destination", out], { stdio: ["ignore", "ignore", "inherit"] });
  const tarball = readdirSync(out).find((file) => file.endsWith(".tgz"));
  if (tarball === undefined) throw new Error("pnpm pack produced no tarball");
  const path = join(out, tarball);
  run(bin("publint"), ["run", path, "--strict"]);
  run(bin("attw"), [path, "--profile", "esm-only", "--format", "table-flipped"]);
} catch (error) {
  console.error(`check:package failed in ${process.cwd()}: ${error.message}`);
  process.exitCode = 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
