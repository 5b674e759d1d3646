import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { publishedPackages, root } from "./workspace.js";

/** What `pnpm -r publish --dry-run` would upload: package name → the files of its tarball. */
async function dryRunPublish(): Promise<Map<string, string[]>> {
  const { stdout, stderr } = await promisify(execFile)(
    "pnpm",
    ["-r", "publish", "--dry-run", "--no-git-checks", "--access", "public"],
    {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, FORCE_COLOR: "0", npm_config_loglevel: "notice" },
    },
  );
  const tarballs = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of `${stdout}\n${stderr}`.split("\n")) {
    const name = /📦\s+(@keyprovider\/[a-z-]+)@/.exec(line)?.[1];
    if (name !== undefined) {
      current = [];
      tarballs.set(name, current);
      continue;
    }
    if (/Tarball Details/.test(line)) current = undefined;
    const file = /npm notice\s+[\d.]+k?B\s+(\S+)$/.exec(line)?.[1];
    if (current !== undefined && file !== undefined) current.push(file);
  }
  return tarballs;
}

describe("release", () => {
  it("a dry-run publish lists exactly the published packages, each with dist, README and LICENSE only", async () => {
    const tarballs = await dryRunPublish();
    expect([...tarballs.keys()].sort()).toEqual(publishedPackages.map((pkg) => pkg.manifest.name).sort());
    for (const [name, files] of tarballs) {
      expect(files, name).toEqual(
        expect.arrayContaining(["LICENSE", "README.md", "package.json", "dist/index.js", "dist/index.d.ts"]),
      );
      const unexpected = files.filter(
        (file) => !["LICENSE", "README.md", "package.json"].includes(file) && !file.startsWith("dist/"),
      );
      expect(unexpected, name).toEqual([]);
      expect(files.some((file) => file.includes(".test."))).toBe(false);
    }
  }, 300_000);

  it("every published package carries the project's license text", () => {
    const license = readFileSync(join(root, "LICENSE"), "utf8");
    for (const pkg of publishedPackages) {
      expect(readFileSync(join(pkg.dir, "LICENSE"), "utf8"), pkg.manifest.name).toBe(license);
      expect(pkg.manifest["license"]).toBe("Apache-2.0");
    }
  });
});
