// Issue 12, item 5: KMS calls made by AwsKmsKeyProvider's jwks() over 10 and 100 keys, cold (a new
// provider) and warm (the same provider again), against a naive implementation written here that
// makes the same calls with no cache and scans the aliases for every key it looks up. Both run
// against the KMS test endpoint (the real @aws-sdk/client-kms over node:http), which counts calls.
import { createPublicKey } from "node:crypto";
import { Buffer } from "node:buffer";
import {
  DescribeKeyCommand,
  GetPublicKeyCommand,
  KMSClient,
  ListAliasesCommand,
  ListResourceTagsCommand,
} from "@aws-sdk/client-kms";
import { AwsKmsKeyProvider } from "@keyprovider/aws-kms";
import { startKmsTestEndpoint } from "@keyprovider/kms-test-endpoint/dist";
import { targets } from "../harness.js";

const PREFIX = "bench";

/** Every alias of the account, page by page (ListAliases has no prefix filter). */
async function listAliases(client) {
  const aliases = [];
  let marker;
  do {
    const page = await client.send(
      new ListAliasesCommand({ Limit: 100, ...(marker ? { Marker: marker } : {}) }),
    );
    aliases.push(...(page.Aliases ?? []));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker !== undefined);
  return aliases;
}

/**
 * The naive baseline: the JWK Set of the primary versions, with the checks DESIGN §7.5 asks for
 * (state, tags) and no cache at all. Each key is looked up on its own, by listing the aliases again.
 */
async function naiveJwks(client) {
  const root = `alias/${PREFIX}/`;
  const kids = (await listAliases(client))
    .map((alias) => alias.AliasName ?? "")
    .filter((name) => name.startsWith(root) && !name.slice(root.length).includes("/"))
    .map((name) => name.slice(root.length));
  const keys = [];
  for (const kid of kids) {
    const aliases = await listAliases(client);
    const primary = aliases.find((alias) => alias.AliasName === `${root}${kid}`);
    const versioned = aliases.find(
      (alias) => alias.TargetKeyId === primary?.TargetKeyId && alias.AliasName?.startsWith(`${root}${kid}/v`),
    );
    if (primary?.TargetKeyId === undefined || versioned === undefined) continue;
    const version = Number(versioned.AliasName.slice(`${root}${kid}/v`.length));
    const { KeyMetadata } = await client.send(new DescribeKeyCommand({ KeyId: primary.TargetKeyId }));
    if (KeyMetadata?.KeyState !== "Enabled") continue;
    const { Tags = [] } = await client.send(new ListResourceTagsCommand({ KeyId: primary.TargetKeyId }));
    const tag = (name) => Tags.find((t) => t.TagKey === `keyprovider:${name}`)?.TagValue;
    if (tag("kid") !== kid || tag("version") !== String(version)) continue;
    const { PublicKey } = await client.send(new GetPublicKeyCommand({ KeyId: primary.TargetKeyId }));
    const jwk = createPublicKey({ key: Buffer.from(PublicKey), format: "der", type: "spki" }).export({
      format: "jwk",
    });
    keys.push({ ...jwk, kid: `${kid}.${version}`, alg: "ES256", use: "sig" });
  }
  return { keys };
}

const total = (calls) => Object.values(calls).reduce((sum, n) => sum + n, 0);
const describe = (calls) =>
  Object.entries(calls)
    .map(([operation, n]) => `${operation} ${n}`)
    .join(", ");

export default async function awsKmsCases(bench) {
  const section = bench.section({
    id: "aws-kms",
    title: "AwsKmsKeyProvider.jwks(): KMS calls against a naive scan-per-lookup",
    items: [5],
  });
  const sizes = bench.settings.quick ? [10, 20] : [10, 100];
  for (const n of sizes) {
    // One endpoint per size: ListAliases pages depend on every alias in the account.
    const kms = await startKmsTestEndpoint();
    const client = new KMSClient({
      region: kms.region,
      endpoint: kms.endpoint,
      credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
    });
    const options = { region: kms.region, client, aliasPrefix: PREFIX };
    try {
      const creator = new AwsKmsKeyProvider(options);
      for (let i = 0; i < n; i += 1) await creator.createKey({ alg: "ES256" });

      const measure = async (fn) => {
        kms.resetCalls();
        const { keys } = await fn();
        return { calls: kms.calls(), published: keys.length };
      };
      const provider = new AwsKmsKeyProvider(options);
      const cold = await measure(() => provider.jwks());
      const warm = await measure(() => provider.jwks());
      const naiveCold = await measure(() => naiveJwks(client));
      const naiveWarm = await measure(() => naiveJwks(client));
      if (cold.published !== n || naiveCold.published !== n) {
        throw new Error(`published ${cold.published} (ours) and ${naiveCold.published} (naive) of ${n} keys`);
      }
      for (const [phase, ours, naive] of [
        ["cold", cold, naiveCold],
        ["warm", warm, naiveWarm],
      ]) {
        section.count({
          operation: `jwks() over ${n} keys, ${phase}`,
          detail: `ours: ${describe(ours.calls)}; naive: ${describe(naive.calls)}`,
          unit: "calls",
          ours: total(ours.calls),
          baseline: total(naive.calls),
          baselineName: "naive scan-per-lookup",
        });
      }
      section.count({
        operation: `GetPublicKey calls in a warm jwks() over ${n} keys`,
        unit: "calls",
        ours: warm.calls.GetPublicKey ?? 0,
        baseline: naiveWarm.calls.GetPublicKey ?? 0,
        baselineName: "naive scan-per-lookup",
        target: targets.exactly(0, "calls"),
      });
    } finally {
      client.destroy();
      await kms.close();
    }
  }
  section.note(
    "The naive baseline makes the calls a careful implementation without caches would: one ListAliases scan " +
      "to find the kids, then for each key another scan to resolve its aliases, DescribeKey (state), " +
      "ListResourceTags (kid and version tags) and GetPublicKey. Ours caches tags and public keys for good " +
      "(a version's public key never changes) and a key's state for stateTtlMs (60 s).",
  );
}
