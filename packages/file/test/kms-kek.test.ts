// A store whose data key is wrapped by an AWS KMS key (Tink's KMS envelope): AwsKmsKeyProvider
// over the real @aws-sdk/client-kms, against the project's in-process KMS endpoint.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { KMSClient } from "@aws-sdk/client-kms";
import {
  ProviderUnavailableError,
  StoreUnlockError,
  createRegistry,
  type KeyProvider,
} from "@keyprovider/core";
import awsKms, { AwsKmsKeyProvider } from "@keyprovider/aws-kms";
import { startKmsTestEndpoint, type KmsTestEndpoint } from "@keyprovider/kms-test-endpoint";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import file, { FileKeyProvider } from "../src/index.js";
import { is, passphraseKek, rejection, storeDirectory } from "./helpers.js";

let kms: KmsTestEndpoint;
const clients: KMSClient[] = [];

beforeAll(async () => {
  kms = await startKmsTestEndpoint();
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  await kms.close();
});

function kmsOptions(maxAttempts?: number) {
  const client = new KMSClient({
    region: kms.region,
    endpoint: kms.endpoint,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });
  clients.push(client);
  return { region: kms.region, client, aliasPrefix: "file-kek" };
}

/** A new AwsKmsKeyProvider (its own client and caches), as another process would have. */
const kmsProvider = (): KeyProvider => new AwsKmsKeyProvider(kmsOptions());

describe("a KEK held by an AwsKmsKeyProvider key", () => {
  it("the data key is wrapped by KMS Encrypt and unwrapped by one Decrypt per open", async () => {
    const { kid: kekKid } = await kmsProvider().createKey({ alg: "AES256_GCM" });
    const directory = await storeDirectory();
    const store = new FileKeyProvider({ directory, kek: { provider: kmsProvider(), kid: kekKid } });
    const { kid } = await store.createKey({ alg: "ES256" });
    const signature = await store.sign(kid, new TextEncoder().encode("m"));
    const header = JSON.parse((await readFile(join(directory, "header"), "utf8")).split("\n")[0]!);
    expect(header.kek).toEqual({ type: "provider", provider: "AwsKmsKeyProvider", kid: kekKid });

    kms.resetCalls();
    const reopened = new FileKeyProvider({ directory, kek: { provider: kmsProvider(), kid: kekKid } });
    expect(await reopened.verify(kid, new TextEncoder().encode("m"), signature)).toBe(true);
    await reopened.rotateKey(kid);
    await reopened.jwks();
    expect(kms.calls()["Decrypt"]).toBe(1);
    expect(kms.calls()["Encrypt"]).toBeUndefined();
  });

  it("another KMS key, or a KMS key scheduled for deletion, does not open the store", async () => {
    const kek = kmsProvider();
    const { kid: kekKid } = await kek.createKey({ alg: "AES256_GCM" });
    const { kid: otherKid } = await kek.createKey({ alg: "AES256_GCM" });
    const directory = await storeDirectory();
    await new FileKeyProvider({ directory, kek: { provider: kek, kid: kekKid } }).createKey({
      alg: "ED25519",
    });
    const other = await rejection(
      new FileKeyProvider({ directory, kek: { provider: kmsProvider(), kid: otherKid } }).listKeys(),
    );
    expect(StoreUnlockError.isInstance(other) && other.message).toContain(kekKid);
    await kek.destroyKey(kekKid);
    const gone = await rejection(
      new FileKeyProvider({ directory, kek: { provider: kmsProvider(), kid: kekKid } }).listKeys(),
    );
    expect(StoreUnlockError.isInstance(gone)).toBe(true);
  });

  it("KMS unavailable is said as KMS says it, changes nothing, and the next call opens", async () => {
    const { kid: kekKid } = await kmsProvider().createKey({ alg: "AES256_GCM" });
    const directory = await storeDirectory();
    const { kid } = await new FileKeyProvider({
      directory,
      kek: { provider: kmsProvider(), kid: kekKid },
    }).createKey({
      alg: "HMAC_SHA256",
    });
    // One attempt per call, so the SDK's own retries do not hide the failure.
    const store = new FileKeyProvider({
      directory,
      kek: { provider: new AwsKmsKeyProvider(kmsOptions(1)), kid: kekKid },
    });
    const before = await readFile(join(directory, "header"));
    kms.failNext("Decrypt", { name: "KMSInternalException", times: 1 });
    await expect(store.listKeys()).rejects.toSatisfy(is(ProviderUnavailableError));
    expect(await readFile(join(directory, "header"))).toEqual(before);
    expect(await store.listKeys()).toEqual([kid]);
  });

  it("rekey moves a passphrase store under a KMS key, and configuration names the KMS provider", async () => {
    const directory = await storeDirectory();
    const store = new FileKeyProvider({ directory, kek: passphraseKek("before KMS") });
    const { kid } = await store.createKey({ alg: "AES256_GCM" });
    const sealed = await store.encrypt(kid, new TextEncoder().encode("secret"));
    const { kid: kekKid } = await kmsProvider().createKey({ alg: "AES256_GCM" });
    await store.rekey({ kek: { provider: kmsProvider(), kid: kekKid }, rotateDataKey: true });

    const registry = createRegistry({ providers: [file, awsKms] });
    const configured = await registry.create("file", {
      directory,
      kek: { provider: "aws-kms", options: kmsOptions(), kid: kekKid },
    });
    expect(new TextDecoder().decode(await configured.decrypt(kid, sealed))).toBe("secret");
    await expect(
      new FileKeyProvider({ directory, kek: passphraseKek("before KMS") }).listKeys(),
    ).rejects.toSatisfy(is(StoreUnlockError));
  });
});
