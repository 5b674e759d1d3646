import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  DecryptionError,
  ExportNotAllowedError,
  InsecureStoreError,
  InvalidKidError,
  InvalidTokenError,
  KeyUsageError,
  StoreIntegrityError,
  StoreUnlockError,
  describeType,
  displayValue,
  quoteForMessage,
  InvalidConfigError,
  InvalidKeyMaterialError,
  InvalidKeySpecError,
  InvalidProviderError,
  KeyExistsError,
  KeyNotFoundError,
  KeyProviderError,
  KeyUnavailableError,
  NotSupportedError,
  ProviderNotFoundError,
  ProviderPermissionError,
  ProviderUnavailableError,
  RemoteJwksError,
  UnsupportedAlgorithmError,
} from "./index.js";

describe("error family", () => {
  const cases: [KeyProviderError, string, string][] = [
    [new KeyNotFoundError("abc", 2), "KeyNotFoundError", "ERR_KEY_NOT_FOUND"],
    [new KeyExistsError("abc", 2), "KeyExistsError", "ERR_KEY_EXISTS"],
    [new InvalidKeySpecError("uses", "bad"), "InvalidKeySpecError", "ERR_INVALID_KEY_SPEC"],
    [new InvalidKeyMaterialError("bad"), "InvalidKeyMaterialError", "ERR_INVALID_KEY_MATERIAL"],
    [new UnsupportedAlgorithmError("X25519", "no"), "UnsupportedAlgorithmError", "ERR_UNSUPPORTED_ALGORITHM"],
    [new NotSupportedError("no"), "NotSupportedError", "ERR_NOT_SUPPORTED"],
    [new KeyUnavailableError("abc", 1, "disabled"), "KeyUnavailableError", "ERR_KEY_UNAVAILABLE"],
    [new ProviderUnavailableError("down"), "ProviderUnavailableError", "ERR_PROVIDER_UNAVAILABLE"],
    [new ProviderPermissionError("denied"), "ProviderPermissionError", "ERR_PROVIDER_PERMISSION"],
    [new RemoteJwksError("ERR_REMOTE_JWKS_TIMEOUT", "slow"), "RemoteJwksError", "ERR_REMOTE_JWKS_TIMEOUT"],
    [new ProviderNotFoundError("x", [], "missing"), "ProviderNotFoundError", "ERR_PROVIDER_NOT_FOUND"],
    [new InvalidProviderError("bad"), "InvalidProviderError", "ERR_INVALID_PROVIDER"],
    [new KeyUsageError("abc", 1, "sign", "no"), "KeyUsageError", "ERR_KEY_USAGE"],
    [new ExportNotAllowedError("abc", "none"), "ExportNotAllowedError", "ERR_EXPORT_NOT_ALLOWED"],
    [new DecryptionError(), "DecryptionError", "ERR_DECRYPTION_FAILED"],
    [new InvalidKidError("bad"), "InvalidKidError", "ERR_INVALID_KID"],
    [new InvalidTokenError("alg", "bad"), "InvalidTokenError", "ERR_INVALID_TOKEN"],
    [new StoreIntegrityError("bad", { record: "keys/a/1" }), "StoreIntegrityError", "ERR_STORE_INTEGRITY"],
    [new StoreUnlockError("bad"), "StoreUnlockError", "ERR_STORE_UNLOCK"],
    [new InsecureStoreError("/x", "bad"), "InsecureStoreError", "ERR_STORE_INSECURE"],
    [
      new InvalidConfigError("invalid_json", "/app/x.json", "bad"),
      "InvalidConfigError",
      "ERR_INVALID_CONFIG",
    ],
  ];

  it.each(cases)("%s has name %s and code %s", (error, name, code) => {
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(KeyProviderError);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(KeyProviderError.isInstance(error)).toBe(true);
    expect(String(error)).toContain(name);
  });

  it("isInstance tells the classes apart by code", () => {
    const notFound = new KeyNotFoundError("abc");
    expect(KeyNotFoundError.isInstance(notFound)).toBe(true);
    expect(NotSupportedError.isInstance(notFound)).toBe(false);
    expect(RemoteJwksError.isInstance(new RemoteJwksError("ERR_REMOTE_JWKS_INVALID", "x"))).toBe(true);
    expect(RemoteJwksError.isInstance(notFound)).toBe(false);
  });

  it("isInstance matches exact codes only, and RemoteJwksError's family explicitly", () => {
    const brand = (code: string) => {
      const error = Object.assign(new Error("x"), { code });
      Object.defineProperty(error, Symbol.for("keyprovider.error"), { value: true });
      return error;
    };
    expect(NotSupportedError.isInstance(brand("ERR_NOT_SUPPORTED_X"))).toBe(false);
    expect(KeyNotFoundError.isInstance(brand("ERR_KEY_NOT_FOUND_OR_SO"))).toBe(false);
    expect(RemoteJwksError.isInstance(brand("ERR_REMOTE_JWKS_TIMEOUT"))).toBe(true);
    expect(RemoteJwksError.isInstance(brand("ERR_REMOTE_JWKS_AMBIGUOUS_KID"))).toBe(true);
    expect(RemoteJwksError.isInstance(brand("ERR_REMOTE_JWKS_SOMETHING_NEW"))).toBe(false);
    expect(KeyProviderError.isInstance(brand("ERR_ANYTHING"))).toBe(true);
  });

  it("decryption failures say nothing about where", () => {
    expect(new DecryptionError().message).toBe(new DecryptionError({ cause: new Error("tag") }).message);
  });

  it("message helpers quote identifiers and describe what might be a secret", () => {
    expect(quoteForMessage("abc")).toBe('"abc"');
    expect(quoteForMessage(42)).toBe("the number 42");
    expect(displayValue("asym")).toBe('"asym"');
    expect(displayValue("sk_live_9f8e7d6c5b4a39281706f5e4")).toBe("a string of 32 characters");
    expect(describeType(new Uint8Array(3))).toBe("a Uint8Array of 3 bytes");
  });

  it("isInstance works across copies of the package (brand, not prototype)", () => {
    // What a second install of @keyprovider/core would throw: same brand and code, other class.
    const foreign = Object.assign(new Error("No key"), { code: "ERR_KEY_NOT_FOUND" });
    Object.defineProperty(foreign, Symbol.for("keyprovider.error"), { value: true });
    expect(foreign instanceof KeyNotFoundError).toBe(false);
    expect(KeyNotFoundError.isInstance(foreign)).toBe(true);
    expect(KeyProviderError.isInstance(foreign)).toBe(true);
    expect(ProviderNotFoundError.isInstance(foreign)).toBe(false);
  });

  it("isInstance rejects look-alikes without the brand", () => {
    expect(KeyNotFoundError.isInstance(Object.assign(new Error("x"), { code: "ERR_KEY_NOT_FOUND" }))).toBe(
      false,
    );
    expect(KeyProviderError.isInstance(null)).toBe(false);
    expect(KeyProviderError.isInstance("ERR_KEY_NOT_FOUND")).toBe(false);
  });

  it("carries typed fields and the cause", () => {
    const cause = new Error("socket hang up");
    const notFound = new KeyNotFoundError("abc", 3, { cause });
    expect(notFound.kid).toBe("abc");
    expect(notFound.version).toBe(3);
    expect(notFound.cause).toBe(cause);
    expect(notFound.message).toBe('Key "abc" has no version 3');
    expect(new KeyNotFoundError("abc").message).toBe('No key with kid "abc"');
    expect(new ProviderUnavailableError("down").retryable).toBe(true);
    expect(new ProviderUnavailableError("bad request", { retryable: false }).retryable).toBe(false);
    const remote = new RemoteJwksError("ERR_REMOTE_JWKS_HTTP_STATUS", "503", {
      url: "https://x",
      status: 503,
    });
    expect([remote.url, remote.status]).toEqual(["https://x", 503]);
    expect(new InvalidKeySpecError("sizeBits", "no").field).toBe("sizeBits");
    const config = new InvalidConfigError("literal_secret", "/app/keyprovider.config.json", "no", {
      member: "options.kek.passphrase",
    });
    expect([config.reason, config.source, config.member]).toEqual([
      "literal_secret",
      "/app/keyprovider.config.json",
      "options.kek.passphrase",
    ]);
  });

  it("bounds hostile identifiers in messages", () => {
    const error = new KeyNotFoundError("k".repeat(10_000));
    expect(error.message.length).toBeLessThan(120);
  });

  it("keeps the brand out of enumerable properties and inspect output", () => {
    const error = new KeyNotFoundError("abc");
    expect(Object.keys(error)).not.toContain(Symbol.for("keyprovider.error"));
    expect(inspect(error)).not.toContain("keyprovider.error");
  });
});
