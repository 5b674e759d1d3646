import { Buffer } from "node:buffer";
import { createPrivateKey, type KeyObject } from "node:crypto";
import { format, inspect } from "node:util";

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"] as const;
const WINDOW = 24;

/**
 * Strings whose presence in any output would reveal `secret`: the whole secret in hex, base64 and
 * base64url, and — where the bytes are a private key (PEM, DER or JWK) — every private component in
 * those encodings. Pure secrets and private components also yield 24-character windows from their
 * start, middle and end, so a truncated or partial leak is caught too. Composite encodings (a whole
 * PKCS#8 document, which contains the public key) are matched whole, to avoid flagging the public
 * part.
 *
 * @example
 * ```ts
 * const needles = secretNeedles(ref.material!);
 * ```
 */
export function secretNeedles(secret: Uint8Array): string[] {
  const bytes = Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength);
  const needles = new Set<string>();
  const addWhole = (value: string) => {
    if (value.length >= 16) needles.add(value);
  };
  const addWithWindows = (value: string) => {
    addWhole(value);
    if (value.length > WINDOW) {
      const middle = Math.floor((value.length - WINDOW) / 2);
      for (const start of [0, middle, value.length - WINDOW]) needles.add(value.slice(start, start + WINDOW));
    }
  };
  const encodings = (b: Buffer) => [b.toString("hex"), b.toString("base64"), b.toString("base64url")];

  const privateKey = parsePrivateKey(bytes);
  if (privateKey === undefined) {
    for (const value of encodings(bytes)) addWithWindows(value);
    return [...needles];
  }
  for (const value of encodings(bytes)) addWhole(value);
  const text = bytes.toString("utf8");
  if (text.includes("-----BEGIN")) {
    for (const line of text.split(/\r?\n/))
      if (!line.startsWith("-----") && line.length >= 16) addWhole(line);
  }
  const jwk = privateKey.export({ format: "jwk" }) as Record<string, unknown>;
  for (const member of PRIVATE_MEMBERS) {
    const value = jwk[member];
    if (typeof value === "string") {
      addWithWindows(value);
      for (const encoded of encodings(Buffer.from(value, "base64url"))) addWithWindows(encoded);
    }
  }
  return [...needles];
}

function parsePrivateKey(bytes: Buffer): KeyObject | undefined {
  const attempts: (() => KeyObject)[] = [
    () => createPrivateKey(bytes),
    () => createPrivateKey({ key: bytes, format: "der", type: "pkcs8" }),
    () => createPrivateKey({ key: JSON.parse(bytes.toString("utf8")) as never, format: "jwk" }),
  ];
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch {
      // not this format
    }
  }
  return undefined;
}

/**
 * Every way an application might print or log `value`: `JSON.stringify`, `String`, template
 * literals, `util.inspect` (shallow and deep with hidden properties), `util.format` with `%s`, `%o`,
 * `%O` and `%j`, a spread copy, and for errors their message and stack.
 *
 * @example
 * ```ts
 * renderings(ref).forEach((text) => expect(text).not.toContain(secretHex));
 * ```
 */
export function renderings(value: unknown): string[] {
  const out: string[] = [];
  const attempt = (render: () => string) => {
    try {
      out.push(render());
    } catch {
      // an unserialisable value (e.g. a BigInt) prints nothing
    }
  };
  attempt(() => JSON.stringify(value) ?? "");
  attempt(() => String(value));
  attempt(() => inspect(value));
  attempt(() => inspect(value, { depth: Infinity, showHidden: true, getters: true }));
  attempt(() => format("%s %o %O %j", value, value, value, value));
  if (typeof value === "object" && value !== null) {
    attempt(() => JSON.stringify({ ...value }));
    attempt(() => inspect({ ...value }, { depth: Infinity }));
  }
  if (value instanceof Error) {
    attempt(() => value.message);
    attempt(() => value.stack ?? "");
    attempt(() => inspect(value.cause, { depth: Infinity }));
  }
  return out;
}

/**
 * Search every rendering of every value for every secret. Returns one line per leak (which value,
 * how it was rendered, which encoding matched) — empty when nothing leaks.
 *
 * @example
 * ```ts
 * expect(findSecretLeaks([ref, error, provider], [secret])).toEqual([]);
 * ```
 */
export function findSecretLeaks(values: readonly unknown[], secrets: readonly Uint8Array[]): string[] {
  const needles = secrets.flatMap((secret) => secretNeedles(secret));
  const leaks: string[] = [];
  values.forEach((value, index) => {
    renderings(value).forEach((text, rendering) => {
      const hit = needles.find((needle) => text.includes(needle));
      if (hit !== undefined) {
        leaks.push(
          `value #${index} (${describe(value)}), rendering #${rendering}, contains secret bytes (${hit.length} characters)`,
        );
      }
    });
  });
  return leaks;
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message.slice(0, 60)}`;
  if (typeof value === "object" && value !== null) return value.constructor?.name ?? "object";
  return typeof value;
}
