import { randomBytes } from "node:crypto";
import { KMSClient } from "@aws-sdk/client-kms";
import { afterAll, describe, inject } from "vitest";
import { AwsKmsKeyProvider, type AwsKmsKeyProviderOptions, type KmsClient } from "../../src/index.js";

/** The KMS API the global setup chose, or `null`. */
export const target = inject("kms");

/** `describe`, skipped when there is no KMS API to test against. */
export const describeKms: ReturnType<typeof describe.skipIf> = describe.skipIf(target === null);

/** Credentials for local endpoints (they check none); a real endpoint uses the environment's. */
function credentials(): { credentials?: { accessKeyId: string; secretAccessKey: string } } {
  if (target?.kind === "KMS_ENDPOINT" && process.env["AWS_ACCESS_KEY_ID"] !== undefined) return {};
  return { credentials: { accessKeyId: "test", secretAccessKey: "test" } };
}

/** A raw SDK client for reading back what the provider wrote. */
export function rawClient(): KMSClient {
  return new KMSClient({ endpoint: target!.endpoint, region: target!.region, ...credentials() });
}

/** Something to make `send` fail: an AWS-shaped error, or a function that runs instead of the request. */
export type Fault = {
  readonly name: string;
  readonly fault?: "client" | "server";
  readonly message?: string;
};

/**
 * A KMS client that counts requests per operation, keeps their inputs, and injects failures:
 * the same on every KMS API, so the suite runs unchanged against all three endpoints.
 */
export class RecordingClient implements KmsClient {
  readonly inner: KMSClient;
  #calls: Record<string, number> = {};
  readonly inputs: { readonly operation: string; readonly input: Record<string, unknown> }[] = [];
  readonly #faults = new Map<string, Fault[]>();
  readonly #after = new Map<string, ((output: unknown) => void)[]>();
  readonly #listeners: { readonly operation: string; readonly fn: (output: unknown) => void }[] = [];

  constructor() {
    this.inner = rawClient();
  }

  calls(): Record<string, number> {
    return { ...this.#calls };
  }

  resetCalls(): void {
    this.#calls = {};
    this.inputs.length = 0;
  }

  /** Total requests, or those of the named operations. */
  count(...operations: string[]): number {
    return Object.entries(this.#calls)
      .filter(([operation]) => operations.length === 0 || operations.includes(operation))
      .reduce((sum, [, n]) => sum + n, 0);
  }

  /** The next request of `operation` fails with `fault` instead of being sent. */
  failNext(operation: string, fault: Fault): void {
    this.#faults.set(operation, [...(this.#faults.get(operation) ?? []), fault]);
  }

  /** Run `fn` with the output of the next successful request of `operation`. */
  afterNext(operation: string, fn: (output: unknown) => void): void {
    this.#after.set(operation, [...(this.#after.get(operation) ?? []), fn]);
  }

  /** Run `fn` with the output of every successful request of `operation`. */
  onResult(operation: string, fn: (output: unknown) => void): void {
    this.#listeners.push({ operation, fn });
  }

  async send(command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown> {
    const operation = command.constructor.name.replace(/Command$/, "");
    this.#calls[operation] = (this.#calls[operation] ?? 0) + 1;
    this.inputs.push({ operation, input: (command as { input: Record<string, unknown> }).input });
    const fault = this.#faults.get(operation)?.shift();
    if (fault !== undefined) {
      throw Object.assign(new Error(fault.message ?? "injected by the test"), {
        name: fault.name,
        $fault: fault.fault ?? "client",
        $metadata: { httpStatusCode: fault.fault === "server" ? 500 : 400, requestId: "injected-request-id" },
      });
    }
    const output = await this.inner.send(command as never, options as never);
    for (const listener of this.#listeners) if (listener.operation === operation) listener.fn(output);
    const after = this.#after.get(operation) ?? [];
    this.#after.delete(operation);
    for (const fn of after) fn(output);
    return output;
  }
}

let runs = 0;

/**
 * A fresh alias namespace per test file, so runs against a shared KMS never meet, and a factory of
 * providers in it (each with its own recording client). Every key made under it is destroyed
 * after the file (scheduled deletion, 7 days).
 */
export function useNamespace(): {
  readonly aliasPrefix: string;
  provider(options?: Partial<AwsKmsKeyProviderOptions>): {
    provider: AwsKmsKeyProvider;
    client: RecordingClient;
  };
} {
  const aliasPrefix = `keyprovider-test/${randomBytes(6).toString("hex")}${runs++}`;
  const clients: RecordingClient[] = [];
  afterAll(async () => {
    if (target === null) return;
    const { provider } = make();
    for (const kid of await provider.listKeys()) await provider.destroyKey(kid);
    for (const client of clients) client.inner.destroy();
  }, 120_000);
  function make(options: Partial<AwsKmsKeyProviderOptions> = {}) {
    const client = new RecordingClient();
    clients.push(client);
    const provider = new AwsKmsKeyProvider({
      region: target!.region,
      aliasPrefix,
      client,
      deletionWindowDays: 7,
      ...options,
    });
    return { provider, client };
  }
  return { aliasPrefix, provider: make };
}

/** A settable clock for the state and not-found caches. */
export function manualClock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
