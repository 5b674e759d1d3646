import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DryRunOperationException,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateRandomCommand,
  GetPublicKeyCommand,
  IncorrectKeyException,
  InvalidCiphertextException,
  type EncryptionAlgorithmSpec,
} from "@aws-sdk/client-kms";
import { constants, createPublicKey, publicEncrypt } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { rejection, useKms } from "./kms.js";

const ctx = useKms();
const plaintext = Buffer.from("attack at dawn");
const context = { purpose: "test", tenant: "acme" };

let symmetric: { keyId: string; arn: string };
let other: string;
let rsa: string;
let signing: string;

beforeAll(async () => {
  const [a, b, c, d] = await Promise.all([
    ctx.client.send(new CreateKeyCommand({})),
    ctx.client.send(new CreateKeyCommand({})),
    ctx.client.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" })),
    ctx.client.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" })),
  ]);
  symmetric = { keyId: a.KeyMetadata!.KeyId!, arn: a.KeyMetadata!.Arn! };
  other = b.KeyMetadata!.KeyId!;
  rsa = c.KeyMetadata!.KeyId!;
  signing = d.KeyMetadata!.KeyId!;
  await ctx.client.send(new CreateAliasCommand({ AliasName: "alias/data", TargetKeyId: symmetric.keyId }));
});

const encrypt = (KeyId: string, Plaintext: Uint8Array, EncryptionContext?: Record<string, string>) =>
  ctx.client.send(
    new EncryptCommand({ KeyId, Plaintext, ...(EncryptionContext ? { EncryptionContext } : {}) }),
  );

describe("SYMMETRIC_DEFAULT", () => {
  it("encrypts and decrypts with an encryption context; the blob names its key", async () => {
    const sealed = await encrypt("alias/data", plaintext, context);
    expect(sealed).toMatchObject({ KeyId: symmetric.arn, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" });
    expect(Buffer.from(sealed.CiphertextBlob!).includes(plaintext)).toBe(false);
    const opened = await ctx.client.send(
      new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: context }),
    );
    expect(opened).toMatchObject({ KeyId: symmetric.arn, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" });
    expect(Buffer.from(opened.Plaintext!).equals(plaintext)).toBe(true);
    for (const KeyId of [symmetric.keyId, symmetric.arn, "alias/data"]) {
      const named = await ctx.client.send(
        new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: context, KeyId }),
      );
      expect(Buffer.from(named.Plaintext!).equals(plaintext)).toBe(true);
    }
  });

  it("matches the encryption context as a map: entry order does not matter", async () => {
    const sealed = await encrypt(symmetric.keyId, plaintext, context);
    const reordered = { tenant: "acme", purpose: "test" };
    const opened = await ctx.client.send(
      new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, EncryptionContext: reordered }),
    );
    expect(Buffer.from(opened.Plaintext!).equals(plaintext)).toBe(true);
  });

  it("answers InvalidCiphertextException for another, a partial or a missing context, and for a tampered blob", async () => {
    const sealed = await encrypt(symmetric.keyId, plaintext, context);
    for (const EncryptionContext of [{ purpose: "other", tenant: "acme" }, { purpose: "test" }, undefined]) {
      const error = await rejection(
        ctx.client.send(
          new DecryptCommand({
            CiphertextBlob: sealed.CiphertextBlob,
            ...(EncryptionContext ? { EncryptionContext } : {}),
          }),
        ),
      );
      expect(error).toBeInstanceOf(InvalidCiphertextException);
      expect(error.$fault).toBe("client");
    }
    const tampered = Buffer.from(sealed.CiphertextBlob!);
    tampered[tampered.length - 20]! ^= 1;
    expect(
      (
        await rejection(
          ctx.client.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: context })),
        )
      ).name,
    ).toBe("InvalidCiphertextException");
    expect(
      (await rejection(ctx.client.send(new DecryptCommand({ CiphertextBlob: Buffer.from("junk") })))).name,
    ).toBe("InvalidCiphertextException");
  });

  it("answers IncorrectKeyException when the KeyId is not the key that encrypted", async () => {
    const sealed = await encrypt(symmetric.keyId, plaintext);
    const error = await rejection(
      ctx.client.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, KeyId: other })),
    );
    expect(error).toBeInstanceOf(IncorrectKeyException);
  });

  it("takes plaintexts of 1 to 4096 bytes", async () => {
    await expect(encrypt(symmetric.keyId, Buffer.alloc(4096, 1))).resolves.toBeDefined();
    expect((await rejection(encrypt(symmetric.keyId, Buffer.alloc(4097, 1)))).name).toBe(
      "ValidationException",
    );
  });

  it("refuses keys that are not for encryption, with InvalidKeyUsageException", async () => {
    expect((await rejection(encrypt(signing, plaintext))).name).toBe("InvalidKeyUsageException");
    const rsaDefault = await rejection(encrypt(rsa, plaintext));
    expect(rsaDefault.name).toBe("InvalidKeyUsageException");
    expect(rsaDefault.message).toBe("Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.");
  });

  it("answers DryRunOperationException to a DryRun that would succeed", async () => {
    const error = await rejection(
      ctx.client.send(new EncryptCommand({ KeyId: symmetric.keyId, Plaintext: plaintext, DryRun: true })),
    );
    expect(error).toBeInstanceOf(DryRunOperationException);
  });
});

