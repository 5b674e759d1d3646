import { generateKeyPairSync } from "node:crypto";
import {
  AlreadyExistsException,
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisabledException,
  GetPublicKeyCommand,
  KMSClient,
  KMSServiceException,
  ListAliasesCommand,
  ListResourceTagsCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  UpdateAliasCommand,
  type KeyMetadata,
} from "@aws-sdk/client-kms";
import {
  InvalidKeySpecError,
  KeyUnavailableError,
  NotSupportedError,
  ProviderUnavailableError,
  UnsupportedAlgorithmError,
} from "@keyprovider/core";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { AwsKmsKeyProvider, type AwsKmsKeyProviderOptions } from "./index.js";

const REGION = "eu-west-1";
const ACCOUNT = "111122223333";
const arn = (keyId: string) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;
const spki = new Uint8Array(
  generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "der" }),
);
const metadata = (keyId: string, extra: Partial<KeyMetadata> = {}): KeyMetadata => ({
  KeyId: keyId,
  Arn: arn(keyId),
  AWSAccountId: ACCOUNT,
  KeyState: "Enabled",
  Enabled: true,
  KeySpec: "ECC_NIST_P256",
  KeyUsage: "SIGN_VERIFY",
  SigningAlgorithms: ["ECDSA_SHA_256"],
  Origin: "AWS_KMS",
  KeyManager: "CUSTOMER",
  ...extra,
});
const tags = (kid: string, version: number) => [
  { TagKey: "keyprovider:kid", TagValue: kid },
  { TagKey: "keyprovider:version", TagValue: String(version) },
  { TagKey: "keyprovider:alg", TagValue: "ECDSA_P256_SHA256" },
];
const throttled = () =>
  new KMSServiceException({
    name: "ThrottlingException",
    $fault: "client",
    $metadata: { httpStatusCode: 400, requestId: "req-throttled" },
    $retryable: { throttling: true },
    message: "Rate exceeded",
  });
const taken = () => new AlreadyExistsException({ message: "alias exists", $metadata: {} });

const clients: KMSClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
});

/**
 * A KMSClient whose send() is stubbed by aws-sdk-client-mock: the account holds kid "k1" with
 * version 1 (key "key-1"), primary; CreateKey makes "new-<n>" keys.
 */
function mockedKms(options: Partial<AwsKmsKeyProviderOptions> = {}) {
  const client = new KMSClient({ region: REGION, credentials: { accessKeyId: "x", secretAccessKey: "y" } });
  clients.push(client);
  const kms = mockClient(client);
  let made = 0;
  const aliases = [
    { AliasName: "alias/keyprovider/k1", TargetKeyId: "key-1" },
    { AliasName: "alias/keyprovider/k1/v1", TargetKeyId: "key-1" },
    { AliasName: "alias/aws/ebs", TargetKeyId: "aws-managed" },
    { AliasName: "alias/other/k9", TargetKeyId: "key-9" },
  ];
  kms.on(ListAliasesCommand).callsFake((input: { KeyId?: string }) => ({
    Aliases: aliases.filter((alias) => input.KeyId === undefined || alias.TargetKeyId === input.KeyId),
  }));
  kms
    .on(DescribeKeyCommand)
    .callsFake((input: { KeyId: string }) => ({ KeyMetadata: metadata(input.KeyId) }));
  kms.on(ListResourceTagsCommand, { KeyId: "key-1" }).resolves({ Tags: tags("k1", 1) });
  kms.on(GetPublicKeyCommand).resolves({ PublicKey: spki, KeySpec: "ECC_NIST_P256" });
  kms.on(CreateKeyCommand).callsFake(() => ({ KeyMetadata: metadata(`new-${++made}`) }));
  kms.on(CreateAliasCommand).resolves({});
  kms.on(UpdateAliasCommand).resolves({});
  kms.on(DeleteAliasCommand).resolves({});
  kms.on(ScheduleKeyDeletionCommand).resolves({});
  kms.on(TagResourceCommand).resolves({});
  const provider = new AwsKmsKeyProvider({ region: REGION, client, ...options });
  return { client, kms, provider };
}

