import { describe, expect, it } from "vitest";
import { chooseKmsTarget, type ChooseKmsTargetOptions } from "./kms-target.js";

/** Options where every start succeeds and records that it ran. */
function options(overrides: Partial<ChooseKmsTargetOptions> & { engine?: boolean } = {}) {
  const started: string[] = [];
  const warnings: string[] = [];
  const base: ChooseKmsTargetOptions = {
    env: {},
    region: "eu-west-1",
    engineReachable: async () => overrides.engine ?? false,
    startLocalstack: async () => {
      started.push("localstack");
      return { endpoint: "http://127.0.0.1:4566", stop: async () => {} };
    },
    startTestEndpoint: async () => {
      started.push("kms-test-endpoint");
      return { endpoint: "http://127.0.0.1:9999", stop: async () => {} };
    },
    warn: (message) => warnings.push(message),
  };
  return { options: { ...base, ...overrides }, started, warnings };
}

const fails = async () => {
  throw new Error("no image");
};

describe("which KMS API the integration tests use", () => {
  it("KMS_ENDPOINT wins over everything, and starts nothing", async () => {
    const { options: o, started } = options({ env: { KMS_ENDPOINT: "https://kms.example" }, engine: true });
    expect((await chooseKmsTarget(o)).target).toEqual({
      kind: "KMS_ENDPOINT",
      endpoint: "https://kms.example",
      region: "eu-west-1",
    });
    expect(started).toEqual([]);
  });

  it("a reachable container engine means LocalStack", async () => {
    const { options: o, started } = options({ engine: true });
    expect((await chooseKmsTarget(o)).target?.kind).toBe("localstack");
    expect(started).toEqual(["localstack"]);
  });

  it("no engine means the in-process KMS test endpoint", async () => {
    const { options: o } = options();
    expect((await chooseKmsTarget(o)).target).toMatchObject({
      kind: "kms-test-endpoint",
      region: "eu-west-1",
    });
  });

  it("LocalStack failing to start falls back to the test endpoint, with a warning", async () => {
    const { options: o, warnings } = options({ engine: true, startLocalstack: fails });
    expect((await chooseKmsTarget(o)).target?.kind).toBe("kms-test-endpoint");
    expect(warnings).toEqual([expect.stringContaining("LocalStack did not start (no image)")]);
  });

  it("REQUIRE_KMS=1 refuses to fall back: no engine, or LocalStack failing, is an error", async () => {
    const required = { REQUIRE_KMS: "1" };
    await expect(chooseKmsTarget(options({ env: required }).options)).rejects.toThrow(/there is no KMS API/);
    await expect(
      chooseKmsTarget(options({ env: required, engine: true, startLocalstack: fails }).options),
    ).rejects.toThrow(/LocalStack did not start/);
    expect(
      (await chooseKmsTarget(options({ env: { ...required, KMS_ENDPOINT: "http://x" } }).options)).target
        ?.kind,
    ).toBe("KMS_ENDPOINT");
  });

  it("nothing at all: no target, so the integration tests skip (with a warning)", async () => {
    const { options: o, warnings } = options({ startTestEndpoint: fails });
    expect((await chooseKmsTarget(o)).target).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining("integration tests skip")]);
  });
});
