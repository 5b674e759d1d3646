/**
 * The exit statuses of the `keyprovider` command, as `runKeyprovider` returns them.
 *
 * | status | meaning |
 * | --- | --- |
 * | 0 `OK` | done; the result is on stdout |
 * | 1 `ERROR` | the command ran and failed: the typed error's `code` and message are on stderr |
 * | 2 `USAGE` | the command line is wrong (unknown command or option, missing argument, bad value); stderr has the usage |
 * | 3 `INVALID_SIGNATURE` | `verify`: the signature does not verify |
 *
 * @example
 * ```ts
 * import { ExitCode, runKeyprovider } from "@keyprovider/cli";
 *
 * const status = await runKeyprovider(["verify", kid, "--signature", signature, "--in", "message.txt"]);
 * if (status === ExitCode.INVALID_SIGNATURE) console.error("tampered");
 * ```
 */
export const ExitCode = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  INVALID_SIGNATURE: 3,
} as const;
/** One of the {@link ExitCode} values. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
