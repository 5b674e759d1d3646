import {
  CreateKeyCommand,
  GenerateMacCommand,
  GetPublicKeyCommand,
  InvalidKeyUsageException,
  KMSInvalidMacException,
  KMSInvalidSignatureException,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
  type KeySpec,
  type MacAlgorithmSpec,
  type SigningAlgorithmSpec,
} from "@aws-sdk/client-kms";
import { ed25519ph } from "@noble/curves/ed25519.js";
import { constants, createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { rejection, useKms } from "./kms.js";

const ctx = useKms();
const message = Buffer.from("the quick brown fox jumps over the lazy dog");

type Hash = "sha256" | "sha384" | "sha512";
const CASES: [SigningAlgorithmSpec, KeySpec, Hash][] = [
  ["RSASSA_PSS_SHA_256", "RSA_2048", "sha256"],
  ["RSASSA_PSS_SHA_384", "RSA_2048", "sha384"],
  ["RSASSA_PSS_SHA_512", "RSA_2048", "sha512"],
  ["RSASSA_PKCS1_V1_5_SHA_256", "RSA_2048", "sha256"],
  ["RSASSA_PKCS1_V1_5_SHA_384", "RSA_2048", "sha384"],
  ["RSASSA_PKCS1_V1_5_SHA_512", "RSA_2048", "sha512"],
  ["ECDSA_SHA_256", "ECC_NIST_P256", "sha256"],
  ["ECDSA_SHA_384", "ECC_NIST_P384", "sha384"],
  ["ECDSA_SHA_512", "ECC_NIST_P521", "sha512"],
];

const HASH_BYTES: Record<Hash, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** Verify a KMS signature with node:crypto alone: PSS with salt = hash length, ECDSA in DER. */
function checkLocally(
  algorithm: string,
  hash: Hash,
  publicKey: KeyObject,
  data: Buffer,
  signature: Uint8Array,
): boolean {
  if (algorithm.startsWith("RSASSA_PSS")) {
    return verify(
      hash,
      data,
      { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[hash] },
      signature,
    );
  }
  return verify(hash, data, { key: publicKey, dsaEncoding: "der" }, signature);
}

const keys = new Map<KeySpec, { keyId: string; publicKey: KeyObject }>();
async function createSigningKey(KeySpec: KeySpec) {
  const { KeyMetadata } = await ctx.client.send(new CreateKeyCommand({ KeySpec, KeyUsage: "SIGN_VERIFY" }));
  const { PublicKey } = await ctx.client.send(new GetPublicKeyCommand({ KeyId: KeyMetadata!.KeyId }));
  keys.set(KeySpec, {
    keyId: KeyMetadata!.KeyId!,
    publicKey: createPublicKey({ key: Buffer.from(PublicKey!), format: "der", type: "spki" }),
  });
}

beforeAll(async () => {
  await Promise.all(
    (["RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_NIST_EDWARDS25519"] as const).map(
      createSigningKey,
    ),
  );
});

describe.each(CASES)("%s on %s", (algorithm, spec, hash) => {
  const sendSign = (Message: Buffer, MessageType: "RAW" | "DIGEST") =>
    ctx.client.send(
      new SignCommand({ KeyId: keys.get(spec)!.keyId, Message, MessageType, SigningAlgorithm: algorithm }),
    );
  const sendVerify = (Message: Buffer, Signature: Uint8Array, MessageType: "RAW" | "DIGEST") =>
    ctx.client.send(
      new VerifyCommand({
        KeyId: keys.get(spec)!.keyId,
        Message,
        Signature,
        MessageType,
        SigningAlgorithm: algorithm,
      }),
    );

  it("signs a RAW message so that node:crypto verifies it", async () => {
    const { publicKey, keyId } = keys.get(spec)!;
    const answer = await sendSign(message, "RAW");
    expect(answer.SigningAlgorithm).toBe(algorithm);
    expect(answer.KeyId).toBe(`arn:aws:kms:us-east-1:000000000000:key/${keyId}`);
    expect(checkLocally(algorithm, hash, publicKey, message, answer.Signature!)).toBe(true);
    if (algorithm.startsWith("ECDSA")) expect(answer.Signature![0]).toBe(0x30); // DER SEQUENCE, as KMS returns
    if (algorithm.startsWith("RSASSA_PSS")) {
      // The salt is exactly the hash length: a verifier that insists on another length refuses.
      const strict = {
        key: publicKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: HASH_BYTES[hash] - 1,
      };
      expect(verify(hash, message, strict, answer.Signature!)).toBe(false);
    }
  });

  it("signs a DIGEST as the same scheme over the message it hashes", async () => {
    const digest = createHash(hash).update(message).digest();
    const answer = await sendSign(digest, "DIGEST");
    expect(checkLocally(algorithm, hash, keys.get(spec)!.publicKey, message, answer.Signature!)).toBe(true);
    // A RAW signature over the digest is a signature over the digest's own hash: a different message.
    const raw = await sendSign(digest, "RAW");
    expect(checkLocally(algorithm, hash, keys.get(spec)!.publicKey, message, raw.Signature!)).toBe(false);
  });

  it("checks the DIGEST length against the algorithm", async () => {
    const error = await rejection(sendSign(Buffer.alloc(HASH_BYTES[hash] + 1), "DIGEST"));
    expect(error.name).toBe("ValidationException");
  });

  it("verifies its own and locally made signatures, RAW and DIGEST", async () => {
    const own = await sendSign(message, "RAW");
    await expect(sendVerify(message, own.Signature!, "RAW")).resolves.toMatchObject({
      SignatureValid: true,
      SigningAlgorithm: algorithm,
    });
    const digest = createHash(hash).update(message).digest();
    await expect(sendVerify(digest, own.Signature!, "DIGEST")).resolves.toMatchObject({
      SignatureValid: true,
    });
  });

  it("answers KMSInvalidSignatureException for a wrong message or a mangled signature", async () => {
    const { Signature } = await sendSign(message, "RAW");
    const wrong = await rejection(sendVerify(Buffer.from("another message"), Signature!, "RAW"));
    expect(wrong).toBeInstanceOf(KMSInvalidSignatureException);
    expect(wrong.$fault).toBe("client");
    const mangled = Buffer.from(Signature!);
    mangled[mangled.length - 1]! ^= 1;
    expect((await rejection(sendVerify(message, mangled, "RAW"))).name).toBe("KMSInvalidSignatureException");
  });
});

describe("Ed25519", () => {
  const keyId = () => keys.get("ECC_NIST_EDWARDS25519")!.keyId;
  const rawPublicKey = () =>
    Buffer.from(keys.get("ECC_NIST_EDWARDS25519")!.publicKey.export({ format: "jwk" }).x!, "base64url");

  it("ED25519_SHA_512 signs RAW messages as pure Ed25519 (RFC 8032), 64 bytes", async () => {
    const { Signature } = await ctx.client.send(
      new SignCommand({
        KeyId: keyId(),
        Message: message,
        MessageType: "RAW",
        SigningAlgorithm: "ED25519_SHA_512",
      }),
    );
    expect(Signature!.length).toBe(64);
    expect(verify(null, message, keys.get("ECC_NIST_EDWARDS25519")!.publicKey, Signature!)).toBe(true);
    await expect(
      ctx.client.send(
        new VerifyCommand({
          KeyId: keyId(),
          Message: message,
          Signature,
          SigningAlgorithm: "ED25519_SHA_512",
        }),
      ),
    ).resolves.toMatchObject({ SignatureValid: true });
    const mangled = Buffer.from(Signature!);
    mangled[0]! ^= 1;
    const error = await rejection(
      ctx.client.send(
        new VerifyCommand({
          KeyId: keyId(),
          Message: message,
          Signature: mangled,
          SigningAlgorithm: "ED25519_SHA_512",
        }),
      ),
    );
    expect(error.name).toBe("KMSInvalidSignatureException");
  });

  it("ED25519_PH_SHA_512 signs a 64-byte SHA-512 DIGEST as Ed25519ph", async () => {
    const digest = createHash("sha512").update(message).digest();
    const { Signature } = await ctx.client.send(
      new SignCommand({
        KeyId: keyId(),
        Message: digest,
        MessageType: "DIGEST",
        SigningAlgorithm: "ED25519_PH_SHA_512",
      }),
    );
    expect(Signature!.length).toBe(64);
    // noble's Ed25519ph hashes the message itself: the same signature over the original message.
    expect(ed25519ph.verify(Signature!, message, rawPublicKey())).toBe(true);
    expect(verify(null, message, keys.get("ECC_NIST_EDWARDS25519")!.publicKey, Signature!)).toBe(false);
    await expect(
      ctx.client.send(
        new VerifyCommand({
          KeyId: keyId(),
          Message: digest,
          MessageType: "DIGEST",
          Signature,
          SigningAlgorithm: "ED25519_PH_SHA_512",
        }),
      ),
    ).resolves.toMatchObject({ SignatureValid: true });
  });

  it("refuses ED25519_SHA_512 with DIGEST and ED25519_PH_SHA_512 with RAW", async () => {
    const digest = createHash("sha512").update(message).digest();
    for (const [MessageType, SigningAlgorithm] of [
      ["DIGEST", "ED25519_SHA_512"],
      ["RAW", "ED25519_PH_SHA_512"],
    ] as const) {
      const error = await rejection(
        ctx.client.send(new SignCommand({ KeyId: keyId(), Message: digest, MessageType, SigningAlgorithm })),
      );
      expect(error.name).toBe("ValidationException");
    }
  });
});

describe("Sign refusals", () => {
  it("refuses an algorithm the key spec does not offer, and a key that is not for signing", async () => {
    const p256 = keys.get("ECC_NIST_P256")!.keyId;
    const wrongAlgorithm = await rejection(
      ctx.client.send(new SignCommand({ KeyId: p256, Message: message, SigningAlgorithm: "ECDSA_SHA_384" })),
    );
    expect(wrongAlgorithm).toBeInstanceOf(InvalidKeyUsageException);
    expect(wrongAlgorithm.message).toBe(
      "Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256.",
    );
    const { KeyMetadata } = await ctx.client.send(new CreateKeyCommand({}));
    const notForSigning = await rejection(
      ctx.client.send(
        new SignCommand({ KeyId: KeyMetadata!.KeyId, Message: message, SigningAlgorithm: "ECDSA_SHA_256" }),
      ),
    );
    expect(notForSigning.name).toBe("InvalidKeyUsageException");
  });

  it("takes RAW messages of 1 to 4096 bytes", async () => {
    const KeyId = keys.get("ECC_NIST_P256")!.keyId;
    const at = (size: number) =>
      ctx.client.send(
        new SignCommand({ KeyId, Message: Buffer.alloc(size, 7), SigningAlgorithm: "ECDSA_SHA_256" }),
      );
    await expect(at(4096)).resolves.toMatchObject({ SigningAlgorithm: "ECDSA_SHA_256" });
    expect((await rejection(at(4097))).name).toBe("ValidationException");
    expect((await rejection(at(0))).name).toBe("ValidationException");
  });
});

describe("GenerateMac and VerifyMac", () => {
  const MACS: [KeySpec, MacAlgorithmSpec, number][] = [
    ["HMAC_224", "HMAC_SHA_224", 28],
    ["HMAC_256", "HMAC_SHA_256", 32],
    ["HMAC_384", "HMAC_SHA_384", 48],
    ["HMAC_512", "HMAC_SHA_512", 64],
  ];

  it.each(MACS)(
    "%s makes deterministic %s MACs of %i bytes and checks them",
    async (KeySpec, MacAlgorithm, size) => {
      const { KeyMetadata } = await ctx.client.send(
        new CreateKeyCommand({ KeySpec, KeyUsage: "GENERATE_VERIFY_MAC" }),
      );
      const KeyId = KeyMetadata!.KeyId!;
      const first = await ctx.client.send(new GenerateMacCommand({ KeyId, Message: message, MacAlgorithm }));
      const second = await ctx.client.send(new GenerateMacCommand({ KeyId, Message: message, MacAlgorithm }));
      expect(first).toMatchObject({ KeyId: KeyMetadata!.Arn, MacAlgorithm });
      expect(first.Mac!.length).toBe(size);
      expect(Buffer.from(second.Mac!).equals(Buffer.from(first.Mac!))).toBe(true);

      await expect(
        ctx.client.send(new VerifyMacCommand({ KeyId, Message: message, Mac: first.Mac, MacAlgorithm })),
      ).resolves.toMatchObject({ MacValid: true, MacAlgorithm, KeyId: KeyMetadata!.Arn });
      const tampered = Buffer.from(first.Mac!);
      tampered[0]! ^= 0x80;
      const bad = await rejection(
        ctx.client.send(new VerifyMacCommand({ KeyId, Message: message, Mac: tampered, MacAlgorithm })),
      );
      expect(bad).toBeInstanceOf(KMSInvalidMacException);
      const otherMessage = await rejection(
        ctx.client.send(
          new VerifyMacCommand({ KeyId, Message: Buffer.from("x"), Mac: first.Mac, MacAlgorithm }),
        ),
      );
      expect(otherMessage.name).toBe("KMSInvalidMacException");

      const wrongAlgorithm = MacAlgorithm === "HMAC_SHA_256" ? "HMAC_SHA_384" : "HMAC_SHA_256";
      const error = await rejection(
        ctx.client.send(new GenerateMacCommand({ KeyId, Message: message, MacAlgorithm: wrongAlgorithm })),
      );
      expect(error.name).toBe("InvalidKeyUsageException");
    },
  );

  it("refuses a key that is not for MACs", async () => {
    const error = await rejection(
      ctx.client.send(
        new GenerateMacCommand({
          KeyId: keys.get("ECC_NIST_P256")!.keyId,
          Message: message,
          MacAlgorithm: "HMAC_SHA_256",
        }),
      ),
    );
    expect(error.name).toBe("InvalidKeyUsageException");
  });
});
