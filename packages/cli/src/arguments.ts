import {
  ExportPolicy,
  KeyAlg,
  KeyUse,
  jwsAlgorithm,
  parseVersionedKid,
  quoteForMessage,
} from "@keyprovider/core";

/**
 * A command line that cannot be run as written: unknown command or option, missing argument, bad
 * value. Exit status 2, with the usage of the command.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** parseArgs' own errors (unknown option, missing value, unexpected argument) are usage errors. */
export function isParseArgsError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}

/** A version number or size: a positive integer in decimal, nothing else. */
export function positiveInteger(value: string, flag: string): number {
  const number = /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number)) {
    throw new UsageError(`${flag} takes a positive integer, not ${quoteForMessage(value, 20)}`);
  }
  return number;
}

/** Both spellings of every algorithm, lower-cased: "ecdsa_p256_sha256" and "es256", "ed25519" and "eddsa". */
const ALGORITHMS: ReadonlyMap<string, KeyAlg> = new Map(
  Object.values(KeyAlg).flatMap((alg) => [
    [alg.toLowerCase(), alg] as const,
    [jwsAlgorithm(alg).toLowerCase(), alg] as const,
  ]),
);

/** A key algorithm by its keyprovider name (`ECDSA_P256_SHA256`) or JOSE name (`ES256`), any case. */
export function keyAlgorithm(value: string): KeyAlg {
  const alg = ALGORITHMS.get(value.toLowerCase());
  if (alg === undefined) {
    const names = Object.values(KeyAlg).map((name) => `${jwsAlgorithm(name)} (${name})`);
    throw new UsageError(
      `--alg ${quoteForMessage(value, 40)} is not an algorithm; use one of ${names.join(", ")}`,
    );
  }
  return alg;
}

/** `--uses sign,verify`. */
export function keyUses(value: string): KeyUse[] {
  const known: readonly string[] = Object.values(KeyUse);
  const uses = value.split(",").map((use) => use.trim().toLowerCase());
  for (const use of uses) {
    if (!known.includes(use)) {
      throw new UsageError(
        `--uses takes a comma-separated list of ${known.join(", ")}; ${quoteForMessage(use, 40)} is not one`,
      );
    }
  }
  return uses as KeyUse[];
}

/** `--export-policy public_only` (or `public-only`). */
export function exportPolicy(value: string): ExportPolicy {
  const known: readonly string[] = Object.values(ExportPolicy);
  const policy = value.toLowerCase().replaceAll("-", "_");
  if (!known.includes(policy)) {
    throw new UsageError(
      `--export-policy takes one of ${known.join(", ")}, not ${quoteForMessage(value, 40)}`,
    );
  }
  return policy as ExportPolicy;
}

/** Repeated `--tag name=value`. */
export function keyTags(values: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf("=");
    if (at <= 0) throw new UsageError(`--tag takes name=value, not ${quoteForMessage(value, 40)}`);
    tags[value.slice(0, at)] = value.slice(at + 1);
  }
  return tags;
}

/** A signature given on the command line: unpadded base64url, as `sign` prints it. */
export function base64urlBytes(value: string, flag: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(value) || value.length % 4 === 1) {
    throw new UsageError(`${flag} takes base64url (A-Z a-z 0-9 - _, no padding), as \`sign\` prints it`);
  }
  return new Uint8Array(Buffer.from(value, "base64url"));
}

/**
 * The kid argument, which may also be written as a JWK's `"<kid>.<version>"`, and the version from
 * there or from `--version`.
 */
export function kidAndVersion(
  argument: string,
  version: string | undefined,
): { readonly kid: string; readonly version: number | undefined } {
  const parsed = parseVersionedKid(argument);
  const flag = version === undefined ? undefined : positiveInteger(version, "--version");
  if (parsed.version !== undefined && flag !== undefined && parsed.version !== flag) {
    throw new UsageError(
      `${quoteForMessage(argument)} names version ${parsed.version}, but --version says ${flag}; give one`,
    );
  }
  return { kid: parsed.kid, version: parsed.version ?? flag };
}
