export { runKeyprovider } from "./run.js";
export type { KeyproviderIo, TextSink } from "./run.js";
export { ExitCode } from "./exit-code.js";
