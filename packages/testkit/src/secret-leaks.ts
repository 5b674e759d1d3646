import { Buffer } from "node:buffer";
import { createPrivateKey, type KeyObject } from "node:crypto";
import { format, inspect } from "node:util";
import { PRIVATE_JWK_MEMBERS } from "@keyprovider/core";

const WINDOW = 24;
const BYTE_WINDOW = 12;

/**
 * Strings whose presence in any output would reveal `secret`.
 *
 * - The whole secret in hex, base64 and base64url, and, for PEM, its text.
 * - Where the bytes are a private key (PEM, DER or JWK), its private components (`d`, `p`, `q`, …),
 *   and otherwise the secret itself, as 24-character fragments of their hex, base64 and base64url
 *   forms at every byte alignment, so a partial leak, or one embedded in a longer encoding (a PEM
 *   line, a DER dump), is found too.
 *
 * Only private components are fragmented: a PKCS#8 document also contains the public key, whose
 * fragments legitimately appear in published JWKs.
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
  for (const encoding of ["hex", "base64", "base64url"] as const) addWhole(bytes.toString(encoding));

  const privateKey = parsePrivateKey(bytes);
  if (privateKey === undefined) {
    addFragments(needles, bytes);
    return [...needles];
  }
  const text = bytes.toString("utf8");
  if (text.includes("-----BEGIN")) addWhole(text.replace(/-----[^-]+-----/g, "").trim());
  let jwk: Record<string, unknown>;
  try {
    jwk = privateKey.export({ format: "jwk" });
  } catch {
    // No JWK form (RSASSA-PSS-restricted keys): fall back to the whole PKCS#8 DER, matched whole.
    const der = privateKey.export({ type: "pkcs8", format: "der" });
    for (const encoding of ["hex", "base64", "base64url"] as const) addWhole(der.toString(encoding));
    return [...needles];
  }
  for (const member of PRIVATE_JWK_MEMBERS) {
    const value = jwk[member];
    if (typeof value === "string") addFragments(needles, Buffer.from(value, "base64url"));
  }
  return [...needles];
}

/** 24-character fragments (start, middle, end) of `component` in hex, base64 and base64url at each byte alignment. */
function addFragments(needles: Set<string>, component: Buffer): void {
  const add = (value: string) => {
    if (value.length < WINDOW) {
      if (value.length >= 16) needles.add(value);
      return;
    }
    const middle = Math.floor((value.length - WINDOW) / 2);
    for (const start of [0, middle, value.length - WINDOW]) needles.add(value.slice(start, start + WINDOW));
  };
  add(component.toString("hex"));
  for (let shift = 0; shift < 3 && shift < component.length; shift += 1) {
    const aligned = component.subarray(shift);
    // Drop the last 4 characters: they depend on the bytes that follow in a longer stream.
    for (const encoding of ["base64", "base64url"] as const)
      add(aligned.toString(encoding).replace(/=+$/, "").slice(0, -4));
  }
}

