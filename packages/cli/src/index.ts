export { runKeyprovider } from "./run.js";
export type { RunKeyproviderOptions, TextSink } from "./run.js";
export { ExitCode } from "./exit-code.js";
