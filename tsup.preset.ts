import type { Options } from "tsup";

/**
 * The one build configuration every published package uses: ESM only, declarations, source maps.
 * tsup's declaration build injects `baseUrl`, which TypeScript 6 deprecates; the deprecation is
 * silenced here only, so the real tsconfig stays free of it.
 */
export function packageBuild(entry: string[]): Options {
  return {
    entry,
    format: ["esm"],
    dts: { compilerOptions: { ignoreDeprecations: "6.0" } },
    sourcemap: true,
    clean: true,
    target: "node20",
    platform: "node",
    splitting: true,
    treeshake: false,
  };
}