function parsePrivateKey(bytes: Buffer): KeyObject | undefined {
  const attempts: (() => KeyObject)[] = [
    () => createPrivateKey(bytes),
    () => createPrivateKey({ key: bytes, format: "der", type: "pkcs8" }),
    () => createPrivateKey({ key: bytes, format: "der", type: "sec1" }),
    () => createPrivateKey({ key: bytes, format: "der", type: "pkcs1" }),
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

/** 12-byte windows (start, middle, end) of a secret or private component. */
function byteWindows(bytes: Uint8Array): Uint8Array[] {
  if (bytes.length < BYTE_WINDOW) return bytes.length >= 8 ? [bytes] : [];
  const middle = Math.floor((bytes.length - BYTE_WINDOW) / 2);
  return [0, middle, bytes.length - BYTE_WINDOW].map((start) => bytes.subarray(start, start + BYTE_WINDOW));
}

/** The secret and its private components as raw bytes: what a leaked Uint8Array would contain. */
function secretComponents(secret: Uint8Array): Uint8Array[] {
  const bytes = Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength);
  const privateKey = parsePrivateKey(bytes);
  if (privateKey === undefined) return [bytes];
  try {
    const jwk = privateKey.export({ format: "jwk" }) as Record<string, unknown>;
    return PRIVATE_JWK_MEMBERS.flatMap((member) =>
      typeof jwk[member] === "string" ? [Buffer.from(jwk[member], "base64url")] : [],
    );
  } catch {
    return [privateKey.export({ type: "pkcs8", format: "der" })];
  }
}

/**
 * The byte values a text shows — `242,35,…` from `String(bytes)` or inspect, or the values of
 * `{"0":242,"1":35}` — as hex, one string per run of values that are bytes.
 */
function numberStreams(text: string): string[] {
  const runs = (values: Iterable<string>): string[] => {
    const out: string[] = [];
    let run = "";
    for (const value of values) {
      const n = Number(value);
      if (n <= 255) {
        run += n.toString(16).padStart(2, "0");
      } else if (run.length > 0) {
        out.push(run);
        run = "";
      }
    }
    if (run.length > 0) out.push(run);
    return out;
  };
  const plain = text.match(/\d+/g) ?? [];
  const indexed = [...text.matchAll(/"\d+":\s*(\d+)/g)].map((match) => match[1]!);
  return [...runs(plain), ...runs(indexed)];
}

/** Enumerable byte arrays anywhere inside `value` (what a spread, a logger or a serialiser would see). */
function byteArraysIn(value: unknown, seen = new Set<unknown>(), depth = 0): Uint8Array[] {
  if (typeof value !== "object" || value === null || seen.has(value) || depth > 8) return [];
  seen.add(value);
  if (ArrayBuffer.isView(value)) return [new Uint8Array(value.buffer, value.byteOffset, value.byteLength)];
  if (value instanceof ArrayBuffer) return [new Uint8Array(value)];
  const children = value instanceof Map ? [...value.values()] : Object.values(value);
  return children.flatMap((child) => byteArraysIn(child, seen, depth + 1));
}

const HASH_BASE = 131;
const HASH_MODULUS = 1_000_000_007;

/** The Rabin-Karp hash of `text`'s characters `start..start+length`. */
function hashOf(text: string, start: number, length: number): number {
  let hash = 0;
  for (let i = start; i < start + length; i += 1)
    hash = (hash * HASH_BASE + text.charCodeAt(i)) % HASH_MODULUS;
  return hash;
}

/**
 * Needles found in a text with a rolling hash (Rabin-Karp), in one pass per needle length whatever
 * their number: a needle longer than {@link WINDOW} is found through its first {@link WINDOW}
 * characters and then compared whole, so nearly every needle shares one pass.
 */
class NeedleIndex {
  readonly #byLength = new Map<
    number,
    {
      readonly entries: Map<string, { exact: boolean; readonly longer: string[] }>;
      readonly hashes: Set<number>;
      readonly top: number;
    }
  >();

  add(needle: string): void {
    const trigger = needle.length > WINDOW ? needle.slice(0, WINDOW) : needle;
    let group = this.#byLength.get(trigger.length);
    if (group === undefined) {
      let top = 1;
      for (let i = 1; i < trigger.length; i += 1) top = (top * HASH_BASE) % HASH_MODULUS;
      group = { entries: new Map(), hashes: new Set(), top };
      this.#byLength.set(trigger.length, group);
    }
    let entry = group.entries.get(trigger);
    if (entry === undefined) {
      entry = { exact: false, longer: [] };
      group.entries.set(trigger, entry);
      group.hashes.add(hashOf(trigger, 0, trigger.length));
    }
    if (needle === trigger) entry.exact = true;
    else entry.longer.push(needle);
  }

  /** The first needle found in `text`, starting at an offset that is a multiple of `step`. */
  find(text: string, step = 1): string | undefined {
    for (const [length, { entries, hashes, top }] of this.#byLength) {
      if (text.length < length) continue;
      let hash = hashOf(text, 0, length);
      for (let offset = 0; ; offset += 1) {
        if (offset % step === 0 && hashes.has(hash)) {
          const entry = entries.get(text.slice(offset, offset + length));
          if (entry?.exact === true) return text.slice(offset, offset + length);
          const whole = entry?.longer.find((needle) => text.startsWith(needle, offset));
          if (whole !== undefined) return whole;
        }
        if (offset + length >= text.length) break;
        const out = (text.charCodeAt(offset) * top) % HASH_MODULUS;
        hash =
          (((hash - out + HASH_MODULUS) % HASH_MODULUS) * HASH_BASE + text.charCodeAt(offset + length)) %
          HASH_MODULUS;
      }
    }
    return undefined;
  }
}

/**
 * Search every rendering of every value for every secret: as text (hex, base64, base64url, PEM), as
 * decimal byte lists (`String(bytes)`, `util.inspect`, `{"0":…}`), and as raw bytes in any enumerable
 * byte array inside the value. Returns one line per leak saying which value and how — never the
 * secret — and an empty array when nothing leaks.
 *
 * @example
 * ```ts
 * expect(findSecretLeaks([ref, error, provider], [secret])).toEqual([]);
 * ```
 */
export function findSecretLeaks(values: readonly unknown[], secrets: readonly Uint8Array[]): string[] {
  const needles = new NeedleIndex();
  for (const needle of secrets.flatMap((secret) => secretNeedles(secret))) needles.add(needle);
  const windows = new NeedleIndex();
  for (const secret of secrets) {
    for (const window of secretComponents(secret).flatMap(byteWindows))
      windows.add(Buffer.from(window).toString("hex"));
  }
  const leaks: string[] = [];
  values.forEach((value, index) => {
    const seen = new Set<string>();
    renderings(value).forEach((text, rendering) => {
      if (seen.has(text)) return;
      seen.add(text);
      const hit = needles.find(text);
      if (hit !== undefined) {
        leaks.push(
          `value #${index} (${describe(value)}), rendering #${rendering}, contains secret bytes (${hit.length} characters)`,
        );
      } else if (numberStreams(text).some((stream) => windows.find(stream, 2) !== undefined)) {
        leaks.push(
          `value #${index} (${describe(value)}), rendering #${rendering}, lists secret bytes as numbers`,
        );
      }
    });
    if (
      byteArraysIn(value).some(
        (bytes) =>
          windows.find(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex"), 2) !==
          undefined,
      )
    ) {
      leaks.push(`value #${index} (${describe(value)}) holds secret bytes in an enumerable property`);
    }
  });
  return leaks;
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message.slice(0, 60)}`;
  if (typeof value === "object" && value !== null) return value.constructor?.name ?? "object";
  return typeof value;
}
