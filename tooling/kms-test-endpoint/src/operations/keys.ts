import { randomUUID } from "node:crypto";
import { generateKeyMaterial } from "../lib/key-material.js";
import {
  AWS_KEY_SPECS,
  KEY_SPECS,
  KEY_USAGES,
  SPEC_RULES,
  algorithmsOf,
  type KeySpec,
} from "../lib/key-specs.js";
import { requireEnabled, requireNotPendingDeletion, type KeyStore, type KmsKey } from "../lib/key-store.js";
import { KmsError } from "../lib/kms-error.js";
import { page } from "../lib/paging.js";
import {
  blob,
  epochSeconds,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  optionalString,
  requiredString,
} from "../lib/request.js";
import type { OperationHandler } from "./handler.js";
import { applyTags, readTags } from "./tags.js";

const DAY_MS = 86_400_000;

function unsupported(message: string): KmsError {
  return new KmsError("UnsupportedOperationException", message);
}

/** The KeyMetadata structure of CreateKey and DescribeKey. */
function keyMetadata(store: KeyStore, key: KmsKey): Record<string, unknown> {
  return {
    AWSAccountId: store.accountId,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: epochSeconds(key.creationDate),
    Enabled: key.state === "Enabled",
    Description: key.description,
    KeyUsage: key.usage,
    KeyState: key.state,
    ...(key.deletionDate === undefined ? {} : { DeletionDate: epochSeconds(key.deletionDate) }),
    Origin: "AWS_KMS",
    KeyManager: "CUSTOMER",
    CustomerMasterKeySpec: key.spec,
    KeySpec: key.spec,
    ...algorithmsOf(key.spec, key.usage),
    MultiRegion: false,
  };
}

/** The KeySpec of a CreateKey request (or its deprecated twin CustomerMasterKeySpec). */
function requestedSpec(body: Parameters<OperationHandler>[1]): KeySpec {
  const spec = optionalEnum(body, "KeySpec", AWS_KEY_SPECS);
  const legacy = optionalEnum(body, "CustomerMasterKeySpec", AWS_KEY_SPECS);
  if (spec !== undefined && legacy !== undefined) {
    throw new KmsError(
      "ValidationException",
      "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.",
    );
  }
  const chosen = spec ?? legacy ?? "SYMMETRIC_DEFAULT";
  if (!(KEY_SPECS as readonly string[]).includes(chosen)) {
    throw unsupported(`KeySpec ${chosen} is not supported by the KMS test endpoint.`);
  }
  return chosen as KeySpec;
}

export const CreateKey: OperationHandler = async (store, body) => {
  const spec = requestedSpec(body);
  const usage = optionalEnum(body, "KeyUsage", KEY_USAGES) ?? "ENCRYPT_DECRYPT";
  if (SPEC_RULES[spec].usages[usage] === undefined) {
    if (usage === "KEY_AGREEMENT" && spec.startsWith("ECC_NIST_P")) {
      throw unsupported("KEY_AGREEMENT keys are not supported by the KMS test endpoint.");
    }
    throw new KmsError("ValidationException", `KeyUsage ${usage} is not compatible with KeySpec ${spec}`);
  }
  const description = optionalString(body, "Description", 0, 8192) ?? "";
  const policy = optionalString(body, "Policy", 1, 32_768);
  if (policy !== undefined) {
    let document: unknown;
    try {
      document = JSON.parse(policy);
    } catch {
      document = undefined;
    }
    if (typeof document !== "object" || document === null || Array.isArray(document)) {
      throw new KmsError("MalformedPolicyDocumentException", "The key policy is not a JSON policy document.");
    }
  }
  const origin = optionalEnum(body, "Origin", ["AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"]);
  if (origin !== undefined && origin !== "AWS_KMS")
    throw unsupported(`Origin ${origin} is not supported by the KMS test endpoint.`);
  if (optionalBoolean(body, "MultiRegion"))
    throw unsupported("Multi-Region keys are not supported by the KMS test endpoint.");
  if (
    optionalString(body, "CustomKeyStoreId") !== undefined ||
    optionalString(body, "XksKeyId") !== undefined
  ) {
    throw unsupported("Custom key stores are not supported by the KMS test endpoint.");
  }
  optionalBoolean(body, "BypassPolicyLockoutSafetyCheck");
  const tags = readTags(body);

  const keyId = randomUUID();
  const key: KmsKey = {
    keyId,
    arn: store.arn(`key/${keyId}`),
    spec,
    usage,
    creationDate: new Date(),
    material: await generateKeyMaterial(spec),
    description,
    policy,
    tags: new Map(),
    state: "Enabled",
    deletionDate: undefined,
  };
  applyTags(key, tags);
  store.add(key);
  return { KeyMetadata: keyMetadata(store, key) };
};

export const DescribeKey: OperationHandler = (store, body) => {
  const key = store.resolve(requiredString(body, "KeyId"), { aliases: true });
  return { KeyMetadata: keyMetadata(store, key) };
};

export const ListKeys: OperationHandler = (store, body) => {
  const { items, more } = page(store.keys(), body, { default: 100, max: 1000 });
  return { Keys: items.map((key) => ({ KeyId: key.keyId, KeyArn: key.arn })), ...more };
};

export const GetPublicKey: OperationHandler = (store, body) => {
  const key = store.resolve(requiredString(body, "KeyId"), { aliases: true });
  requireEnabled(key);
  if (key.material.kind !== "key-pair") {
    throw unsupported(
      `${key.arn} key usage is ${key.usage} and key spec is ${key.spec}, which has no public key.`,
    );
  }
  return {
    KeyId: key.arn,
    PublicKey: blob(key.material.publicKey.export({ format: "der", type: "spki" })),
    CustomerMasterKeySpec: key.spec,
    KeySpec: key.spec,
    KeyUsage: key.usage,
    ...algorithmsOf(key.spec, key.usage),
  };
};

export const EnableKey: OperationHandler = (store, body) => {
  const key = store.resolve(requiredString(body, "KeyId"), { aliases: false });
  requireNotPendingDeletion(key);
  key.state = "Enabled";
  return {};
};

export const DisableKey: OperationHandler = (store, body) => {
  const key = store.resolve(requiredString(body, "KeyId"), { aliases: false });
  requireNotPendingDeletion(key);
  key.state = "Disabled";
  return {};
};

export const ScheduleKeyDeletion: OperationHandler = (store, body) => {
  const key = store.resolve(requiredString(body, "KeyId"), { aliases: false });
  const days = optionalInteger(body, "PendingWindowInDays", 7, 30) ?? 30;
  requireNotPendingDeletion(key);
  key.state = "PendingDeletion";
  key.deletionDate = new Date(Date.now() + days * DAY_MS);
  return {
    KeyId: key.arn,
    DeletionDate: epochSeconds(key.deletionDate),
    KeyState: key.state,
    PendingWindowInDays: days,
  };
};

export const CancelKeyDeletion: OperationHandler = (store, body) => {
  const key = store.resolve(requiredString(body, "KeyId"), { aliases: false });
  if (key.state !== "PendingDeletion") {
    throw new KmsError("KMSInvalidStateException", `${key.arn} is not pending deletion.`);
  }
  key.state = "Disabled";
  key.deletionDate = undefined;
  return { KeyId: key.arn };
};
