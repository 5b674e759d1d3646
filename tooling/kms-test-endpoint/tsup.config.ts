import { defineConfig } from "tsup";

// Plain ESM for `node` (the CLI and scripts that import "@keyprovider/kms-test-endpoint/dist");
// no declarations, since the package's types are its source.
export default defineConfig({
  entry: ["src/index.ts", "src/cli.ts"],
  format: ["esm"],
  target: "node20",
  platform: "node",
  sourcemap: true,
  clean: true,
  splitting: true,
});
