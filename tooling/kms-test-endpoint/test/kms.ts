import { KMSClient } from "@aws-sdk/client-kms";
import { afterAll, beforeAll } from "vitest";
import { startKmsTestEndpoint, type KmsTestEndpoint } from "../src/index.js";

/** A KMS client of the real SDK, pointed at an endpoint, with retries off so errors reach the test as sent. */
export function clientFor(kms: KmsTestEndpoint, maxAttempts = 1): KMSClient {
  return new KMSClient({
    endpoint: kms.endpoint,
    region: kms.region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts,
  });
}

/** One endpoint and client for the tests of a file. */
export function useKms(): { readonly kms: KmsTestEndpoint; readonly client: KMSClient } {
  const context = {} as { kms: KmsTestEndpoint; client: KMSClient };
  beforeAll(async () => {
    context.kms = await startKmsTestEndpoint();
    context.client = clientFor(context.kms);
  });
  afterAll(async () => {
    context.client.destroy();
    await context.kms.close();
  });
  return context;
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $fault?: string; $metadata?: { requestId?: string; httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}
