import {
  ExportPolicy,
  KeyAlg,
  describeType,
  type KeyInput,
  type KeyInputFormat,
  type KeyProvider,
  type KeySpec,
} from "@keyprovider/core";

/**
 * Key material `importKey` must accept (or, in `invalidImports`, refuse), and the secrets it holds.
 *
 * @example
 * ```ts
 * const fixture: ImportFixture = { name: "raw AES key", spec: { alg: "AES256_GCM" }, material: new Uint8Array(32).fill(7) };
 * ```
 */
export interface ImportFixture {
  /** Shown in test names. */
  readonly name: string;
  readonly spec: KeySpec;
  /** The private key or secret, in any form `importKey` takes. */
  readonly material?: KeyInput;
  /** The public key; alone, it makes a verification-only (or encryption-only) key. */
  readonly public?: KeyInput;
  /** `importKey`'s `format` option, where the bytes are ambiguous. */
  readonly format?: KeyInputFormat;
  /**
   * The secret bytes the leak checks search for, and for symmetric keys the raw secret (its
   * fingerprint is checked against it). Default: `material` when it is bytes or a string.
   */
  readonly secrets?: readonly Uint8Array[];
}

/**
 * What the provider under test can do and how the suite should drive it. Every setting but `keys`
 * has a default that fits a provider holding its keys in process memory; a networked backend (a KMS,
 * a remote store) changes a few: a `"shared"` provider with clean-up, `exportPolicies` without
 * `secret_when_allowed`, `"scoped"` fingerprints, a lower `concurrency` and a longer `timeoutMs`.
 *
 * Which operations are tested is read from the provider's `supports().features` (`sign`, `encrypt`,
 * `derive`, `stage`, `export`, `import`, `jwks`, …): an operation the provider does not list must
 * reject with `NotSupportedError`. Every algorithm in `supports().algs` must appear in `keys`.
 *
 * @example
 * ```ts
 * const networked: ConformanceCapabilities = {
 *   keys: [{ alg: "ES256" }, { alg: "AES256_GCM" }, { alg: "HS256" }],
 *   exportPolicies: ["none", "public_only"], // secret_when_allowed is refused at create
 *   fingerprints: "scoped",
 *   provider: "shared",
 *   concurrency: 5,
 *   timeoutMs: 120_000,
 * };
 * ```
 */
export interface ConformanceCapabilities {
  /**
   * One spec per kind of key `createKey` accepts; the suite runs each under every policy of
   * `exportPolicies` (the spec's own `exportPolicy` is replaced), and the key operations once per
   * algorithm (with the algorithm's default uses). The first spec drives the general tests
   * (arguments, kids, concurrency, staging when it cannot sign), so make it a fast one. RSA specs
   * with `sizeBits: 2048` keep the run short.
   */
  readonly keys: readonly KeySpec[];
  /**
   * The export policies `createKey` accepts; every other one must be refused with
   * `InvalidKeySpecError` (field `exportPolicy`). Default: all three. A backend whose secrets never
   * leave it (KMS) leaves out `"secret_when_allowed"`.
   */
  readonly exportPolicies?: readonly ExportPolicy[];
  /**
   * Whether asymmetric keys are published through `getPublicJwk` and `jwks` (the `jwks` feature).
   * Default: `true` when `keys` has an asymmetric spec.
   */
  readonly publishesJwks?: boolean;
  /** Material `importKey` must accept. Leave it out if the provider does not import. */
  readonly imports?: readonly ImportFixture[];
  /** Material `importKey` must refuse with a `KeyProviderError`, without its secrets in the error. */
  readonly invalidImports?: readonly ImportFixture[];
  /** Specs `createKey` must refuse with `UnsupportedAlgorithmError`. */
  readonly unsupported?: readonly KeySpec[];
  /** Kids the provider makes. Default: 32 lowercase hex characters. */
  readonly kidPattern?: RegExp;
  /** How many rotations of one kid run at once in the concurrency test. Default 50. */
  readonly concurrency?: number;
  /**
   * The fingerprint of secrets (symmetric keys). `"thumbprint"` (default): an exportable secret
   * (`secret_when_allowed`) has the RFC 7638 thumbprint of its `oct` JWK and every other one a
   * provider-scoped identifier. `"scoped"`: every secret has a provider-scoped identifier, never a
   * hash of the secret (a backend whose secrets never leave it). Opaque keys are always scoped.
   */
  readonly fingerprints?: "thumbprint" | "scoped";
  /**
   * `"fresh"` (default): `factory` is called for a new, empty provider wherever a test needs one.
   * `"shared"`: `factory` is called once per suite; every kid the suite creates is destroyed in
   * `afterAll`, and listings (`listKeys`, `jwks`) are checked relative to the suite's own kids, so
   * a backend holding other keys passes too.
   */
  readonly provider?: "fresh" | "shared";
  /** Timeout of every test and hook, in milliseconds. Default 60 000. */
  readonly timeoutMs?: number;
  /**
   * The message lengths `sign` accepts, per algorithm, where a backend has limits (AWS KMS takes 1 to
   * 4 096 bytes for HMAC and Ed25519, whose digest form is a different signature). Messages outside
   * the range must be refused with `NotSupportedError`. Default: any length up to 64 MiB.
   */
  readonly messageBytes?: Partial<Record<KeyAlg, { readonly min?: number; readonly max?: number }>>;
  /** Called in `afterAll` for every provider the factory made, after the suite's kids are destroyed. */
  readonly dispose?: (provider: KeyProvider) => void | Promise<void>;
}

