import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from "@aws-sdk/client-kms";
import type { TestProject } from "vitest/node";
import { containerEngineReachable } from "./container-engine.js";
import { chooseKmsTarget, type KmsTarget } from "./kms-target.js";

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
 * Choose the KMS API for the integration tests, once for the package (see {@link chooseKmsTarget}),
 * probe it for Ed25519, and print which one it used.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const region = process.env["AWS_REGION"] ?? process.env["AWS_DEFAULT_REGION"] ?? "us-east-1";
  const { target, stop } = await chooseKmsTarget({
    env: process.env,
    region,
    engineReachable: containerEngineReachable,
    startLocalstack: async () => {
      const { LocalstackContainer } = await import("@testcontainers/localstack");
      const container = await new LocalstackContainer(LOCALSTACK_IMAGE)
        .withEnvironment({ SERVICES: "kms" })
        .start();
      return { endpoint: container.getConnectionUri(), stop: async () => void (await container.stop()) };
    },
    startTestEndpoint: async () => {
      const { startKmsTestEndpoint } = await import("@keyprovider/kms-test-endpoint");
      const kms = await startKmsTestEndpoint({ region });
      return { endpoint: kms.endpoint, stop: () => kms.close() };
    },
    warn: (message) => console.warn(`[aws-kms] ${message}`),
  });

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
