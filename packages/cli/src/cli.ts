#!/usr/bin/env node
import { runKeyprovider } from "./run.js";

// A reader that goes away (`keyprovider jwks | head -1`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}

const status = await runKeyprovider(process.argv.slice(2));
// Exit once the output is flushed, without waiting for a provider's idle sockets (an SDK's keep-alive agent).
process.stdout.write("", () => process.stderr.write("", () => process.exit(status)));
