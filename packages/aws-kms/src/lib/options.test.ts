import { KMSClient } from "@aws-sdk/client-kms";
import { KMSClient as LowestKMSClient } from "@aws-sdk/client-kms-lowest";
import { describe, expect, expectTypeOf, it } from "vitest";
import { AwsKmsKeyProvider, type KmsClient } from "../index.js";
import { resolveOptions } from "./options.js";

describe("options, validated once at construction", () => {
  it("fills in the defaults of DESIGN §6", () => {
    expect(resolveOptions({ region: "us-east-1" })).toMatchObject({
      aliasPrefix: "keyprovider",
      tagPrefix: "keyprovider:",
      deletionWindowDays: 30,
      stateTtlMs: 60_000,
      notFoundTtlMs: 5_000,
      randomSource: "local",
      maxConcurrency: 8,
      keyPolicy: undefined,
      expectedAccountId: undefined,
    });
  });

  it.each<[string, unknown]>([
    ["no options", undefined],
    ["no region", {}],
    ["a region that is not a string", { region: 1 }],
    ["an unknown option", { region: "us-east-1", regoin: "x" }],
    ["a client without send", { region: "us-east-1", client: {} }],
    [
      "a client and an endpoint",
      { region: "us-east-1", client: { send: async () => ({}) }, endpoint: "http://x" },
    ],
    ["credentials of the wrong shape", { region: "us-east-1", credentials: { accessKeyId: "a" } }],
    ["a keyPolicy that is neither text nor an object", { region: "us-east-1", keyPolicy: 7 }],
    ["a clock that is not a function", { region: "us-east-1", clock: 5 }],
    ["a deletion window that is not a number", { region: "us-east-1", deletionWindowDays: "7" }],
    ["algorithms that are not an array", { region: "us-east-1", algorithms: "ES256" }],
  ])("TypeError: %s", (_name, options) => {
    expect(() => new AwsKmsKeyProvider(options as never)).toThrow(TypeError);
  });

  it.each<[string, Record<string, unknown>]>([
    ["a region that is not one", { region: "Europe" }],
    ["a deletion window below 7 days", { deletionWindowDays: 6 }],
    ["a deletion window above 30 days", { deletionWindowDays: 31 }],
    ["a fractional deletion window", { deletionWindowDays: 7.5 }],
    ["an alias prefix with a dot", { aliasPrefix: "a.b" }],
    ["an alias prefix in the AWS namespace", { aliasPrefix: "aws/keys" }],
    ["an empty alias prefix segment", { aliasPrefix: "a//b" }],
    ["a tag prefix in the AWS namespace", { tagPrefix: "aws:kp:" }],
    ["a tag prefix KMS does not allow", { tagPrefix: "kp#" }],
    ["a random source that does not exist", { randomSource: "hsm" }],
    ["an account id that is not 12 digits", { expectedAccountId: "1234" }],
    ["a keyPolicy that is not JSON", { keyPolicy: "{not json" }],
    ["a keyPolicy that is a JSON array", { keyPolicy: "[]" }],
    ["an endpoint that is not a URL", { endpoint: "localhost:4566" }],
    ["no concurrency", { maxConcurrency: 0 }],
    ["a negative state TTL", { stateTtlMs: -1 }],
    ["an algorithm KMS does not hold", { algorithms: ["X25519"] }],
  ])("RangeError: %s", (_name, options) => {
    expect(() => new AwsKmsKeyProvider({ region: "us-east-1", ...options })).toThrow(RangeError);
  });

  it("algorithms narrows what the provider offers (a region without Ed25519)", async () => {
    const provider = new AwsKmsKeyProvider({
      region: "us-east-1",
      algorithms: ["ECDSA_P256_SHA256", "HMAC_SHA256"],
    });
    expect(provider.supports().algs).toEqual(["ECDSA_P256_SHA256", "HMAC_SHA256"]);
    expect(provider.supports().class).toEqual(["sym", "asym"]);
    await expect(provider.createKey({ alg: "EdDSA" })).rejects.toThrow(/does not support/);
  });

  it("never shows credentials in its errors", () => {
    const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    try {
      new AwsKmsKeyProvider({ region: "us-east-1", credentials: { secretAccessKey: secret } as never });
    } catch (error) {
      expect(String(error)).not.toContain(secret);
    }
  });

  it("takes a KMSClient of the SDK, at the current and the lowest supported version, as a structural client", () => {
    expectTypeOf(new KMSClient({ region: "us-east-1" })).toExtend<KmsClient>();
    expectTypeOf(new LowestKMSClient({ region: "us-east-1" })).toExtend<KmsClient>();
    const lowest = new LowestKMSClient({ region: "us-east-1" });
    expect(() => new AwsKmsKeyProvider({ region: "us-east-1", client: lowest })).not.toThrow();
    lowest.destroy();
  });
});
