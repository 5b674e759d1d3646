import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const root = resolve(import.meta.dirname, "../../..");

export interface WorkspacePackage {
  readonly dir: string;
  readonly manifest: {
    name: string;
    private?: boolean;
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
    exports?: Record<string, unknown>;
    [key: string]: unknown;
  };
}

/** The published packages: everything under packages/ that is not private. */
export const publishedPackages: WorkspacePackage[] = readdirSync(join(root, "packages"), {
  withFileTypes: true,
})
  .filter((entry) => entry.isDirectory())
  .map((entry) => {
    const dir = join(root, "packages", entry.name);
    return {
      dir,
      manifest: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as WorkspacePackage["manifest"],
    };
  })
  .filter((pkg) => pkg.manifest.private !== true);
