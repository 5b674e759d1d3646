import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  GetPublicKeyCommand,
  KMSInvalidStateException,
  ListKeysCommand,
  NotFoundException,
  ScheduleKeyDeletionCommand,
  SignCommand,
  CreateAliasCommand,
  DisabledException,
  type KeySpec,
  type KeyUsageType,
} from "@aws-sdk/client-kms";
import { createPublicKey } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { rejection, useKms } from "./kms.js";

const ctx = useKms();

const SPECS: [KeySpec, KeyUsageType, Record<string, string[]>][] = [
  ["SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", { EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"] }],
  ["RSA_2048", "ENCRYPT_DECRYPT", { EncryptionAlgorithms: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] }],
  [
    "RSA_3072",
    "SIGN_VERIFY",
    {
      SigningAlgorithms: [
        "RSASSA_PKCS1_V1_5_SHA_256",
        "RSASSA_PKCS1_V1_5_SHA_384",
        "RSASSA_PKCS1_V1_5_SHA_512",
        "RSASSA_PSS_SHA_256",
        "RSASSA_PSS_SHA_384",
        "RSASSA_PSS_SHA_512",
      ],
    },
  ],
  ["RSA_4096", "ENCRYPT_DECRYPT", { EncryptionAlgorithms: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] }],
  ["ECC_NIST_P256", "SIGN_VERIFY", { SigningAlgorithms: ["ECDSA_SHA_256"] }],
  ["ECC_NIST_P384", "SIGN_VERIFY", { SigningAlgorithms: ["ECDSA_SHA_384"] }],
  ["ECC_NIST_P521", "SIGN_VERIFY", { SigningAlgorithms: ["ECDSA_SHA_512"] }],
  ["ECC_NIST_EDWARDS25519", "SIGN_VERIFY", { SigningAlgorithms: ["ED25519_SHA_512", "ED25519_PH_SHA_512"] }],
  ["HMAC_224", "GENERATE_VERIFY_MAC", { MacAlgorithms: ["HMAC_SHA_224"] }],
  ["HMAC_256", "GENERATE_VERIFY_MAC", { MacAlgorithms: ["HMAC_SHA_256"] }],
  ["HMAC_384", "GENERATE_VERIFY_MAC", { MacAlgorithms: ["HMAC_SHA_384"] }],
  ["HMAC_512", "GENERATE_VERIFY_MAC", { MacAlgorithms: ["HMAC_SHA_512"] }],
];

/** What node:crypto reports for the public key of each asymmetric spec. */
const PUBLIC_KEYS: Partial<Record<KeySpec, { type: string; detail?: object }>> = {
  RSA_2048: { type: "rsa", detail: { modulusLength: 2048 } },
  RSA_3072: { type: "rsa", detail: { modulusLength: 3072 } },
  RSA_4096: { type: "rsa", detail: { modulusLength: 4096 } },
  ECC_NIST_P256: { type: "ec", detail: { namedCurve: "prime256v1" } },
  ECC_NIST_P384: { type: "ec", detail: { namedCurve: "secp384r1" } },
  ECC_NIST_P521: { type: "ec", detail: { namedCurve: "secp521r1" } },
  ECC_NIST_EDWARDS25519: { type: "ed25519" },
};

