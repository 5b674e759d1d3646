import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { main } from "./main.js";

describe("quickstart", () => {
  it("signs, publishes, rotates and retires, and keeps a key across processes", async () => {
    const lines: string[] = [];
    await main((line) => lines.push(line));
    expect(lines).toHaveLength(8);
    expect(lines[1]).toMatch(/^created [0-9a-f]{32} v1 \(ED25519\), fingerprint [\w-]{43}$/);
    expect(lines[2]).toBe('private key returned: no; JSON.stringify(ref) has "material": false');
    expect(lines[3]).toMatch(/^published [0-9a-f]{32}\.1 EdDSA\/sig; verified sub=user-1$/);
    expect(lines[4]).toBe("rotated to v2; the JWKS has 2 keys and both tokens verify");
    expect(lines[5]).toBe("retired v1: its token no longer verifies; getKey(v1) -> ERR_KEY_NOT_FOUND");
    expect(lines[6]).toBe("derived a 32-byte key with HKDF-SHA256");
    expect(lines[7]).toMatch(
      /^a second process opened [0-9a-f]{32} from disk and verified the token: sub=user-2, signed by version 1$/,
    );
  }, 60_000);

  it("runs as `pnpm demo` runs it: the built script in plain Node", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(import.meta.dirname, "../dist/main.js"),
    ]);
    expect(stdout).toContain("retired v1: its token no longer verifies");
    expect(stdout).toContain("a second process opened");
  }, 60_000);
});
