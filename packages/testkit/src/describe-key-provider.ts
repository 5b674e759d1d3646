import type { KeyProvider } from "@keyprovider/core";
import { describe } from "vitest";
import { resolveCapabilities, type ConformanceCapabilities } from "./capabilities.js";
import { describeCancellation } from "./suite/cancellation.js";
import { describeConcurrency } from "./suite/concurrency.js";
import { SuiteContext } from "./suite/context.js";
import { describeExportPolicy } from "./suite/export-policy.js";
import { describeImports } from "./suite/imports.js";
import { describeJwkAndJwks } from "./suite/jwk-jwks.js";
import { describeKidsAndArguments } from "./suite/kids-and-arguments.js";
import { describeLeaks } from "./suite/leaks.js";
import { describeLifecycle } from "./suite/lifecycle.js";
import { describeKeyAgreement } from "./suite/operations-derive.js";
import { describeEncryption, describeRefusedOperations } from "./suite/operations-encrypt.js";
import { describeSigning } from "./suite/operations-sign.js";
import { describePrimitives } from "./suite/primitives.js";
import { describeStaging } from "./suite/staging.js";
import { describeSupportsAndSpecs } from "./suite/supports.js";

/**
 * The `KeyProvider` contract (DESIGN §3, §7), stated once as a vitest suite. Every provider package
 * runs it; third-party providers can too. `factory` makes a provider: a fresh one wherever a test
 * needs an empty provider, or once per suite with `provider: "shared"` (its kids are destroyed in
 * `afterAll`). What is tested follows the provider's `supports()` and the capabilities.
 *
 * @example
 * ```ts
 * import { describeKeyProvider } from "@keyprovider/testkit";
 * import { InMemoryKeyProvider } from "@keyprovider/inmemory";
 *
 * describeKeyProvider("InMemoryKeyProvider", () => new InMemoryKeyProvider(), {
 *   keys: [{ alg: "AES256_GCM" }, { alg: "HMAC_SHA256" }],
 * });
 * ```
 */
export function describeKeyProvider(
  name: string,
  factory: () => KeyProvider | Promise<KeyProvider>,
  capabilities: ConformanceCapabilities,
): void {
  if (typeof name !== "string" || name.length === 0)
    throw new TypeError("describeKeyProvider: name must be a non-empty string");
  if (typeof factory !== "function")
    throw new TypeError("describeKeyProvider: factory must be a function that returns a provider");
  const caps = resolveCapabilities(capabilities);
  const ctx = new SuiteContext(factory, caps);

  describe(`${name} conforms to the KeyProvider contract`, { timeout: caps.timeoutMs }, () => {
    ctx.registerHooks();
    describeSupportsAndSpecs(ctx);
    describeLifecycle(ctx);
    describeStaging(ctx);
    describeExportPolicy(ctx);
    describeJwkAndJwks(ctx);
    describe("key operations", ctx.parallel, () => {
      describeSigning(ctx);
      describeEncryption(ctx);
      describeKeyAgreement(ctx);
      describeRefusedOperations(ctx);
    });
    describeImports(ctx);
    describeKidsAndArguments(ctx);
    describeCancellation(ctx);
    describeConcurrency(ctx);
    describePrimitives(ctx);
    describeLeaks(ctx);
  });
}
