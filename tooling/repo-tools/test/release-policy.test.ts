import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { publishedPackages, root } from "./workspace.js";

const internal = (deps: Record<string, string> | undefined) =>
  Object.entries(deps ?? {}).filter(([name]) => name.startsWith("@keyprovider/"));

describe("release policy", () => {
  it.each(publishedPackages.map((pkg) => [pkg.manifest.name, pkg] as const))(
    "%s takes @keyprovider packages as workspace:^ dependencies, never as peers",
    (_name, pkg) => {
      expect(internal(pkg.manifest.peerDependencies)).toEqual([]);
      for (const [, range] of internal(pkg.manifest.dependencies)) expect(range).toBe("workspace:^");
    },
  );

  const scratch = mkdtempSync(join(tmpdir(), "keyprovider-changeset-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("a minor release of core bumps no package to a major (changeset status on a sample changeset)", () => {
    // A copy of the workspace's manifests and changeset config, as a repository of its own.
    for (const file of ["package.json", "pnpm-workspace.yaml", ".changeset/config.json"]) {
      mkdirSync(join(scratch, file, ".."), { recursive: true });
      copyFileSync(join(root, file), join(scratch, file));
    }
    for (const pkg of publishedPackages) {
      const target = join(scratch, relative(root, pkg.dir));
      mkdirSync(target, { recursive: true });
      copyFileSync(join(pkg.dir, "package.json"), join(target, "package.json"));
    }
    const git = (...args: string[]) => execFileSync("git", args, { cwd: scratch, stdio: "pipe" });
    git("init", "-q", "-b", "main");
    git("-c", "user.name=test", "-c", "user.email=test@example.invalid", "add", "-A");
    git("-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-qm", "workspace");
    writeFileSync(
      join(scratch, ".changeset/sample.md"),
      '---\n"@keyprovider/core": minor\n---\n\nA sample change.\n',
    );
    execFileSync(join(root, "node_modules/.bin/changeset"), ["status", "--output", "status.json"], {
      cwd: scratch,
      stdio: "pipe",
    });
    const { releases } = JSON.parse(readFileSync(join(scratch, "status.json"), "utf8")) as {
      releases: { name: string; type: string }[];
    };
    expect(releases.find((r) => r.name === "@keyprovider/core")?.type).toBe("minor");
    expect(releases.filter((r) => r.type === "major")).toEqual([]);
    for (const release of releases.filter((r) => r.name !== "@keyprovider/core"))
      expect(release.type).toBe("patch");
  }, 60_000);
});