describe("RSAES_OAEP", () => {
  it.each(["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] as EncryptionAlgorithmSpec[])(
    "%s round-trips; Decrypt needs the KeyId and algorithm",
    async (EncryptionAlgorithm) => {
      const sealed = await ctx.client.send(
        new EncryptCommand({ KeyId: rsa, Plaintext: plaintext, EncryptionAlgorithm }),
      );
      expect(sealed.EncryptionAlgorithm).toBe(EncryptionAlgorithm);
      expect(sealed.CiphertextBlob!.length).toBe(256); // a raw RSA-OAEP ciphertext, as KMS returns
      const opened = await ctx.client.send(
        new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob, KeyId: rsa, EncryptionAlgorithm }),
      );
      expect(Buffer.from(opened.Plaintext!).equals(plaintext)).toBe(true);
      expect(opened.EncryptionAlgorithm).toBe(EncryptionAlgorithm);
      expect(
        (await rejection(ctx.client.send(new DecryptCommand({ CiphertextBlob: sealed.CiphertextBlob }))))
          .name,
      ).toBe("InvalidCiphertextException");
    },
  );

  it("decrypts what was encrypted locally with the public key", async () => {
    const { PublicKey } = await ctx.client.send(new GetPublicKeyCommand({ KeyId: rsa }));
    const publicKey = createPublicKey({ key: Buffer.from(PublicKey!), format: "der", type: "spki" });
    const local = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      plaintext,
    );
    const opened = await ctx.client.send(
      new DecryptCommand({ CiphertextBlob: local, KeyId: rsa, EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }),
    );
    expect(Buffer.from(opened.Plaintext!).equals(plaintext)).toBe(true);
    const wrongHash = await rejection(
      ctx.client.send(
        new DecryptCommand({ CiphertextBlob: local, KeyId: rsa, EncryptionAlgorithm: "RSAES_OAEP_SHA_1" }),
      ),
    );
    expect(wrongHash.name).toBe("InvalidCiphertextException");
  });

  it("limits the plaintext to what OAEP fits in the modulus (190 bytes for RSA_2048 with SHA-256)", async () => {
    const send = (size: number) =>
      ctx.client.send(
        new EncryptCommand({
          KeyId: rsa,
          Plaintext: Buffer.alloc(size, 1),
          EncryptionAlgorithm: "RSAES_OAEP_SHA_256",
        }),
      );
    await expect(send(190)).resolves.toBeDefined();
    expect((await rejection(send(191))).name).toBe("ValidationException");
  });
});

describe("GenerateDataKey", () => {
  it.each([
    [{ KeySpec: "AES_256" as const }, 32],
    [{ KeySpec: "AES_128" as const }, 16],
    [{ NumberOfBytes: 64 }, 64],
  ])("%o returns %i plaintext bytes and a blob Decrypt opens with the same context", async (size, bytes) => {
    const key = await ctx.client.send(
      new GenerateDataKeyCommand({ KeyId: "alias/data", EncryptionContext: context, ...size }),
    );
    expect(key.KeyId).toBe(symmetric.arn);
    expect(key.Plaintext!.length).toBe(bytes);
    const opened = await ctx.client.send(
      new DecryptCommand({ CiphertextBlob: key.CiphertextBlob, EncryptionContext: context }),
    );
    expect(Buffer.from(opened.Plaintext!).equals(Buffer.from(key.Plaintext!))).toBe(true);
    expect(
      (await rejection(ctx.client.send(new DecryptCommand({ CiphertextBlob: key.CiphertextBlob })))).name,
    ).toBe("InvalidCiphertextException");
  });

  it("needs exactly one of KeySpec and NumberOfBytes, and a symmetric encryption key", async () => {
    for (const size of [{}, { KeySpec: "AES_256" as const, NumberOfBytes: 32 }, { NumberOfBytes: 1025 }]) {
      const error = await rejection(
        ctx.client.send(new GenerateDataKeyCommand({ KeyId: symmetric.keyId, ...size })),
      );
      expect(error.name).toBe("ValidationException");
    }
    const error = await rejection(
      ctx.client.send(new GenerateDataKeyCommand({ KeyId: rsa, KeySpec: "AES_256" })),
    );
    expect(error.name).toBe("InvalidKeyUsageException");
  });
});

describe("GenerateRandom", () => {
  it("returns 1 to 1024 random bytes", async () => {
    const one = await ctx.client.send(new GenerateRandomCommand({ NumberOfBytes: 1 }));
    expect(one.Plaintext!.length).toBe(1);
    const [a, b] = await Promise.all([
      ctx.client.send(new GenerateRandomCommand({ NumberOfBytes: 1024 })),
      ctx.client.send(new GenerateRandomCommand({ NumberOfBytes: 1024 })),
    ]);
    expect(a.Plaintext!.length).toBe(1024);
    expect(Buffer.from(a.Plaintext!).equals(Buffer.from(b.Plaintext!))).toBe(false);
    for (const NumberOfBytes of [0, 1025]) {
      const error = await rejection(ctx.client.send(new GenerateRandomCommand({ NumberOfBytes })));
      expect(error.name).toBe("ValidationException");
    }
  });
});
