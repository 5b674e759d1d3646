/** The KMS API the integration tests talk to. */
export interface KmsTarget {
  /** `KMS_ENDPOINT`, LocalStack in a container, or the project's in-process KMS test endpoint. */
  readonly kind: "KMS_ENDPOINT" | "localstack" | "kms-test-endpoint";
  readonly endpoint: string;
  readonly region: string;
  /** Whether this KMS makes ECC_NIST_EDWARDS25519 keys (real KMS since late 2025; probed, not assumed). */
  readonly ed25519: boolean;
}

/** A started endpoint and how to stop it. */
export interface StartedEndpoint {
  readonly endpoint: string;
  readonly stop: () => Promise<void>;
}

/** What {@link chooseKmsTarget} looks at and starts; injected so each decision is testable. */
export interface ChooseKmsTargetOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly region: string;
  readonly engineReachable: () => Promise<boolean>;
  readonly startLocalstack: () => Promise<StartedEndpoint>;
  readonly startTestEndpoint: () => Promise<StartedEndpoint>;
  readonly warn: (message: string) => void;
}

/**
 * The KMS API for the integration tests: `KMS_ENDPOINT` if set; else LocalStack when a container
 * engine answers; else the project's KMS test endpoint in this process; else none (the tests skip).
 * `REQUIRE_KMS=1` (CI with a container engine) makes "no real KMS API" a failure instead of a
 * fallback, so a CI whose Docker broke cannot pass on the in-process endpoint unnoticed.
 */
export async function chooseKmsTarget(
  options: ChooseKmsTargetOptions,
): Promise<{ target: Omit<KmsTarget, "ed25519"> | undefined; stop: () => Promise<void> }> {
  const { env, region } = options;
  const required = env["REQUIRE_KMS"] === "1";
  const configured = env["KMS_ENDPOINT"];
  if (configured !== undefined && configured !== "") {
    return { target: { kind: "KMS_ENDPOINT", endpoint: configured, region }, stop: async () => {} };
  }
  if (await options.engineReachable()) {
    try {
      const { endpoint, stop } = await options.startLocalstack();
      return { target: { kind: "localstack", endpoint, region: "us-east-1" }, stop };
    } catch (error) {
      if (required) throw new Error("REQUIRE_KMS=1, but LocalStack did not start", { cause: error });
      options.warn(`LocalStack did not start (${(error as Error).message}); using the KMS test endpoint`);
    }
  } else if (required) {
    throw new Error(
      "REQUIRE_KMS=1, but there is no KMS API: set KMS_ENDPOINT or make a container engine reachable for LocalStack",
    );
  }
  try {
    const { endpoint, stop } = await options.startTestEndpoint();
    return { target: { kind: "kms-test-endpoint", endpoint, region }, stop };
  } catch (error) {
    options.warn(`no KMS endpoint (${(error as Error).message}): integration tests skip`);
    return { target: undefined, stop: async () => {} };
  }
}