describe("CreateKey, DescribeKey, GetPublicKey for every key spec", () => {
  const created = new Map<KeySpec, string>();
  beforeAll(async () => {
    // Concurrently: RSA generation runs on libuv's pool, so the whole set takes about as long as RSA_4096.
    await Promise.all(
      SPECS.map(async ([KeySpec, KeyUsage]) => {
        const { KeyMetadata } = await ctx.client.send(
          new CreateKeyCommand({ KeySpec, KeyUsage, Description: `a ${KeySpec} key` }),
        );
        created.set(KeySpec, KeyMetadata!.KeyId!);
      }),
    );
  });

  it.each(SPECS)("%s / %s", async (spec, usage, algorithms) => {
    const keyId = created.get(spec)!;
    const { KeyMetadata } = await ctx.client.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(KeyMetadata).toEqual({
      AWSAccountId: "000000000000",
      KeyId: keyId,
      Arn: `arn:aws:kms:us-east-1:000000000000:key/${keyId}`,
      CreationDate: expect.any(Date),
      Enabled: true,
      Description: `a ${spec} key`,
      KeyUsage: usage,
      KeyState: "Enabled",
      Origin: "AWS_KMS",
      KeyManager: "CUSTOMER",
      CustomerMasterKeySpec: spec,
      KeySpec: spec,
      MultiRegion: false,
      ...algorithms,
    });
    expect(keyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const expected = PUBLIC_KEYS[spec];
    if (expected === undefined) {
      const error = await rejection(ctx.client.send(new GetPublicKeyCommand({ KeyId: keyId })));
      expect(error.name).toBe("UnsupportedOperationException");
      return;
    }
    const answer = await ctx.client.send(new GetPublicKeyCommand({ KeyId: keyId }));
    expect(answer).toMatchObject({ KeyId: KeyMetadata!.Arn, KeySpec: spec, KeyUsage: usage, ...algorithms });
    const publicKey = createPublicKey({ key: Buffer.from(answer.PublicKey!), format: "der", type: "spki" });
    expect(publicKey.asymmetricKeyType).toBe(expected.type);
    if (expected.detail !== undefined) expect(publicKey.asymmetricKeyDetails).toMatchObject(expected.detail);
  });

  it("defaults to a SYMMETRIC_DEFAULT ENCRYPT_DECRYPT key and takes the deprecated CustomerMasterKeySpec", async () => {
    const plain = await ctx.client.send(new CreateKeyCommand({}));
    expect(plain.KeyMetadata).toMatchObject({
      KeySpec: "SYMMETRIC_DEFAULT",
      KeyUsage: "ENCRYPT_DECRYPT",
      Description: "",
    });
    const legacy = await ctx.client.send(
      new CreateKeyCommand({ CustomerMasterKeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" }),
    );
    expect(legacy.KeyMetadata).toMatchObject({ KeySpec: "HMAC_256", CustomerMasterKeySpec: "HMAC_256" });
  });

  it.each([
    ["SYMMETRIC_DEFAULT", "SIGN_VERIFY"],
    ["RSA_2048", "GENERATE_VERIFY_MAC"],
    ["ECC_NIST_P256", "ENCRYPT_DECRYPT"],
    ["ECC_NIST_EDWARDS25519", "ENCRYPT_DECRYPT"],
    ["HMAC_256", "ENCRYPT_DECRYPT"],
  ] as [KeySpec, KeyUsageType][])("refuses %s with %s (ValidationException)", async (KeySpec, KeyUsage) => {
    const error = await rejection(ctx.client.send(new CreateKeyCommand({ KeySpec, KeyUsage })));
    expect(error.name).toBe("ValidationException");
    expect(error.$fault).toBe("client");
  });

  it("refuses an HMAC key spec without an explicit usage, a malformed spec, and an unsupported one", async () => {
    expect((await rejection(ctx.client.send(new CreateKeyCommand({ KeySpec: "HMAC_512" })))).name).toBe(
      "ValidationException",
    );
    const malformed = await rejection(
      ctx.client.send(new CreateKeyCommand({ KeySpec: "RSA_1024" as KeySpec })),
    );
    expect(malformed.name).toBe("ValidationException");
    expect(malformed.message).toContain("enum value set");
    const unsupported = await rejection(
      ctx.client.send(new CreateKeyCommand({ KeySpec: "ML_DSA_65", KeyUsage: "SIGN_VERIFY" })),
    );
    expect(unsupported.name).toBe("UnsupportedOperationException");
  });

  it("stores a policy and refuses one that is not a JSON document", async () => {
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [] });
    await expect(ctx.client.send(new CreateKeyCommand({ Policy: policy }))).resolves.toBeDefined();
    const error = await rejection(ctx.client.send(new CreateKeyCommand({ Policy: "not json" })));
    expect(error.name).toBe("MalformedPolicyDocumentException");
  });
});

describe("key lookups", () => {
  let keyId: string;
  let arn: string;
  beforeAll(async () => {
    const { KeyMetadata } = await ctx.client.send(new CreateKeyCommand({}));
    keyId = KeyMetadata!.KeyId!;
    arn = KeyMetadata!.Arn!;
    await ctx.client.send(new CreateAliasCommand({ AliasName: "alias/lookup", TargetKeyId: keyId }));
  });

  it("accepts a key id, key ARN, alias name and alias ARN where KMS does", async () => {
    for (const KeyId of [keyId, arn, "alias/lookup", "arn:aws:kms:us-east-1:000000000000:alias/lookup"]) {
      const { KeyMetadata } = await ctx.client.send(new DescribeKeyCommand({ KeyId }));
      expect(KeyMetadata!.KeyId).toBe(keyId);
    }
  });

  it("answers NotFoundException for unknown keys and aliases, malformed ids and other accounts or regions", async () => {
    for (const KeyId of [
      "00000000-0000-4000-8000-000000000000",
      "not-a-key",
      "alias/nope",
      `arn:aws:kms:us-east-1:111122223333:key/${keyId}`,
      `arn:aws:kms:eu-west-1:000000000000:key/${keyId}`,
      "arn:aws:kms:us-east-1:000000000000:alias/nope",
    ]) {
      const error = await rejection(ctx.client.send(new DescribeKeyCommand({ KeyId })));
      expect(error).toBeInstanceOf(NotFoundException);
      expect(error.$fault).toBe("client");
    }
  });

  it("refuses an alias where KMS takes only a key id or ARN", async () => {
    const error = await rejection(ctx.client.send(new DisableKeyCommand({ KeyId: "alias/lookup" })));
    expect(error.name).toBe("NotFoundException");
  });

  it("pages ListKeys with Limit and Marker", async () => {
    const seen: string[] = [];
    let Marker: string | undefined;
    let pages = 0;
    do {
      const answer = await ctx.client.send(
        new ListKeysCommand({ Limit: 3, ...(Marker === undefined ? {} : { Marker }) }),
      );
      expect(answer.Keys!.length).toBeLessThanOrEqual(3);
      for (const key of answer.Keys!) {
        expect(key.KeyArn).toBe(`arn:aws:kms:us-east-1:000000000000:key/${key.KeyId}`);
        seen.push(key.KeyId!);
      }
      expect(answer.Truncated).toBe(answer.NextMarker !== undefined);
      Marker = answer.NextMarker;
      pages++;
    } while (Marker !== undefined);
    expect(seen).toEqual(ctx.kms.keys().map((key) => key.keyId));
    expect(pages).toBe(Math.ceil(seen.length / 3));
    expect((await ctx.client.send(new ListKeysCommand({}))).Keys!.length).toBe(Math.min(seen.length, 100));
    expect((await rejection(ctx.client.send(new ListKeysCommand({ Limit: 1001 })))).name).toBe(
      "ValidationException",
    );
    expect((await rejection(ctx.client.send(new ListKeysCommand({ Marker: "bogus" })))).name).toBe(
      "InvalidMarkerException",
    );
  });
});

describe("key states", () => {
  async function signingKey(): Promise<string> {
    const { KeyMetadata } = await ctx.client.send(
      new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }),
    );
    return KeyMetadata!.KeyId!;
  }
  const sign = (KeyId: string) =>
    ctx.client.send(new SignCommand({ KeyId, Message: Buffer.from("m"), SigningAlgorithm: "ECDSA_SHA_256" }));

  it("DisableKey makes cryptographic operations answer DisabledException until EnableKey", async () => {
    const keyId = await signingKey();
    await ctx.client.send(new DisableKeyCommand({ KeyId: keyId }));
    const { KeyMetadata } = await ctx.client.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(KeyMetadata).toMatchObject({ KeyState: "Disabled", Enabled: false });
    expect(await rejection(sign(keyId))).toBeInstanceOf(DisabledException);
    expect((await rejection(ctx.client.send(new GetPublicKeyCommand({ KeyId: keyId })))).name).toBe(
      "DisabledException",
    );
    await ctx.client.send(new EnableKeyCommand({ KeyId: keyId }));
    await expect(sign(keyId)).resolves.toMatchObject({ SigningAlgorithm: "ECDSA_SHA_256" });
  });

  it("ScheduleKeyDeletion sets PendingDeletion and a DeletionDate; CancelKeyDeletion leaves the key Disabled", async () => {
    const keyId = await signingKey();
    const scheduled = await ctx.client.send(
      new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }),
    );
    expect(scheduled).toMatchObject({ KeyState: "PendingDeletion", PendingWindowInDays: 7 });
    expect(scheduled.KeyId).toMatch(/^arn:aws:kms:/);
    const { KeyMetadata } = await ctx.client.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(KeyMetadata).toMatchObject({ KeyState: "PendingDeletion", Enabled: false });
    expect(KeyMetadata!.DeletionDate!.getTime()).toBe(scheduled.DeletionDate!.getTime());
    expect(KeyMetadata!.DeletionDate!.getTime() - KeyMetadata!.CreationDate!.getTime()).toBeGreaterThan(
      6.9 * 86_400_000,
    );
    expect(ctx.kms.keys().find((key) => key.keyId === keyId)).toMatchObject({
      state: "PendingDeletion",
      keySpec: "ECC_NIST_P256",
    });

    for (const attempt of [
      sign(keyId),
      ctx.client.send(new GetPublicKeyCommand({ KeyId: keyId })),
      ctx.client.send(new DisableKeyCommand({ KeyId: keyId })),
      ctx.client.send(new EnableKeyCommand({ KeyId: keyId })),
      ctx.client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId })),
      ctx.client.send(new CreateAliasCommand({ AliasName: "alias/doomed", TargetKeyId: keyId })),
    ]) {
      expect(await rejection(attempt)).toBeInstanceOf(KMSInvalidStateException);
    }

    const cancelled = await ctx.client.send(new CancelKeyDeletionCommand({ KeyId: keyId }));
    expect(cancelled.KeyId).toBe(KeyMetadata!.Arn);
    const after = await ctx.client.send(new DescribeKeyCommand({ KeyId: keyId }));
    expect(after.KeyMetadata).toMatchObject({ KeyState: "Disabled", Enabled: false });
    expect(after.KeyMetadata!.DeletionDate).toBeUndefined();
    expect((await rejection(ctx.client.send(new CancelKeyDeletionCommand({ KeyId: keyId })))).name).toBe(
      "KMSInvalidStateException",
    );
  });

  it("defaults the pending window to 30 days and keeps it within 7..30", async () => {
    const keyId = await signingKey();
    for (const PendingWindowInDays of [6, 31]) {
      const error = await rejection(
        ctx.client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays })),
      );
      expect(error.name).toBe("ValidationException");
    }
    const scheduled = await ctx.client.send(new ScheduleKeyDeletionCommand({ KeyId: keyId }));
    expect(scheduled.PendingWindowInDays).toBe(30);
  });
});
