import { InvalidConfigError, quoteForMessage } from "../errors.js";

/** Deeper than any configuration needs; stops a hostile document from exhausting the stack. */
const MAX_DEPTH = 64;

/**
 * What a visit decides for one value: `undefined` to descend into it as usual, or a replacement
 * for it (which is not descended into).
 */
export type JsonVisit = (
  value: unknown,
  member: string,
  name: string | undefined,
) => { readonly replacement: unknown } | undefined;

/**
 * Copy a JSON value, calling `visit` on every value before its members, with the member's dotted
 * path (`options.kek.passphrase`, `options.keys[0]`) and its name. Objects come back as plain
 * objects with own data properties only (a member named `__proto__` stays a member); values that
 * are not arrays or plain objects are kept as they are.
 */
export function mapJson(value: unknown, visit: JsonVisit, source: string, member = ""): unknown {
  return walk(value, visit, source, member, undefined, 0);
}

function walk(
  value: unknown,
  visit: JsonVisit,
  source: string,
  member: string,
  name: string | undefined,
  depth: number,
): unknown {
  if (depth > MAX_DEPTH) {
    throw new InvalidConfigError(
      "invalid_shape",
      source,
      `${where(member, source)} is nested more than ${MAX_DEPTH} levels deep`,
      { member },
    );
  }
  const visited = visit(value, member, name);
  if (visited !== undefined) return visited.replacement;
  if (Array.isArray(value)) {
    return value.map((item: unknown, i) =>
      walk(item, visit, source, `${member}[${i}]`, undefined, depth + 1),
    );
  }
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        walk(item, visit, source, memberPath(member, key), key, depth + 1),
      ]),
    );
  }
  return value;
}

/** A member's dotted path for messages: `options.kek`, `options["odd name"]`. */
export function memberPath(parent: string, key: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(key)) return `${parent}[${quoteForMessage(key, 40)}]`;
  return parent === "" ? key : `${parent}.${key}`;
}

/** "options.kek.passphrase in /app/keyprovider.config.json", for the start of a message. */
export function where(member: string, source: string): string {
  return member === "" ? source : `${member} in ${source}`;
}

/** An object literal or JSON object, as opposed to an array, a class instance or null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
