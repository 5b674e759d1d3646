import { defineConfig } from "tsup";
import { packageBuild } from "../../tsup.preset.js";

// cli.ts starts with a shebang, which esbuild keeps and tsup marks executable.
export default defineConfig(packageBuild(["src/index.ts", "src/cli.ts"]));
