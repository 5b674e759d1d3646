import { KeyAlg, describeType, displayValue } from "@keyprovider/core";
import type { KmsClient, KmsCredentials } from "./kms-client.js";

/**
 * Options of {@link AwsKmsKeyProvider}. Only `region` is required; a ready `client` replaces
 * `endpoint` and `credentials`.
 *
 * @example
 * ```ts
 * const options: AwsKmsKeyProviderOptions = {
 *   region: "eu-west-1",
 *   aliasPrefix: "payments",
 *   expectedAccountId: "111122223333",
 *   deletionWindowDays: 7,
 * };
 * ```
 */
export interface AwsKmsKeyProviderOptions {
  /** The AWS region of the keys, such as `"eu-west-1"`. Also reported in `KeyRef.tags["kms:region"]`. */
  readonly region: string;
  /**
   * The alias namespace: version `N` of kid `k` is `alias/<aliasPrefix>/<k>/vN`, its primary
   * `alias/<aliasPrefix>/<k>`. Letters, digits, `_`, `-`, with `/` between segments. Default
   * `"keyprovider"`. Do not nest one provider's prefix inside another's.
   */
  readonly aliasPrefix?: string;
  /**
   * A ready KMS client, such as `new KMSClient({ region })` of the application's own
   * `@aws-sdk/client-kms`; anything with `send(command, { abortSignal })` will do. Without it the
   * provider builds a `KMSClient` from `region`, `endpoint` and `credentials`.
   */
  readonly client?: KmsClient;
  /** A KMS endpoint URL (LocalStack, a VPC endpoint); only without `client`. */
  readonly endpoint?: string;
  /** Credentials or a credential provider; only without `client`. Default: the SDK's default chain. */
  readonly credentials?: KmsCredentials;
  /** A key policy for every key created (JSON text or an object); default: the account's default policy. */
  readonly keyPolicy?: string | Readonly<Record<string, unknown>>;
  /** The waiting period of `ScheduleKeyDeletion` when a version is destroyed: 7..30 days. Default 30. */
  readonly deletionWindowDays?: number;
  /** The prefix of the tags this provider writes (`<tagPrefix>kid`, …). Default `"keyprovider:"`. */
  readonly tagPrefix?: string;
  /**
   * How long what KMS said about a key (its state, the aliases of the account) is trusted before it
   * is asked again, in milliseconds. A disabled key stops being used and published within this
   * time. Default 60 000; 0 asks every time.
   */
  readonly stateTtlMs?: number;
  /**
   * How long a kid that is not there stays "not found" before KMS is asked again, in milliseconds,
   * so lookups of random kids cannot throttle the account. Default 5 000.
   */
  readonly notFoundTtlMs?: number;
  /** Where `randomBytes` comes from: `"local"` (node:crypto, the default) or `"kms"` (`GenerateRandom`). */
  readonly randomSource?: "local" | "kms";
  /** The 12-digit AWS account the keys must belong to; a key of another account is refused. */
  readonly expectedAccountId?: string;
  /** The most KMS requests one call sends at once (public keys of `jwks()`, random chunks). Default 8. */
  readonly maxConcurrency?: number;
  /** Milliseconds since the epoch, for the caches; default `Date.now`. Tests inject their own. */
  readonly clock?: () => number;
  /**
   * The algorithms to offer, where a region or a KMS-compatible API lacks some (Ed25519 came to KMS
   * in 2025). Default: every algorithm KMS holds — all of {@link KeyAlg} but `X25519`.
   */
  readonly algorithms?: readonly KeyAlg[];
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  readonly region: string;
  readonly aliasPrefix: string;
  readonly client: KmsClient | undefined;
  readonly endpoint: string | undefined;
  readonly credentials: KmsCredentials | undefined;
  readonly keyPolicy: string | undefined;
  readonly deletionWindowDays: number;
  readonly tagPrefix: string;
  readonly stateTtlMs: number;
  readonly notFoundTtlMs: number;
  readonly randomSource: "local" | "kms";
  readonly expectedAccountId: string | undefined;
  readonly maxConcurrency: number;
  readonly clock: () => number;
  readonly algorithms: readonly KeyAlg[];
}

const KNOWN = [
  "region",
  "aliasPrefix",
  "client",
  "endpoint",
  "credentials",
  "keyPolicy",
  "deletionWindowDays",
  "tagPrefix",
  "stateTtlMs",
  "notFoundTtlMs",
  "randomSource",
  "expectedAccountId",
  "maxConcurrency",
  "clock",
  "algorithms",
] as const;

/** Every algorithm KMS holds keys for: all but X25519 (KMS has no X25519 key spec). */
export const KMS_ALGORITHMS: readonly KeyAlg[] = Object.freeze(
  Object.values(KeyAlg).filter((alg) => alg !== KeyAlg.X25519),
);

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ALIAS_SEGMENT = /^[A-Za-z0-9_-]+$/;
/** Longest prefix that leaves room for `alias/`, `/`, a 128-character kid and `/v2147483647`. */
const MAX_PREFIX_LENGTH = 256 - "alias/".length - 1 - 128 - "/v2147483647".length;
const TAG_PREFIX = /^[A-Za-z0-9 _.:/=+@-]{1,64}$/;
const NAME = "AwsKmsKeyProvider options";

function integer(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number")
    throw new TypeError(`${NAME}.${name} must be a number, got ${describeType(value)}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${NAME}.${name} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value !== undefined && typeof value !== "string") {
    throw new TypeError(`${NAME}.${name} must be a string, got ${describeType(value)}`);
  }
  return value;
}

function keyPolicyText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new RangeError(`${NAME}.keyPolicy must be JSON text of a policy document`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new RangeError(`${NAME}.keyPolicy must be a JSON object (a policy document)`);
    }
    return value;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${NAME}.keyPolicy must be JSON text or an object, got ${describeType(value)}`);
  }
  // KMS takes the policy as text; the seed implementation passed the object and failed.
  return JSON.stringify(value);
}

