import { KmsError, validationError } from "./kms-error.js";

/** The decoded JSON body of one request. */
export type RequestBody = Readonly<Record<string, unknown>>;

function serializationError(field: string, expected: string): KmsError {
  return new KmsError("SerializationException", `${field} must be ${expected}`);
}

/** A string member, or `undefined` when absent; checks length bounds as the API model does. */
export function optionalString(body: RequestBody, field: string, min = 1, max = 2048): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw serializationError(field, "a string");
  if (value.length < min || value.length > max) {
    throw validationError(field, value, `Member must have length between ${min} and ${max}, inclusive`);
  }
  return value;
}

/** A required string member. */
export function requiredString(body: RequestBody, field: string, min = 1, max = 2048): string {
  const value = optionalString(body, field, min, max);
  if (value === undefined) throw validationError(field, undefined, "Member must not be null");
  return value;
}

/** A string member that must be one of `values` (an AWS enum). */
export function optionalEnum<T extends string>(
  body: RequestBody,
  field: string,
  values: readonly T[],
): T | undefined {
  const value = optionalString(body, field, 0, 1024);
  if (value === undefined) return undefined;
  if (!(values as readonly string[]).includes(value)) {
    throw validationError(field, value, `Member must satisfy enum value set: [${values.join(", ")}]`);
  }
  return value as T;
}

/** A required enum member. */
export function requiredEnum<T extends string>(body: RequestBody, field: string, values: readonly T[]): T {
  const value = optionalEnum(body, field, values);
  if (value === undefined) throw validationError(field, undefined, "Member must not be null");
  return value;
}

/** An integer member within `min..max`, or `undefined` when absent. */
export function optionalInteger(
  body: RequestBody,
  field: string,
  min: number,
  max: number,
): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) throw serializationError(field, "an integer");
  if (value < min || value > max) {
    throw new KmsError(
      "ValidationException",
      `1 validation error detected: Value '${value}' at '${field.charAt(0).toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must have value ${value < min ? `greater than or equal to ${min}` : `less than or equal to ${max}`}`,
    );
  }
  return value;
}

/** A boolean member, `false` when absent. */
export function optionalBoolean(body: RequestBody, field: string): boolean {
  const value = body[field];
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw serializationError(field, "a boolean");
  return value;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A blob member (base64 in JSON) of `min..max` bytes, or `undefined` when absent. */
export function optionalBlob(body: RequestBody, field: string, min: number, max: number): Buffer | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || !BASE64.test(value)) throw serializationError(field, "base64");
  const bytes = Buffer.from(value, "base64");
  if (bytes.length < min || bytes.length > max) {
    throw new KmsError(
      "ValidationException",
      `1 validation error detected: Value at '${field.charAt(0).toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must have length between ${min} and ${max}, inclusive`,
    );
  }
  return bytes;
}

/** A required blob member. */
export function requiredBlob(body: RequestBody, field: string, min: number, max: number): Buffer {
  const value = optionalBlob(body, field, min, max);
  if (value === undefined) throw validationError(field, undefined, "Member must not be null");
  return value;
}

/** A string-to-string map member (EncryptionContext), empty when absent. */
export function optionalStringMap(body: RequestBody, field: string): Readonly<Record<string, string>> {
  const value = body[field];
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw serializationError(field, "a map");
  for (const entry of Object.values(value)) {
    if (typeof entry !== "string") throw serializationError(field, "a map of strings");
  }
  return value as Record<string, string>;
}

/** A list member whose items pass `item`, or `undefined` when absent. */
export function optionalList<T>(
  body: RequestBody,
  field: string,
  item: (value: unknown) => T,
): T[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw serializationError(field, "a list");
  return value.map(item);
}

/** Blobs and timestamps as the JSON 1.1 protocol writes them: base64 and epoch seconds. */
export function blob(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** A timestamp as epoch seconds, the JSON 1.1 protocol's encoding. */
export function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}
