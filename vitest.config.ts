import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineConfig } from "vitest/config";

const root = import.meta.dirname;

interface Manifest {
  name: string;
  private?: boolean;
  exports?: Record<string, unknown>;
}

/** Workspace packages under packages/, tooling/ and examples/. */
const workspaces = ["packages", "tooling", "examples"].flatMap((group) =>
  readdirSync(join(root, group), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const dir = join(root, group, entry.name);
      try {
        const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
        return { dir, manifest };
      } catch {
        return undefined;
      }
    })
    .filter((w) => w !== undefined),
);

/**
 * Tests import packages by name, as users do, but from source: "@keyprovider/x/sub" maps to the
 * src/ file behind the dist/ file its exports name. Code loaded through node_modules (such as
 * the discovery tests' temporary application) still gets the built dist/.
 */
const alias = workspaces.flatMap(({ dir, manifest }) =>
  Object.entries(manifest.exports ?? {})
    .filter(([subpath]) => subpath !== "./package.json")
    .map(([subpath, target]) => {
      const file = typeof target === "string" ? target : (target as { default: string }).default;
      const source = file.replace(/^\.\/dist\//, "./src/").replace(/\.js$/, ".ts");
      const escaped = `${manifest.name}${subpath.slice(1)}`.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
      return { find: new RegExp(`^${escaped}$`), replacement: resolve(dir, source) };
    }),
);

export default defineConfig({
  resolve: { alias },
  test: {
    reporters: ["default", ["json", { outputFile: join(root, "reports/vitest.json") }]],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      ...workspaces.map(({ dir, manifest }) => ({
        extends: true as const,
        test: {
          name: manifest.name,
          root: dir,
          include: ["src/**/*.test.ts", "test/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/*.static.test.ts"],
          // A package that needs a service for its integration tests (a KMS endpoint) starts it once here.
          globalSetup: existsSync(join(dir, "test/global-setup.ts"))
            ? [join(dir, "test/global-setup.ts")]
            : [],
        },
      })),
      // Typecheck, lint, format and packaging run as tests (CI runs only the test command), in a
      // project of their own so `pnpm test --project <package>` stays fast.
      {
        extends: true as const,
        test: {
          name: "static-checks",
          root: join(root, "tooling/repo-tools"),
          include: ["test/**/*.static.test.ts"],
        },
      },
    ],
  },
});