function credentialsOption(value: unknown): KmsCredentials | undefined {
  if (value === undefined || typeof value === "function") return value as KmsCredentials | undefined;
  if (typeof value !== "object" || value === null) {
    throw new TypeError(
      `${NAME}.credentials must be an object or a credential provider, got ${describeType(value)}`,
    );
  }
  const { accessKeyId, secretAccessKey } = value as Record<string, unknown>;
  if (typeof accessKeyId !== "string" || typeof secretAccessKey !== "string") {
    // Never show the values: they are secrets passed in the wrong shape.
    throw new TypeError(`${NAME}.credentials needs string accessKeyId and secretAccessKey`);
  }
  return value as KmsCredentials;
}

/**
 * Validate the options once, at construction: wrong types are `TypeError`, values out of range or
 * of the wrong form `RangeError`. Nothing here touches the network.
 */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${NAME} must be an object with at least { region }, got ${describeType(options)}`);
  }
  const read: Record<string, unknown> = {};
  for (const key of Object.keys(options)) {
    if (!(KNOWN as readonly string[]).includes(key)) {
      throw new TypeError(`${NAME} has an unknown option ${displayValue(key)}; known: ${KNOWN.join(", ")}`);
    }
    read[key] = (options as Record<string, unknown>)[key];
  }

  const region = optionalString(read["region"], "region");
  if (region === undefined) throw new TypeError(`${NAME}.region is required, such as "us-east-1"`);
  if (!REGION.test(region))
    throw new RangeError(`${NAME}.region must be an AWS region name such as "us-east-1"`);

  const aliasPrefix = optionalString(read["aliasPrefix"], "aliasPrefix") ?? "keyprovider";
  if (
    aliasPrefix.length > MAX_PREFIX_LENGTH ||
    !aliasPrefix.split("/").every((segment) => ALIAS_SEGMENT.test(segment)) ||
    /^aws(\/|$)/i.test(aliasPrefix)
  ) {
    throw new RangeError(
      `${NAME}.aliasPrefix must be 1-${MAX_PREFIX_LENGTH} characters of A-Z a-z 0-9 _ - in segments separated by "/", not starting with "aws"`,
    );
  }

  const client = read["client"];
  if (client !== undefined) {
    if (typeof client !== "object" || client === null || typeof (client as KmsClient).send !== "function") {
      throw new TypeError(`${NAME}.client must be a KMS client with a send(command, options) method`);
    }
    for (const conflicting of ["endpoint", "credentials"] as const) {
      if (read[conflicting] !== undefined) {
        throw new TypeError(
          `${NAME}.${conflicting} configures the client the provider builds; configure your own client instead`,
        );
      }
    }
  }

  const endpoint = optionalString(read["endpoint"], "endpoint");
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
      throw new RangeError(`${NAME}.endpoint must be an http(s) URL`);
    }
  }

  const tagPrefix = optionalString(read["tagPrefix"], "tagPrefix") ?? "keyprovider:";
  if (!TAG_PREFIX.test(tagPrefix) || tagPrefix.toLowerCase().startsWith("aws:")) {
    throw new RangeError(
      `${NAME}.tagPrefix must be 1-64 characters KMS allows in tag keys (letters, digits, space, _ . : / = + - @), not starting with "aws:"`,
    );
  }

  const randomSource = read["randomSource"] ?? "local";
  if (randomSource !== "local" && randomSource !== "kms") {
    throw new RangeError(`${NAME}.randomSource must be "local" or "kms", got ${displayValue(randomSource)}`);
  }

  const expectedAccountId = optionalString(read["expectedAccountId"], "expectedAccountId");
  if (expectedAccountId !== undefined && !/^\d{12}$/.test(expectedAccountId)) {
    throw new RangeError(`${NAME}.expectedAccountId must be a 12-digit AWS account id`);
  }

  const algorithms = read["algorithms"] ?? KMS_ALGORITHMS;
  if (!Array.isArray(algorithms)) {
    throw new TypeError(
      `${NAME}.algorithms must be an array of key algorithms, got ${describeType(algorithms)}`,
    );
  }
  for (const alg of algorithms as unknown[]) {
    if (!(KMS_ALGORITHMS as readonly unknown[]).includes(alg)) {
      throw new RangeError(
        `${NAME}.algorithms: ${displayValue(alg)} is not an algorithm AWS KMS holds; choose from ${KMS_ALGORITHMS.join(", ")}`,
      );
    }
  }

  const clock = read["clock"] ?? Date.now;
  if (typeof clock !== "function")
    throw new TypeError(`${NAME}.clock must be a function returning milliseconds`);

  return Object.freeze({
    region,
    aliasPrefix,
    client: client as KmsClient | undefined,
    endpoint,
    credentials: credentialsOption(read["credentials"]),
    keyPolicy: keyPolicyText(read["keyPolicy"]),
    deletionWindowDays: integer(read["deletionWindowDays"], "deletionWindowDays", 7, 30, 30),
    tagPrefix,
    stateTtlMs: integer(read["stateTtlMs"], "stateTtlMs", 0, 86_400_000, 60_000),
    notFoundTtlMs: integer(read["notFoundTtlMs"], "notFoundTtlMs", 0, 86_400_000, 5_000),
    randomSource,
    expectedAccountId,
    maxConcurrency: integer(read["maxConcurrency"], "maxConcurrency", 1, 64, 8),
    clock: clock as () => number,
    algorithms: Object.freeze([...new Set(algorithms as KeyAlg[])]),
  });
}