const inputs = <T>(kms: ReturnType<typeof mockClient>, command: new (input: T) => unknown) =>
  kms.commandCalls(command as never).map((call) => (call.args[0] as { input: T }).input);

describe("AwsKmsKeyProvider with a mocked KMS client", () => {
  it("needs no network and no credentials to construct, and makes no call until asked", async () => {
    const provider = new AwsKmsKeyProvider({ region: REGION });
    expect(provider.name).toBe("AwsKmsKeyProvider");
    expect(provider.supports().algs).not.toContain("X25519");
    expect(provider.supports().features).toEqual(
      expect.arrayContaining(["sign", "encrypt", "stage", "persist"]),
    );
    expect(provider.supports().features).not.toContain("import");
    expect((await provider.randomBytes(16)).byteLength).toBe(16);
    expect(await provider.hkdf(new Uint8Array(32), { length: 16 })).toHaveLength(16);
  });

  it("refuses before any KMS call what KMS cannot hold", async () => {
    const { kms, provider } = mockedKms();
    const refused = [
      [provider.createKey({ alg: "X25519" }), UnsupportedAlgorithmError],
      [provider.createKey({ alg: "ES256", exportPolicy: "secret_when_allowed" }), InvalidKeySpecError],
      [provider.createKey({ alg: "ES256", tags: { "keyprovider:kid": "spoof" } }), InvalidKeySpecError],
      [provider.createKey({ alg: "ES256", tags: { "aws:x": "y" } }), InvalidKeySpecError],
      [
        provider.createKey({
          alg: "ES256",
          tags: Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`t${i}`, "v"])),
        }),
        InvalidKeySpecError,
      ],
      [provider.importKey({ alg: "ES256" }, spki), NotSupportedError],
      [provider.deriveSharedSecret("k1", spki), NotSupportedError],
    ] as const;
    for (const [promise, type] of refused) {
      const error = await (promise as Promise<unknown>).catch((e: unknown) => e);
      expect((type as typeof NotSupportedError).isInstance(error), String(error)).toBe(true);
    }
    expect(kms.calls()).toHaveLength(0);
  });

  it("a key spec the region does not have is UnsupportedAlgorithmError, and nothing is left to clean up", async () => {
    const { kms, provider } = mockedKms();
    kms.on(CreateKeyCommand).rejects(
      new KMSServiceException({
        name: "UnsupportedOperationException",
        $fault: "client",
        $metadata: {},
        message: "ECC_NIST_EDWARDS25519 is not supported in this region",
      }),
    );
    const error = await provider.createKey({ alg: "EdDSA" }).catch((e: unknown) => e);
    expect(UnsupportedAlgorithmError.isInstance(error) && error.alg).toBe("ED25519");
    expect((error as Error).message).toContain("algorithms option");
    expect(kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
  });

  it("passes keyPolicy as JSON text and never aborts CreateKey in flight", async () => {
    const policy = { Version: "2012-10-17", Statement: [] };
    const { kms, provider } = mockedKms({ keyPolicy: policy });
    const signal = new AbortController().signal;
    await provider.createKey({ alg: "ES256", label: "x" }, { signal });
    const [create] = kms.commandCalls(CreateKeyCommand);
    expect(create!.args[0].input).toMatchObject({
      KeySpec: "ECC_NIST_P256",
      KeyUsage: "SIGN_VERIFY",
      Policy: JSON.stringify(policy),
    });
    expect((create!.args as unknown[])[1]).toBeUndefined();
    for (const call of kms.commandCalls(CreateAliasCommand)) {
      expect((call.args as unknown[])[1]).toEqual({ abortSignal: signal });
    }
  });

  it("forwards the caller's signal to send()", async () => {
    const { kms, provider } = mockedKms();
    kms.on(SignCommand).resolves({ Signature: new Uint8Array([0x30, 6, 2, 1, 1, 2, 1, 1]) });
    const signal = new AbortController().signal;
    expect((await provider.sign("k1", new Uint8Array([1]), { signal })).byteLength).toBe(64);
    const [sign] = kms.commandCalls(SignCommand);
    expect((sign!.args as unknown[])[1]).toEqual({ abortSignal: signal });
    expect(sign!.args[0].input).toMatchObject({ KeyId: arn("key-1"), MessageType: "RAW" });
  });

  it("an aborted signal rejects with its reason and sends nothing", async () => {
    const { kms, provider } = mockedKms();
    const controller = new AbortController();
    controller.abort(new Error("gave up"));
    await expect(provider.getKey("k1", undefined, { signal: controller.signal })).rejects.toThrow("gave up");
    expect(kms.calls()).toHaveLength(0);
  });

  it("maps a failed Sign and checks the key again next time", async () => {
    const { kms, provider } = mockedKms();
    await provider.getKey("k1");
    kms
      .on(SignCommand)
      .rejectsOnce(new DisabledException({ message: "disabled", $metadata: { requestId: "r1" } }));
    const error = await provider.sign("k1", new Uint8Array([1])).catch((e: unknown) => e);
    expect(KeyUnavailableError.isInstance(error) && error.reason).toBe("disabled");
    const describes = kms.commandCalls(DescribeKeyCommand).length;
    kms
      .on(DescribeKeyCommand)
      .resolves({ KeyMetadata: metadata("key-1", { KeyState: "Disabled", Enabled: false }) });
    await expect(provider.getKey("k1")).rejects.toSatisfy(
      (e) => KeyUnavailableError.isInstance(e) && e.reason === "disabled",
    );
    expect(kms.commandCalls(DescribeKeyCommand).length).toBe(describes + 1);
  });

  it("throttling surfaces as a retryable ProviderUnavailableError with the request id", async () => {
    const { kms, provider } = mockedKms();
    kms.on(ListAliasesCommand).rejects(throttled());
    const error = await provider.listKeys().catch((e: unknown) => e);
    expect(ProviderUnavailableError.isInstance(error) && error.retryable).toBe(true);
    expect((error as Error).message).toContain("req-throttled");
  });

  it("keys under other prefixes and AWS aliases are not listed", async () => {
    const { provider } = mockedKms();
    expect(await provider.listKeys()).toEqual(["k1"]);
    expect(await provider.listVersions("k1")).toEqual([1]);
  });
});

