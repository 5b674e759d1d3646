import { inspect } from "node:util";
import {
  AlreadyExistsException,
  DependencyTimeoutException,
  DisabledException,
  IncorrectKeyException,
  InvalidCiphertextException,
  KMSInternalException,
  KMSInvalidStateException,
  KMSServiceException,
  KeyUnavailableException,
  NotFoundException,
} from "@aws-sdk/client-kms";
import {
  DecryptionError,
  KeyExistsError,
  KeyNotFoundError,
  KeyUnavailableError,
  ProviderPermissionError,
  ProviderUnavailableError,
  type KeyProviderError,
} from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { KmsRequestError, mapKmsError } from "./kms-errors.js";

const $metadata = { httpStatusCode: 400, requestId: "req-7f3a" };
const serverMetadata = { httpStatusCode: 500, requestId: "req-7f3a" };

/** An SDK error as the client throws it, with the raw response attached as the SDK does. */
function sdk<E extends Error>(error: E): E {
  Object.defineProperty(error, "$response", {
    value: {
      statusCode: 400,
      headers: { "x-secret-header": "RAW-RESPONSE-MARKER" },
      body: "RAW-RESPONSE-MARKER",
    },
    enumerable: false,
  });
  return error;
}

function generic(name: string, fault: "client" | "server", extra: object = {}): KMSServiceException {
  return sdk(
    new KMSServiceException({
      name,
      $fault: fault,
      message: `${name} happened`,
      $metadata: fault === "server" ? serverMetadata : $metadata,
      ...extra,
    }),
  );
}

const context = { kid: "k1", version: 2 };

describe("mapKmsError: KMS errors to DESIGN §4 by name, $fault and $retryable", () => {
  it.each<[string, unknown, (e: unknown) => boolean, Partial<Record<string, unknown>>]>([
    [
      "NotFoundException",
      sdk(new NotFoundException({ message: "no such key", $metadata })),
      (e) => KeyNotFoundError.isInstance(e),
      { kid: "k1", version: 2 },
    ],
    [
      "DisabledException",
      sdk(new DisabledException({ message: "key is disabled", $metadata })),
      (e) => KeyUnavailableError.isInstance(e),
      { reason: "disabled" },
    ],
    [
      "KMSInvalidStateException",
      sdk(new KMSInvalidStateException({ message: "pending deletion", $metadata })),
      (e) => KeyUnavailableError.isInstance(e),
      { reason: "invalid_state" },
    ],
    [
      "AlreadyExistsException",
      sdk(new AlreadyExistsException({ message: "alias exists", $metadata })),
      (e) => KeyExistsError.isInstance(e),
      { kid: "k1", version: 2 },
    ],
    [
      "AccessDeniedException",
      generic("AccessDeniedException", "client"),
      (e) => ProviderPermissionError.isInstance(e),
      {},
    ],
    [
      "UnrecognizedClientException",
      generic("UnrecognizedClientException", "client"),
      (e) => ProviderPermissionError.isInstance(e),
      {},
    ],
    [
      "ThrottlingException",
      generic("ThrottlingException", "client", { $retryable: { throttling: true } }),
      (e) => ProviderUnavailableError.isInstance(e),
      { retryable: true },
    ],
    [
      "KMSInternalException",
      sdk(new KMSInternalException({ message: "internal", $metadata: serverMetadata })),
      (e) => ProviderUnavailableError.isInstance(e),
      { retryable: true },
    ],
    [
      "DependencyTimeoutException",
      sdk(new DependencyTimeoutException({ message: "timeout", $metadata: serverMetadata })),
      (e) => ProviderUnavailableError.isInstance(e),
      { retryable: true },
    ],
    [
      // KMS's KeyUnavailableException is an HSM outage: the service, not the key, is unavailable.
      "KeyUnavailableException",
      sdk(new KeyUnavailableException({ message: "try later", $metadata: serverMetadata })),
      (e) => ProviderUnavailableError.isInstance(e),
      { retryable: true },
    ],
    [
      "ValidationException",
      generic("ValidationException", "client"),
      (e) => ProviderUnavailableError.isInstance(e),
      { retryable: false },
    ],
  ])("%s", (name, error, is, fields) => {
    const mapped = mapKmsError("Sign", error, context);
    expect(is(mapped)).toBe(true);
    expect(mapped).toMatchObject(fields);
    const cause = mapped.cause as KmsRequestError;
    expect(cause).toBeInstanceOf(KmsRequestError);
    expect(cause).toMatchObject({ operation: "Sign", errorName: name, requestId: "req-7f3a" });
    if (ProviderUnavailableError.isInstance(mapped) || ProviderPermissionError.isInstance(mapped)) {
      expect(mapped.message).toContain("req-7f3a");
      expect(mapped.message).toContain(name);
    }
    // The request id stays; the raw response does not.
    for (const rendered of [
      inspect(mapped, { depth: 10, showHidden: true }),
      JSON.stringify(mapped),
      String(mapped),
    ]) {
      expect(rendered).not.toContain("RAW-RESPONSE-MARKER");
    }
    expect(Object.getOwnPropertyNames(cause)).not.toContain("$response");
  });

  it("network failures without a response are retryable", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4566"), { code: "ECONNREFUSED" });
    const timeout = Object.assign(new Error("timed out"), { name: "TimeoutError" });
    for (const error of [refused, timeout]) {
      const mapped = mapKmsError("DescribeKey", error, context) as ProviderUnavailableError;
      expect(ProviderUnavailableError.isInstance(mapped)).toBe(true);
      expect(mapped.retryable).toBe(true);
      expect((mapped.cause as KmsRequestError).fault).toBeUndefined();
    }
  });

  it("missing credentials are a permission problem", () => {
    const error = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    expect(ProviderPermissionError.isInstance(mapKmsError("ListAliases", error))).toBe(true);
  });

  it("a ciphertext KMS refuses is the one DecryptionError, only from Decrypt", () => {
    for (const error of [
      sdk(new InvalidCiphertextException({ message: "KMS-DETAIL-MARKER", $metadata })),
      sdk(new IncorrectKeyException({ message: "KMS-DETAIL-MARKER", $metadata })),
    ]) {
      const mapped = mapKmsError("Decrypt", error, context);
      expect(DecryptionError.isInstance(mapped)).toBe(true);
      expect(mapped.message).not.toContain("KMS-DETAIL-MARKER");
      expect(mapped.cause).toBeUndefined();
    }
    const elsewhere = mapKmsError(
      "Encrypt",
      sdk(new IncorrectKeyException({ message: "x", $metadata })),
      context,
    );
    expect(ProviderUnavailableError.isInstance(elsewhere)).toBe(true);
  });

  it("without a kid, not-found and state errors are reported as the service's", () => {
    const mapped = mapKmsError("ListAliases", sdk(new NotFoundException({ message: "gone", $metadata })));
    expect(ProviderUnavailableError.isInstance(mapped)).toBe(true);
  });

  it("keyprovider's own errors pass through unchanged", () => {
    const own: KeyProviderError = new KeyNotFoundError("k1");
    expect(mapKmsError("Sign", own, context)).toBe(own);
  });

  it("bounds KMS's message", () => {
    const long = generic("ValidationException", "client", { message: "x".repeat(5_000) });
    expect(mapKmsError("Sign", long, context).message.length).toBeLessThan(500);
  });
});
