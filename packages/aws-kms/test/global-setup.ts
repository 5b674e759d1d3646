import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import type { TestProject } from "vitest/node";
import { containerEngineReachable } from "./container-engine.js";

/** The KMS API the integration tests talk to. */
export interface KmsTarget {
  /** `KMS_ENDPOINT`, LocalStack in a container, or the project's in-process KMS test endpoint. */
  readonly kind: "KMS_ENDPOINT" | "localstack" | "kms-test-endpoint";
  readonly endpoint: string;
  readonly region: string;
  /** Whether this KMS makes ECC_NIST_EDWARDS25519 keys (real KMS since late 2025; probed, not assumed). */
  readonly ed25519: boolean;
}

declare module "vitest" {
  export interface ProvidedContext {
    /** `null` when there is no endpoint (the integration tests then skip). */
    kms: KmsTarget | null;
  }
}

const LOCALSTACK_IMAGE = "localstack/localstack:4.14.0";

/** Local endpoints take any credentials; a real one (KMS_ENDPOINT) uses the environment's. */
function clientFor(endpoint: string, region: string, local: boolean): KMSClient {
  return new KMSClient({
    endpoint,
    region,
    ...(local ? { credentials: { accessKeyId: "test", secretAccessKey: "test" } } : {}),
  });
}

async function supportsEd25519(client: KMSClient): Promise<boolean> {
  try {
    const { KeyMetadata } = await client.send(
      new CreateKeyCommand({
        KeySpec: "ECC_NIST_EDWARDS25519",
        KeyUsage: "SIGN_VERIFY",
        Description: "keyprovider test probe",
      }),
    );
    await client.send(new ScheduleKeyDeletionCommand({ KeyId: KeyMetadata!.KeyId!, PendingWindowInDays: 7 }));
    return true;
  } catch {
    return false;
  }
}

/**
 * Choose the KMS API for the integration tests, once for the package: `KMS_ENDPOINT` if set; else
 * LocalStack (`@testcontainers/localstack`, image pinned) when a container engine answers; else the
 * project's KMS test endpoint in this process. `REQUIRE_KMS=1` (CI with Docker) makes "no real KMS
 * API" a failure rather than a fallback. Prints which one it used.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const required = process.env["REQUIRE_KMS"] === "1";
  const region = process.env["AWS_REGION"] ?? process.env["AWS_DEFAULT_REGION"] ?? "us-east-1";
  let target: Omit<KmsTarget, "ed25519"> | undefined;
  let stop = async () => {};

  const configured = process.env["KMS_ENDPOINT"];
  if (configured !== undefined && configured !== "") {
    target = { kind: "KMS_ENDPOINT", endpoint: configured, region };
  } else if (await containerEngineReachable()) {
    try {
      const { LocalstackContainer } = await import("@testcontainers/localstack");
      const container = await new LocalstackContainer(LOCALSTACK_IMAGE)
        .withEnvironment({ SERVICES: "kms" })
        .start();
      target = { kind: "localstack", endpoint: container.getConnectionUri(), region: "us-east-1" };
      stop = async () => {
        await container.stop();
      };
    } catch (error) {
      if (required)
        throw new Error(`REQUIRE_KMS=1, but LocalStack (${LOCALSTACK_IMAGE}) did not start`, {
          cause: error,
        });
      console.warn(
        `[aws-kms] LocalStack did not start (${(error as Error).message}); using the KMS test endpoint`,
      );
    }
  } else if (required) {
    throw new Error(
      "REQUIRE_KMS=1, but there is no KMS API: set KMS_ENDPOINT or make a container engine reachable for LocalStack",
    );
  }

  if (target === undefined) {
    try {
      const { startKmsTestEndpoint } = await import("@keyprovider/kms-test-endpoint");
      const kms = await startKmsTestEndpoint({ region });
      target = { kind: "kms-test-endpoint", endpoint: kms.endpoint, region: kms.region };
      stop = () => kms.close();
    } catch (error) {
      console.warn(`[aws-kms] no KMS endpoint (${(error as Error).message}): integration tests skip`);
    }
  }

  if (target === undefined) {
    project.provide("kms", null);
    return stop;
  }
  const probe = clientFor(target.endpoint, target.region, target.kind !== "KMS_ENDPOINT");
  const ed25519 = await supportsEd25519(probe);
  probe.destroy();
  console.log(
    `[aws-kms] integration tests use ${target.kind} at ${target.endpoint} (${target.region}); Ed25519 ${ed25519 ? "supported" : "not supported there"}`,
  );
  project.provide("kms", { ...target, ed25519 });
  return stop;
}