describe("claiming version numbers (the retries)", () => {
  it("a taken number: the key is re-tagged above the highest alias and claimed again", async () => {
    const { kms, provider } = mockedKms();
    kms.on(ListResourceTagsCommand, { KeyId: "new-1" }).resolves({ Tags: tags("k1", 3) });
    kms.on(CreateAliasCommand).rejectsOnce(taken()).resolves({});
    const ref = await provider.rotateKey("k1");
    expect(ref.version).toBe(3);
    expect(inputs(kms, CreateAliasCommand).map((i) => i.AliasName)).toEqual([
      "alias/keyprovider/k1/v2",
      "alias/keyprovider/k1/v3",
    ]);
    expect(inputs(kms, TagResourceCommand)).toEqual([
      { KeyId: "new-1", Tags: [{ TagKey: "keyprovider:version", TagValue: "3" }] },
    ]);
    expect(inputs(kms, UpdateAliasCommand)).toEqual([
      { AliasName: "alias/keyprovider/k1", TargetKeyId: "new-1" },
    ]);
    expect(kms.commandCalls(ScheduleKeyDeletionCommand)).toHaveLength(0);
  });

  it("gives up after 8 attempts, rolls back, and schedules the key's deletion after 7 days", async () => {
    const { kms, provider } = mockedKms();
    kms.on(CreateAliasCommand).rejects(taken());
    const error = await provider.rotateKey("k1").catch((e: unknown) => e);
    expect(ProviderUnavailableError.isInstance(error) && error.retryable).toBe(true);
    expect(kms.commandCalls(CreateAliasCommand)).toHaveLength(8);
    expect(inputs(kms, ScheduleKeyDeletionCommand)).toEqual([{ KeyId: "new-1", PendingWindowInDays: 7 }]);
    expect(kms.commandCalls(UpdateAliasCommand)).toHaveLength(0);
  });

  it("a new kid whose version 1 is taken is not renumbered: a fresh kid is tried", async () => {
    const { kms, provider } = mockedKms();
    kms.on(CreateAliasCommand).rejectsOnce(taken()).resolves({});
    const ref = await provider.createKey({ alg: "ES256" });
    expect(ref.version).toBe(1);
    expect(kms.commandCalls(CreateKeyCommand)).toHaveLength(2);
    expect(inputs(kms, ScheduleKeyDeletionCommand)).toEqual([{ KeyId: "new-1", PendingWindowInDays: 7 }]);
    const [first, , third] = inputs(kms, CreateAliasCommand).map((i) => i.AliasName!);
    expect(first!.split("/")[2]).not.toBe(third!.split("/")[2]);
  });

  it("a destroyed highest version leaves its number on the next key down, and it is never issued again", async () => {
    const { kms, provider, client } = mockedKms();
    kms.on(ListAliasesCommand).resolves({
      Aliases: [
        { AliasName: "alias/keyprovider/k1", TargetKeyId: "key-1" },
        { AliasName: "alias/keyprovider/k1/v1", TargetKeyId: "key-1" },
        { AliasName: "alias/keyprovider/k1/v2", TargetKeyId: "key-2" },
      ],
    });
    kms.on(ListResourceTagsCommand, { KeyId: "key-2" }).resolves({ Tags: tags("k1", 2) });
    expect(await provider.destroyKey("k1", 2)).toBe(true);
    expect(inputs(kms, TagResourceCommand)).toEqual([
      { KeyId: "key-1", Tags: [{ TagKey: "keyprovider:issued", TagValue: "2" }] },
    ]);
    expect(inputs(kms, ScheduleKeyDeletionCommand)).toEqual([{ KeyId: "key-2", PendingWindowInDays: 30 }]);
    expect(inputs(kms, DeleteAliasCommand)).toEqual([{ AliasName: "alias/keyprovider/k1/v2" }]);
    // Another process rotates: it reads the mark on version 1's key and skips 2.
    kms.on(ListAliasesCommand).resolves({
      Aliases: [
        { AliasName: "alias/keyprovider/k1", TargetKeyId: "key-1" },
        { AliasName: "alias/keyprovider/k1/v1", TargetKeyId: "key-1" },
      ],
    });
    kms.on(ListResourceTagsCommand, { KeyId: "key-1" }).resolves({
      Tags: [...tags("k1", 1), { TagKey: "keyprovider:issued", TagValue: "2" }],
    });
    const other = new AwsKmsKeyProvider({ region: REGION, client });
    expect((await other.rotateKey("k1")).version).toBe(3);
  });

  it("when the clean-up fails too, the original error is thrown and a warning names the key", async () => {
    const { kms, provider } = mockedKms();
    kms.on(CreateAliasCommand).rejects(throttled());
    kms.on(ListAliasesCommand).rejects(throttled());
    kms.on(ScheduleKeyDeletionCommand).rejects(throttled());
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const error = await provider.createKey({ alg: "ES256" }).catch((e: unknown) => e);
      expect(ProviderUnavailableError.isInstance(error)).toBe(true);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.map((w) => (w as Error & { code?: string }).code)).toContain("KEYPROVIDER_KMS_ORPHAN");
    expect(warnings.find((w) => w.message.includes("new-1"))).toBeDefined();
  });
});
