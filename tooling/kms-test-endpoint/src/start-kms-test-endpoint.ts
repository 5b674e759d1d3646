import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KeyStore, type KeyState } from "./lib/key-store.js";
import { KmsError, defaultStatus } from "./lib/kms-error.js";
import type { RequestBody } from "./lib/request.js";
import { DRY_RUN_OPERATIONS, OPERATIONS } from "./operations/index.js";

/**
 * Where and as whom the endpoint answers.
 *
 * @example
 * ```ts
 * const kms = await startKmsTestEndpoint({ region: "eu-west-1", accountId: "111122223333" });
 * ```
 */
export interface KmsTestEndpointOptions {
  /** TCP port on 127.0.0.1; `0` (the default) picks a free one. */
  readonly port?: number;
  /** The region in ARNs; default `"us-east-1"`. Clients should be configured with the same one. */
  readonly region?: string;
  /** The 12-digit account id in ARNs and `AWSAccountId`; default `"000000000000"`. */
  readonly accountId?: string;
}

/**
 * A failure to inject into the next call(s) of one operation: an AWS-shaped error (`name` is the
 * `__type`, e.g. `"ThrottlingException"`, `"KMSInternalException"`), or with `hang: true` a
 * request that is never answered (until the client gives up or the endpoint closes).
 *
 * @example
 * ```ts
 * kms.failNext("Sign", { name: "ThrottlingException", message: "Rate exceeded", times: 2 });
 * kms.failNext("DescribeKey", { hang: true });
 * ```
 */
export type KmsFault =
  | {
      readonly name: string;
      readonly message?: string;
      /** HTTP status; default 500 for server faults (KMSInternalException, DependencyTimeoutException, KeyUnavailableException), 400 otherwise. */
      readonly status?: number;
      /** How many consecutive calls fail; default 1. */
      readonly times?: number;
      readonly hang?: false;
    }
  | { readonly hang: true; readonly times?: number; readonly name?: string };

/**
 * One key as the test-control API lists it.
 *
 * @example
 * ```ts
 * const pending = kms.keys().filter((key) => key.state === "PendingDeletion");
 * ```
 */
export interface KmsTestKey {
  readonly keyId: string;
  readonly arn: string;
  readonly state: KeyState;
  readonly keySpec: string;
}

/**
 * A running endpoint. `endpoint`, `region` and `accountId` configure a `KMSClient`; the methods
 * are the test-control API, which is not reachable through the KMS protocol.
 *
 * @example
 * ```ts
 * const kms = await startKmsTestEndpoint();
 * const client = new KMSClient({
 *   endpoint: kms.endpoint,
 *   region: kms.region,
 *   credentials: { accessKeyId: "test", secretAccessKey: "test" },
 * });
 * await client.send(new CreateKeyCommand({}));
 * console.log(kms.calls()); // { CreateKey: 1 }
 * await kms.close();
 * ```
 */
export interface KmsTestEndpoint {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  /** Requests received per operation (by `X-Amz-Target`), injected failures included. */
  calls(): Record<string, number>;
  resetCalls(): void;
  /** Make the next call(s) of `operation` fail as `fault` says; faults queue up in order. */
  failNext(operation: string, fault: KmsFault): void;
  /** Every key, oldest first. */
  keys(): KmsTestKey[];
  /** Stop listening and drop every connection, hanging requests included. */
  close(): Promise<void>;
}

const MAX_REQUEST_BYTES = 1024 * 1024;
const CONTENT_TYPE = "application/x-amz-json-1.1";

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    request.on("end", () => resolve(size <= MAX_REQUEST_BYTES ? Buffer.concat(chunks) : undefined));
    request.on("error", reject);
  });
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  const payload = Buffer.from(JSON.stringify(body));
  response.writeHead(status, {
    ...headers,
    "Content-Type": CONTENT_TYPE,
    "Content-Length": String(payload.length),
  });
  response.end(payload);
}

function sendError(response: ServerResponse, error: KmsError, requestId: string): void {
  send(
    response,
    error.status,
    { __type: error.name, message: error.message },
    { "x-amzn-RequestId": requestId, "x-amzn-ErrorType": error.name },
  );
}

function parseBody(bytes: Buffer): RequestBody {
  let body: unknown;
  try {
    body = bytes.length === 0 ? {} : JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new KmsError("SerializationException", "Start of structure or map found where not expected.");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new KmsError("SerializationException", "Start of structure or map found where not expected.");
  }
  return body as RequestBody;
}

function validateOptions(options: unknown): Required<KmsTestEndpointOptions> {
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  const { port = 0, region = "us-east-1", accountId = "000000000000" } = options as KmsTestEndpointOptions;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError("options.port must be an integer in 0..65535");
  }
  if (typeof region !== "string" || !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new TypeError("options.region must be an AWS region name such as us-east-1");
  }
  if (typeof accountId !== "string" || !/^\d{12}$/.test(accountId)) {
    throw new TypeError("options.accountId must be 12 digits");
  }
  return { port, region, accountId };
}

