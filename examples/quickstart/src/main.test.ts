import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { main } from "./main.js";

describe("quickstart", () => {
  it("walks through every step", async () => {
    const lines: string[] = [];
    await main((line) => lines.push(line));
    expect(lines).toHaveLength(6);
    expect(lines[1]).toMatch(/^created [0-9a-f]{32} v1, 32-byte secret/);
    expect(lines[2]).toContain('"material":"[redacted]"');
    expect(lines[3]).toBe("rotated to v2; versions [1,2]");
    expect(lines[5]).toBe("v1 is gone: ERR_KEY_NOT_FOUND");
  });

  it("runs as `pnpm demo` runs it: the built script in plain Node", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(import.meta.dirname, "../dist/main.js"),
    ]);
    expect(stdout).toContain("v1 is gone: ERR_KEY_NOT_FOUND");
  });
});
