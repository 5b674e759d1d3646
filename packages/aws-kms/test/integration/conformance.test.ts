import type { KeyAlg, KeySpec } from "@keyprovider/core";
import { describeKeyProvider } from "@keyprovider/testkit";
import { AwsKmsKeyProvider } from "../../src/index.js";
import { KMS_ALGORITHMS } from "../../src/lib/options.js";
import { target, useNamespace } from "./kms.js";

/**
 * KMS signs and MACs messages of 1 to 4 096 bytes only where it cannot hash them first (HMAC and
 * Ed25519, whose digest form is Ed25519ph): `messageBytes` tells the suite, which then expects
 * `NotSupportedError` outside that range.
 *
 * RSA keys take a second or more of CPU each to make, so the suite runs one algorithm per KMS
 * mechanism (PSS, PKCS#1 v1.5, OAEP); RS384/512 and PS384/512 are signed and checked with
 * node:crypto in signing.test.ts.
 */
const SLOW: readonly KeyAlg[] = ["RSA_PKCS1_SHA384", "RSA_PKCS1_SHA512", "RSA_PSS_SHA384", "RSA_PSS_SHA512"];

const KEYS: readonly KeySpec[] = [
  { alg: "ES256" },
  { alg: "ES384" },
  { alg: "ES512", encoding: "DER" },
  { alg: "PS256", sizeBits: 2048 },
  { alg: "RS256", sizeBits: 2048 },
  { alg: "RSA-OAEP-256", sizeBits: 2048 },
  { alg: "AES256_GCM" },
  { alg: "ED25519" },
  { alg: "HMAC_SHA256" },
];

const kms = target;
if (kms !== null) {
  const namespace = useNamespace();
  describeKeyProvider(
    "AwsKmsKeyProvider",
    () => {
      const { client } = namespace.provider();
      return new AwsKmsKeyProvider({
        region: kms.region,
        aliasPrefix: namespace.aliasPrefix,
        client,
        deletionWindowDays: 7,
        algorithms: KMS_ALGORITHMS.filter((alg) => !SLOW.includes(alg)),
      });
    },
    {
      keys: KEYS,
      exportPolicies: ["none", "public_only"],
      unsupported: [{ alg: "X25519" }, { klass: "opaque", alg: "ED25519" }],
      messageBytes: { ED25519: { min: 1, max: 4096 }, HMAC_SHA256: { min: 1, max: 4096 } },
      fingerprints: "scoped",
      provider: "shared",
      concurrency: 5,
      timeoutMs: 120_000,
    },
  );
}
