#!/usr/bin/env node
// Reads vitest's JSON report and prints "N passed, N failed" as the last line. A test file that
// failed to load (no assertion results) counts as one failure; a missing report means the run
// broke before the tests (install or build) and counts as one failure too.
import { existsSync, readFileSync } from "node:fs";

const path = process.argv[2] ?? "reports/vitest.json";
if (!existsSync(path)) {
  console.log(`No test report at ${path}: the run failed before the tests.`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const report = JSON.parse(readFileSync(path, "utf8"));
const unloadable = report.testResults.filter(
  (file) => file.status === "failed" && !file.assertionResults.some((test) => test.status === "failed"),
);
for (const file of unloadable)
  console.log(`Could not run ${file.name}: ${String(file.message).split("\n")[0]}`);
const passed = report.numPassedTests;
const failed = report.numFailedTests + unloadable.length;
const skipped = report.numPendingTests + report.numTodoTests;
if (skipped > 0) console.log(`${skipped} skipped or todo`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
