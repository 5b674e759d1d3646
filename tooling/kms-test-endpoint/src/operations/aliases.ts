import { SPEC_RULES } from "../lib/key-specs.js";
import { requireNotPendingDeletion, type KeyStore, type KmsKey } from "../lib/key-store.js";
import { KmsError, validationError } from "../lib/kms-error.js";
import { page } from "../lib/paging.js";
import { epochSeconds, optionalString, requiredString, type RequestBody } from "../lib/request.js";
import type { OperationHandler } from "./handler.js";

/** An AliasName member: the API model's pattern first, then the rules KMS adds for alias names. */
function aliasName(body: RequestBody): string {
  const name = requiredString(body, "AliasName", 1, 256);
  if (!/^[a-zA-Z0-9:/_-]+$/.test(name)) {
    throw validationError(
      "AliasName",
      name,
      "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    );
  }
  if (!/^alias\/[a-zA-Z0-9/_-]+$/.test(name)) {
    throw new KmsError("InvalidAliasNameException", `Alias must start with the prefix "alias/".`);
  }
  if (name.startsWith("alias/aws/")) {
    throw new KmsError("InvalidAliasNameException", "Alias names beginning with alias/aws/ are reserved.");
  }
  return name;
}

/** The key a TargetKeyId names (key id or key ARN only, as KMS requires), usable as an alias target. */
function targetKey(store: KeyStore, body: RequestBody): KmsKey {
  const key = store.resolve(requiredString(body, "TargetKeyId"), { aliases: false });
  requireNotPendingDeletion(key);
  return key;
}

/** The key types an alias cannot move between. */
function keyType(key: KmsKey): "symmetric" | "asymmetric" | "hmac" {
  const family = SPEC_RULES[key.spec].family;
  return family === "symmetric" || family === "hmac" ? family : "asymmetric";
}

export const CreateAlias: OperationHandler = (store, body) => {
  const name = aliasName(body);
  const key = targetKey(store, body);
  if (store.alias(name) !== undefined) {
    throw new KmsError("AlreadyExistsException", `An alias with the name ${store.arn(name)} already exists`);
  }
  const now = new Date();
  store.setAlias({ name, targetKeyId: key.keyId, creationDate: now, lastUpdatedDate: now });
  return {};
};

export const UpdateAlias: OperationHandler = (store, body) => {
  const name = aliasName(body);
  const key = targetKey(store, body);
  const alias = store.alias(name);
  if (alias === undefined) throw new KmsError("NotFoundException", `Alias ${store.arn(name)} is not found.`);
  const current = store.byId(alias.targetKeyId);
  // KMS moves an alias only between keys of the same type (symmetric, asymmetric, HMAC) and usage.
  if (current !== undefined && (keyType(current) !== keyType(key) || current.usage !== key.usage)) {
    throw new KmsError(
      "ValidationException",
      `${key.arn} is not the same key type and key usage as the key the alias points to.`,
    );
  }
  alias.targetKeyId = key.keyId;
  alias.lastUpdatedDate = new Date();
  return {};
};

export const DeleteAlias: OperationHandler = (store, body) => {
  const name = aliasName(body);
  if (!store.deleteAlias(name))
    throw new KmsError("NotFoundException", `Alias ${store.arn(name)} is not found.`);
  return {};
};

export const ListAliases: OperationHandler = (store, body) => {
  const keyId = optionalString(body, "KeyId");
  const key = keyId === undefined ? undefined : store.resolve(keyId, { aliases: false });
  const aliases = store.aliases().filter((alias) => key === undefined || alias.targetKeyId === key.keyId);
  const { items, more } = page(aliases, body, { default: 50, max: 100 });
  return {
    Aliases: items.map((alias) => ({
      AliasName: alias.name,
      AliasArn: store.arn(alias.name),
      TargetKeyId: alias.targetKeyId,
      CreationDate: epochSeconds(alias.creationDate),
      LastUpdatedDate: epochSeconds(alias.lastUpdatedDate),
    })),
    ...more,
  };
};