function validateFault(
  operation: unknown,
  fault: unknown,
): { operation: string; fault: KmsFault; times: number } {
  if (typeof operation !== "string" || !/^[A-Za-z]+$/.test(operation)) {
    throw new TypeError("operation must be a KMS operation name such as Sign");
  }
  if (typeof fault !== "object" || fault === null) throw new TypeError("fault must be an object");
  const { name, message, status, times = 1, hang } = fault as Partial<Record<string, unknown>>;
  if (hang !== undefined && typeof hang !== "boolean") throw new TypeError("fault.hang must be a boolean");
  if (hang !== true && (typeof name !== "string" || !/^[A-Za-z.]+$/.test(name))) {
    throw new TypeError("fault.name must be an AWS error name such as ThrottlingException");
  }
  if (message !== undefined && typeof message !== "string")
    throw new TypeError("fault.message must be a string");
  if (
    status !== undefined &&
    (typeof status !== "number" || !Number.isInteger(status) || status < 400 || status > 599)
  ) {
    throw new TypeError("fault.status must be an HTTP error status (400..599)");
  }
  if (typeof times !== "number" || !Number.isInteger(times) || times < 1) {
    throw new TypeError("fault.times must be a positive integer");
  }
  return { operation, fault: { ...(fault as KmsFault) }, times };
}

/**
 * Start a KMS endpoint on 127.0.0.1 that speaks the AWS JSON 1.1 protocol of the real service
 * (`POST /`, `X-Amz-Target: TrentService.<Operation>`), so the real `@aws-sdk/client-kms` works
 * against it unchanged. Keys live in memory, made with node:crypto; request signatures are not
 * checked, so any dummy credentials do.
 *
 * @example
 * ```ts
 * import { CreateKeyCommand, KMSClient, SignCommand } from "@aws-sdk/client-kms";
 * import { startKmsTestEndpoint } from "@keyprovider/kms-test-endpoint";
 *
 * const kms = await startKmsTestEndpoint();
 * const client = new KMSClient({
 *   endpoint: kms.endpoint,
 *   region: kms.region,
 *   credentials: { accessKeyId: "test", secretAccessKey: "test" },
 * });
 * const { KeyMetadata } = await client.send(
 *   new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }),
 * );
 * const { Signature } = await client.send(
 *   new SignCommand({ KeyId: KeyMetadata!.KeyId, Message: Buffer.from("hi"), SigningAlgorithm: "ECDSA_SHA_256" }),
 * );
 * await kms.close();
 * ```
 */
export async function startKmsTestEndpoint(options: KmsTestEndpointOptions = {}): Promise<KmsTestEndpoint> {
  const { port, region, accountId } = validateOptions(options);
  const store = new KeyStore(region, accountId);
  let calls: Record<string, number> = {};
  const faults = new Map<string, KmsFault[]>();

  async function answer(request: IncomingMessage, operation: string | undefined) {
    const bytes = await readBody(request);
    if (request.method !== "POST" || (request.url ?? "/").split("?")[0] !== "/") {
      throw new KmsError("UnknownOperationException", "KMS takes POST / only.", 404);
    }
    if (operation === undefined)
      throw new KmsError("UnknownOperationException", "Missing or unknown X-Amz-Target.");
    const fault = faults.get(operation)?.shift();
    if (fault?.hang === true) return "hang";
    if (fault !== undefined) {
      throw new KmsError(
        fault.name,
        fault.message ?? `Injected by the KMS test endpoint.`,
        fault.status ?? defaultStatus(fault.name),
      );
    }
    if (request.headers["content-type"]?.split(";")[0]?.trim() !== CONTENT_TYPE) {
      throw new KmsError("UnknownOperationException", `Content-Type must be ${CONTENT_TYPE}.`);
    }
    if (bytes === undefined) throw new KmsError("SerializationException", "Request body too large.", 413);
    const handler = OPERATIONS[operation];
    if (handler === undefined) {
      throw new KmsError(
        "UnknownOperationException",
        `The KMS test endpoint does not implement ${operation}.`,
      );
    }
    const body = parseBody(bytes);
    const result = await handler(store, body);
    if (body.DryRun === true && DRY_RUN_OPERATIONS.has(operation)) {
      throw new KmsError(
        "DryRunOperationException",
        "The request would have succeeded, but the DryRun option is set.",
        412,
      );
    }
    return result;
  }

  const server = createServer((request, response) => {
    const requestId = randomUUID();
    const target = request.headers["x-amz-target"];
    const operation =
      typeof target === "string" && /^TrentService\.[A-Za-z]+$/.test(target) ? target.slice(13) : undefined;
    if (operation !== undefined) calls[operation] = (calls[operation] ?? 0) + 1;
    answer(request, operation).then(
      (result) => {
        if (result !== "hang") send(response, 200, result, { "x-amzn-RequestId": requestId });
      },
      (error: unknown) => {
        // An unexpected failure is a bug here; its message (never key material) helps find it.
        const failure =
          error instanceof KmsError
            ? error
            : new KmsError("KMSInternalException", `Internal error: ${(error as Error).message}`, 500);
        sendError(response, failure, requestId);
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port: boundPort } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${boundPort}`,
    region,
    accountId,
    calls: () => ({ ...calls }),
    resetCalls: () => {
      calls = {};
    },
    failNext: (operation, fault) => {
      const checked = validateFault(operation, fault);
      const queue = faults.get(checked.operation) ?? [];
      for (let i = 0; i < checked.times; i++) queue.push(checked.fault);
      faults.set(checked.operation, queue);
    },
    keys: () =>
      store.keys().map((key) => ({ keyId: key.keyId, arn: key.arn, state: key.state, keySpec: key.spec })),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}
