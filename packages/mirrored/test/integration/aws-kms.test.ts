import { randomBytes } from "node:crypto";
import { DisableKeyCommand, EnableKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import {
  KeyNotFoundError,
  KeyUnavailableError,
  ProviderUnavailableError,
  type KeyAlg,
  type KeySpec,
} from "@keyprovider/core";
import { AwsKmsKeyProvider, type AwsKmsKeyProviderOptions } from "@keyprovider/aws-kms";
import { signJwt, verifyJwt } from "@keyprovider/jwt";
import { startKmsTestEndpoint } from "@keyprovider/kms-test-endpoint";
import { LocalKeyProvider } from "@keyprovider/local";
import { describeKeyProvider } from "@keyprovider/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { MirroredKeyProvider } from "../../src/index.js";

// A KMS region of our own: the project's KMS test endpoint (AWS JSON 1.1 over node:http on 127.0.0.1).
const kms = await startKmsTestEndpoint({ region: "eu-west-1" });
afterAll(() => kms.close());
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

/** RSA keys take a second each to make, so one algorithm per KMS mechanism runs (as in @keyprovider/aws-kms's own run). */
const LEFT_OUT: readonly KeyAlg[] = [
  "RSA_PKCS1_SHA384",
  "RSA_PKCS1_SHA512",
  "RSA_PSS_SHA384",
  "RSA_PSS_SHA512",
  "X25519",
];

function kmsOptions(overrides: Partial<AwsKmsKeyProviderOptions> = {}): AwsKmsKeyProviderOptions {
  return {
    region: kms.region,
    endpoint: kms.endpoint,
    credentials,
    aliasPrefix: `mirrored-test/${randomBytes(6).toString("hex")}`,
    deletionWindowDays: 7,
    ...overrides,
  };
}

describeKeyProvider(
  "MirroredKeyProvider (AwsKms/Local, public_only)",
  () =>
    new MirroredKeyProvider(
      new AwsKmsKeyProvider(
        kmsOptions({
          algorithms: new AwsKmsKeyProvider(kmsOptions())
            .supports()
            .algs.filter((alg) => !LEFT_OUT.includes(alg)),
        }),
      ),
      new LocalKeyProvider(),
    ),
  {
    keys: [
      { alg: "ES256" },
      { alg: "ES384" },
      { alg: "ES512", encoding: "DER" },
      { alg: "PS256", sizeBits: 2048 },
      { alg: "RS256", sizeBits: 2048 },
      { alg: "RSA-OAEP-256", sizeBits: 2048 },
      { alg: "AES256_GCM" },
      { alg: "ED25519" },
      { alg: "HMAC_SHA256" },
    ],
    exportPolicies: ["none", "public_only"],
    unsupported: [{ alg: "X25519" }, { klass: "opaque", alg: "ED25519" }],
    // KMS signs HMAC and Ed25519 messages of 1 to 4 096 bytes only.
    messageBytes: { ED25519: { min: 1, max: 4096 }, HMAC_SHA256: { min: 1, max: 4096 } },
    fingerprints: "scoped",
    concurrency: 5,
    timeoutMs: 120_000,
  },
);

describe("a KMS primary and a Local secondary", () => {
  const es256: KeySpec = { alg: "ES256", label: "id-tokens" };

  it("tokens signed in KMS keep verifying through the Local copies when the KMS region is gone", async () => {
    const region = await startKmsTestEndpoint({ region: "eu-west-1" });
    // One attempt per request, so the refused connections fail fast instead of being retried.
    const client = new KMSClient({
      endpoint: region.endpoint,
      region: region.region,
      credentials,
      maxAttempts: 1,
    });
    const { endpoint: _endpoint, credentials: _credentials, ...options } = kmsOptions();
    const primary = new AwsKmsKeyProvider({ ...options, client });
    const secondary = new LocalKeyProvider();
    const mirrored = new MirroredKeyProvider(primary, secondary);
    const { kid } = await mirrored.createKey(es256);
    await mirrored.rotateKey(kid);
    const tokens = [
      await signJwt(mirrored, kid, { sub: "a" }, { expiresIn: "5m", version: 1 }),
      await signJwt(mirrored, kid, { sub: "b" }, { expiresIn: "5m" }),
    ];
    const jwks = await mirrored.jwks({ allVersions: true });
    expect((await secondary.getKey(kid, 2)).fingerprint).toBe((await primary.getKey(kid, 2)).fingerprint);

    await region.close(); // the region is down: connections are refused
    for (const token of tokens) {
      expect((await verifyJwt(mirrored, token, { keys: [kid] })).payload.sub).toMatch(/^[ab]$/);
    }
    expect(await mirrored.jwks({ allVersions: true })).toEqual(jwks);
    const error = await mirrored.sign(kid, new Uint8Array(8)).catch((e: unknown) => e);
    expect(ProviderUnavailableError.isInstance(error) && error.retryable).toBe(true);
    expect(mirrored.status()).toMatchObject({
      degraded: false,
      lastError: { code: "ERR_PROVIDER_UNAVAILABLE" },
    });
    client.destroy();
  }, 120_000);

  it("a KMS key that is disabled is a revocation: no failover, not republished, during a later outage either", async () => {
    const primary = new AwsKmsKeyProvider(kmsOptions({ stateTtlMs: 0 }));
    const secondary = new LocalKeyProvider();
    const mirrored = new MirroredKeyProvider(primary, secondary);
    const kept = await mirrored.createKey(es256);
    const disabled = await mirrored.createKey(es256);
    const signature = await mirrored.sign(disabled.kid, new Uint8Array(8));
    const client = new KMSClient({ endpoint: kms.endpoint, region: kms.region, credentials });
    try {
      await client.send(new DisableKeyCommand({ KeyId: disabled.uri! }));
      await expect(mirrored.getPublicJwk(disabled.kid)).rejects.toSatisfy((e) =>
        KeyUnavailableError.isInstance(e),
      );
      await expect(mirrored.verify(disabled.kid, new Uint8Array(8), signature)).rejects.toSatisfy((e) =>
        KeyUnavailableError.isInstance(e),
      );
      expect((await mirrored.jwks()).keys.map((jwk) => jwk.kid)).toEqual([`${kept.kid}.1`]);
      await client.send(new EnableKeyCommand({ KeyId: disabled.uri! }));
    } finally {
      client.destroy();
    }
    // destroyKey through the mirror removes the copy: no failover serves it afterwards.
    expect(await mirrored.destroyKey(kept.kid)).toBe(true);
    await expect(secondary.getKey(kept.kid)).rejects.toThrow(KeyNotFoundError);
  }, 120_000);
});
