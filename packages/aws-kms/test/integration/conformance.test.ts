import type { KeyAlg, KeySpec } from "@keyprovider/core";
import type { CreateVersionRequest, StoredVersion, VersionRecord } from "@keyprovider/base";
import { describeKeyProvider } from "@keyprovider/testkit";
import { AwsKmsKeyProvider } from "../../src/index.js";
import { KMS_ALGORITHMS } from "../../src/lib/options.js";
import { target, useNamespace } from "./kms.js";

/**
 * Two differences between KMS and what the conformance suite can state today, each covered by this
 * package's own tests instead (and reported to the testkit):
 *
 * - KMS signs and MACs messages of 1 to 4 096 bytes only where it cannot hash them first: HMAC and
 *   Ed25519 (signing.test.ts, jwt.test.ts). The suite signs empty and 10 000-byte messages with
 *   every algorithm, so this run offers neither (the `algorithms` option), and the suite covers
 *   every algorithm it then declares.
 * - `KeyRef.tags` carries `kms:key_id`, which is another key for every version; the suite expects a
 *   rotated version's tags to equal the first's. This run reads records without it.
 *
 * RSA keys take a second or more of CPU each to make, so the suite runs one algorithm per KMS
 * mechanism (PSS, PKCS#1 v1.5, OAEP); RS384/512 and PS384/512 are signed and checked with
 * node:crypto in signing.test.ts.
 */
const LIMITED: readonly KeyAlg[] = [
  "ED25519",
  "HMAC_SHA256",
  "RSA_PKCS1_SHA384",
  "RSA_PKCS1_SHA512",
  "RSA_PSS_SHA384",
  "RSA_PSS_SHA512",
];

/** AwsKmsKeyProvider, its records without the per-version `kms:key_id` tag. */
class ConformanceKmsProvider extends AwsKmsKeyProvider {
  protected override async readVersion(
    kid: string,
    version: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<StoredVersion | undefined> {
    const stored = await super.readVersion(kid, version, signal);
    return stored === undefined ? undefined : { ...stored, record: withoutKeyId(stored.record) };
  }

  protected override async createVersion(request: CreateVersionRequest): Promise<VersionRecord> {
    return withoutKeyId(await super.createVersion(request));
  }
}

const plain = new WeakMap<VersionRecord, VersionRecord>();
function withoutKeyId(record: VersionRecord): VersionRecord {
  let copy = plain.get(record);
  if (copy === undefined) {
    const { ["kms:key_id"]: _keyId, ...backendTags } = record.backendTags ?? {};
    copy = Object.freeze({ ...record, backendTags: Object.freeze(backendTags) });
    plain.set(record, copy);
  }
  return copy;
}

const KEYS: readonly KeySpec[] = [
  { alg: "ES256" },
  { alg: "ES384" },
  { alg: "ES512", encoding: "DER" },
  { alg: "PS256", sizeBits: 2048 },
  { alg: "RS256", sizeBits: 2048 },
  { alg: "RSA-OAEP-256", sizeBits: 2048 },
  { alg: "AES256_GCM" },
];

const kms = target;
if (kms !== null) {
  const namespace = useNamespace();
  describeKeyProvider(
    "AwsKmsKeyProvider",
    () => {
      const { client } = namespace.provider();
      return new ConformanceKmsProvider({
        region: kms.region,
        aliasPrefix: namespace.aliasPrefix,
        client,
        deletionWindowDays: 7,
        algorithms: KMS_ALGORITHMS.filter((alg) => !LIMITED.includes(alg)),
      });
    },
    {
      keys: KEYS,
      exportPolicies: ["none", "public_only"],
      unsupported: [
        { alg: "X25519" },
        { alg: "EdDSA" },
        { alg: "HS256" },
        { klass: "opaque", alg: "ED25519" },
      ],
      fingerprints: "scoped",
      provider: "shared",
      concurrency: 5,
      timeoutMs: 120_000,
    },
  );
}