/** {@link ConformanceCapabilities} with every default filled in. */
export interface ResolvedCapabilities {
  readonly keys: readonly KeySpec[];
  readonly exportPolicies: readonly ExportPolicy[];
  readonly publishesJwks: boolean | undefined;
  readonly imports: readonly ImportFixture[];
  readonly invalidImports: readonly ImportFixture[];
  readonly unsupported: readonly KeySpec[];
  readonly kidPattern: RegExp;
  readonly concurrency: number;
  readonly fingerprints: "thumbprint" | "scoped";
  readonly provider: "fresh" | "shared";
  readonly timeoutMs: number;
  readonly messageBytes: Partial<Record<KeyAlg, { readonly min?: number; readonly max?: number }>>;
  readonly dispose: ((provider: KeyProvider) => void | Promise<void>) | undefined;
}

const KNOWN = [
  "keys",
  "exportPolicies",
  "publishesJwks",
  "imports",
  "invalidImports",
  "unsupported",
  "kidPattern",
  "concurrency",
  "fingerprints",
  "provider",
  "timeoutMs",
  "messageBytes",
  "dispose",
];

function fail(message: string): never {
  throw new TypeError(`describeKeyProvider: capabilities.${message}`);
}

function arrayOf<T>(value: readonly T[] | undefined, name: string): readonly T[] {
  if (value === undefined) return [];
  const checked: unknown = value;
  if (!Array.isArray(checked)) fail(`${name} must be an array, got ${describeType(value)}`);
  return value;
}

/** Validate the capabilities once, up front, and fill in the defaults. */
export function resolveCapabilities(capabilities: ConformanceCapabilities): ResolvedCapabilities {
  if (typeof capabilities !== "object" || capabilities === null)
    fail(`must be an object, got ${describeType(capabilities)}`);
  for (const key of Object.keys(capabilities)) {
    if (!KNOWN.includes(key)) fail(`${key.slice(0, 40)} is not a capability; known: ${KNOWN.join(", ")}`);
  }
  const keys = arrayOf(capabilities.keys, "keys");
  if (keys.length === 0) fail("keys must list at least one spec");
  const policies = Object.values(ExportPolicy) as ExportPolicy[];
  const exportPolicies =
    capabilities.exportPolicies === undefined
      ? policies
      : arrayOf(capabilities.exportPolicies, "exportPolicies");
  if (exportPolicies.length === 0 || exportPolicies.some((policy) => !policies.includes(policy))) {
    fail(`exportPolicies must be a non-empty list of ${policies.join(", ")}`);
  }
  const concurrency = capabilities.concurrency ?? 50;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    fail(`concurrency must be a positive integer, got ${describeType(concurrency)}`);
  const timeoutMs = capabilities.timeoutMs ?? 60_000;
  if (typeof timeoutMs !== "number" || !(timeoutMs > 0))
    fail(`timeoutMs must be a positive number, got ${describeType(timeoutMs)}`);
  const fingerprints = capabilities.fingerprints ?? "thumbprint";
  if (fingerprints !== "thumbprint" && fingerprints !== "scoped")
    fail('fingerprints must be "thumbprint" or "scoped"');
  const provider = capabilities.provider ?? "fresh";
  if (provider !== "fresh" && provider !== "shared") fail('provider must be "fresh" or "shared"');
  const kidPattern = capabilities.kidPattern ?? /^[0-9a-f]{32}$/;
  if (!(kidPattern instanceof RegExp)) fail(`kidPattern must be a RegExp, got ${describeType(kidPattern)}`);
  if (capabilities.publishesJwks !== undefined && typeof capabilities.publishesJwks !== "boolean") {
    fail(`publishesJwks must be a boolean, got ${describeType(capabilities.publishesJwks)}`);
  }
  const messageBytes = capabilities.messageBytes ?? {};
  if (typeof messageBytes !== "object" || messageBytes === null) fail("messageBytes must be an object");
  for (const [alg, range] of Object.entries(messageBytes)) {
    if (!(Object.values(KeyAlg) as string[]).includes(alg))
      fail(`messageBytes has an unknown algorithm ${alg.slice(0, 40)}`);
    if (typeof range !== "object" || range === null) fail(`messageBytes.${alg} must be { min?, max? }`);
  }
  if (capabilities.dispose !== undefined && typeof capabilities.dispose !== "function") {
    fail(`dispose must be a function, got ${describeType(capabilities.dispose)}`);
  }
  return Object.freeze({
    keys,
    // Most permissive first: the rotation test walks from it towards "none".
    exportPolicies: policies.filter((policy) => exportPolicies.includes(policy)).reverse(),
    publishesJwks: capabilities.publishesJwks,
    imports: arrayOf(capabilities.imports, "imports"),
    invalidImports: arrayOf(capabilities.invalidImports, "invalidImports"),
    unsupported: arrayOf(capabilities.unsupported, "unsupported"),
    kidPattern,
    concurrency,
    fingerprints,
    provider,
    timeoutMs,
    messageBytes,
    dispose: capabilities.dispose,
  });
}
