// What npm shows of a package: its README, rendered away from the repository (so every link must
// be absolute), and the links, keywords and bug tracker of its package.json.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { markdownLinks } from "../src/readme.js";
import { publishedPackages, root } from "./workspace.js";

const repositoryUrl = (url: unknown) =>
  typeof url === "string" ? url.replace(/^git\+/, "").replace(/\.git$/, "") : undefined;
const repository = repositoryUrl(
  (publishedPackages[0]?.manifest["repository"] as { url?: unknown } | undefined)?.url,
);

/** Every README of the repository: the root's and those of packages, tooling and examples. */
const readmes = [
  join(root, "README.md"),
  ...["packages", "tooling", "examples"].flatMap((group) =>
    readdirSync(join(root, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(root, group, entry.name, "README.md"))
      .filter((path) => existsSync(path)),
  ),
];

describe("package.json as npm shows it", () => {
  it("every published package names the same GitHub repository", () => {
    expect(repository).toMatch(/^https:\/\/github\.com\/[^/]+\/[^/]+$/);
    for (const pkg of publishedPackages) {
      expect(repositoryUrl((pkg.manifest["repository"] as { url?: unknown }).url), pkg.manifest.name).toBe(
        repository,
      );
    }
  });

  it.each(publishedPackages.map((pkg) => [pkg.manifest.name, pkg] as const))(
    "%s has repository.directory, homepage, bugs and keywords",
    (_name, pkg) => {
      const directory = relative(root, pkg.dir).split("\\").join("/");
      expect(pkg.manifest["repository"]).toEqual({ type: "git", url: `git+${repository}.git`, directory });
      expect(pkg.manifest["homepage"]).toBe(`${repository}/tree/main/${directory}#readme`);
      expect(pkg.manifest["bugs"]).toEqual({ url: `${repository}/issues` });
      const keywords = pkg.manifest["keywords"];
      expect(
        Array.isArray(keywords) && keywords.length > 0 && keywords.every((k) => typeof k === "string"),
      ).toBe(true);
    },
  );
});

describe("README links work where npm renders them", () => {
  it.each(readmes.map((path) => [relative(root, path), path] as const))(
    "%s links only to absolute URLs, and its links into this repository exist",
    (_name, path) => {
      const wrong: string[] = [];
      for (const { line, target } of markdownLinks(path)) {
        const where = `${relative(root, path)}:${line} ${target}`;
        if (target.startsWith("#") || target.startsWith("mailto:")) continue;
        if (!target.startsWith("https://")) {
          wrong.push(
            `${where}: not an absolute https URL; write ${repository}/blob/main/<file> or /tree/main/<dir>`,
          );
          continue;
        }
        const inside = /^(tree|blob)\/main\/([^#?]+)/.exec(target.slice(`${repository}/`.length));
        if (!target.startsWith(`${repository}/`) || inside === null) continue;
        const [, kind, file] = inside;
        const local = join(root, decodeURIComponent(file!));
        if (!existsSync(local)) wrong.push(`${where}: ${file} is not in the repository`);
        else if (statSync(local).isDirectory() !== (kind === "tree")) {
          wrong.push(
            `${where}: ${file} is a ${kind === "tree" ? "file (use /blob/)" : "directory (use /tree/)"}`,
          );
        }
      }
      expect(wrong).toEqual([]);
    },
  );
});
