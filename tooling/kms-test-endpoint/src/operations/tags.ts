import { KmsError, validationError } from "../lib/kms-error.js";
import { requireNotPendingDeletion, type KmsKey } from "../lib/key-store.js";
import { page } from "../lib/paging.js";
import { optionalList, requiredString, type RequestBody } from "../lib/request.js";
import type { OperationHandler } from "./handler.js";

const MAX_TAGS_PER_KEY = 50;

function tagError(message: string): KmsError {
  return new KmsError("TagException", message);
}

/** The `Tags` member of CreateKey/TagResource as [key, value] pairs, checked as KMS checks tags. */
export function readTags(body: RequestBody): [string, string][] {
  const tags =
    optionalList(body, "Tags", (item): [string, string] => {
      if (typeof item !== "object" || item === null)
        throw new KmsError("SerializationException", "Tags must be a list of Tag");
      const { TagKey, TagValue } = item as { TagKey?: unknown; TagValue?: unknown };
      if (typeof TagKey !== "string" || TagKey.length < 1 || TagKey.length > 128) {
        throw tagError("Tag keys must be 1 to 128 characters.");
      }
      if (typeof TagValue !== "string" || TagValue.length > 256)
        throw tagError("Tag values must be 0 to 256 characters.");
      if (TagKey.toLowerCase().startsWith("aws:"))
        throw tagError("Tag keys beginning with aws: are reserved.");
      return [TagKey, TagValue];
    }) ?? [];
  if (new Set(tags.map(([key]) => key)).size !== tags.length)
    throw tagError("Duplicate tag keys in the request.");
  return tags;
}

/** Apply tags to a key, refusing more than KMS allows on one key. */
export function applyTags(key: KmsKey, tags: readonly [string, string][]): void {
  const keys = new Set([...key.tags.keys(), ...tags.map(([name]) => name)]);
  if (keys.size > MAX_TAGS_PER_KEY) {
    throw new KmsError("LimitExceededException", `A KMS key can have at most ${MAX_TAGS_PER_KEY} tags.`);
  }
  for (const [name, value] of tags) key.tags.set(name, value);
}

/** A list member the operation cannot do without. */
function requireMember(body: RequestBody, field: string): void {
  if (body[field] === undefined || body[field] === null)
    throw validationError(field, undefined, "Member must not be null");
}

export const TagResource: OperationHandler = (store, body) => {
  const key = store.resolve(requiredString(body, "KeyId"), { aliases: false });
  requireMember(body, "Tags");
  const tags = readTags(body);
  requireNotPendingDeletion(key);
  applyTags(key, tags);
  return {};
};

export const UntagResource: OperationHandler = (store, body) => {
  const key = store.resolve(requiredString(body, "KeyId"), { aliases: false });
  requireMember(body, "TagKeys");
  const names =
    optionalList(body, "TagKeys", (item) => {
      if (typeof item !== "string")
        throw new KmsError("SerializationException", "TagKeys must be a list of strings");
      return item;
    }) ?? [];
  requireNotPendingDeletion(key);
  for (const name of names) key.tags.delete(name);
  return {};
};

export const ListResourceTags: OperationHandler = (store, body) => {
  const key = store.resolve(requiredString(body, "KeyId"), { aliases: false });
  const { items, more } = page([...key.tags], body, { default: 50, max: 50 });
  return { Tags: items.map(([TagKey, TagValue]) => ({ TagKey, TagValue })), ...more };
};
