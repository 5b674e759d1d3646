import {
  ExportPolicy,
  InvalidKeySpecError,
  KeyAlg,
  KeyClass,
  KeyType,
  KeyUse,
  describeType,
  displayValue,
  quoteForMessage,
  type KeySpec,
  type NormalizedKeySpec,
} from "@keyprovider/core";
import { ALGORITHMS, RSA_SIZES_TEXT, algorithmInfo } from "./algorithms.js";

/**
 * Whether the spec is for creating a key (defaults such as the RSA size are filled in) or for
 * importing one (sizes come from the imported key).
 *
 * @example
 * ```ts
 * validateKeySpec(spec, { purpose: "import" });
 * ```
 */
export interface ValidateKeySpecOptions {
  readonly purpose?: "create" | "import";
}

const FIELDS = [
  "klass",
  "alg",
  "uses",
  "exportPolicy",
  "sizeBits",
  "encoding",
  "publicFormat",
  "privateFormat",
  "label",
  "tags",
] as const;

const LIMITS = { label: 256, tagCount: 50, tagKey: 128, tagValue: 256 } as const;

function values(table: Readonly<Record<string, string>> | readonly string[]): string {
  return Object.values(table)
    .map((value) => JSON.stringify(value))
    .join(", ");
}

function fail(field: string, message: string): never {
  throw new InvalidKeySpecError(field, `KeySpec.${field}: ${message}`);
}

function oneOf<T extends string>(field: string, value: unknown, allowed: Readonly<Record<string, T>>): T {
  if (typeof value !== "string" || !(Object.values(allowed) as string[]).includes(value)) {
    fail(field, `must be one of ${values(allowed)}, got ${displayValue(value)}`);
  }
  return value as T;
}

/** The spec's own fields, each read exactly once (a getter cannot answer differently later). */
function readFields(spec: KeySpec): Partial<Record<(typeof FIELDS)[number], unknown>> {
  const fields: Partial<Record<(typeof FIELDS)[number], unknown>> = {};
  for (const key of Object.keys(spec)) {
    if (!(FIELDS as readonly string[]).includes(key)) {
      fail(
        key.slice(0, 40),
        `${displayValue(key)} is not a KeySpec field; the fields are ${FIELDS.join(", ")}`,
      );
    }
    fields[key as (typeof FIELDS)[number]] = (spec as unknown as Record<string, unknown>)[key];
  }
  return fields;
}

/**
 * Validate a `KeySpec` and fill in defaults: `alg` may be a {@link KeyAlg} or its JOSE name
 * (`"ES256"`) and comes back canonical; `klass` is derived from it (and refused when it contradicts
 * it; `"opaque"` must be said); `uses` default to the algorithm's default uses and must make sense
 * for it; `exportPolicy` defaults to `"none"`; `sizeBits` applies to RSA only; label and tags are
 * strings within the limits every backend accepts (AWS KMS: 50 tags, keys up to 128 and values up to
 * 256 characters). Only the spec's own properties are read, each once. Problems raise
 * `InvalidKeySpecError` naming the field and what is allowed.
 *
 * @example
 * ```ts
 * validateKeySpec({ alg: "ES256" }).uses; // ["sign", "verify"]
 * validateKeySpec({ klass: "sym", alg: "ED25519" });
 * // InvalidKeySpecError: KeySpec.klass: ED25519 is an asymmetric algorithm; use klass "asym" …
 * ```
 */
export function validateKeySpec(spec: KeySpec, options: ValidateKeySpecOptions = {}): NormalizedKeySpec {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw new TypeError(`spec must be a KeySpec object, got ${describeType(spec)}`);
  }
  const purpose = options.purpose ?? "create";
  const f = readFields(spec);

  const named = typeof f.alg === "string" ? algorithmInfo(f.alg) : undefined;
  if (named === undefined) {
    fail(
      "alg",
      `must be one of ${values(KeyAlg)} or their JOSE names (${values([...new Set(Object.values(ALGORITHMS).map((i) => i.jose))])}), got ${displayValue(f.alg)}`,
    );
  }
  const info = named;
  const alg = info.alg;
  const klass = f.klass === undefined ? info.klass : oneOf("klass", f.klass, KeyClass);
  const exportPolicy =
    f.exportPolicy === undefined ? ExportPolicy.NONE : oneOf("exportPolicy", f.exportPolicy, ExportPolicy);
  const opaque = klass === KeyClass.opaque;

  if (!opaque && info.klass !== klass) {
    fail(
      "klass",
      `${alg} is ${info.klass === KeyClass.symmetric ? "a symmetric" : "an asymmetric"} algorithm; use klass "${info.klass}" (or "opaque" to store the bytes uninterpreted)`,
    );
  }

  if (f.uses !== undefined && !Array.isArray(f.uses)) fail("uses", `must be an array of ${values(KeyUse)}`);
  const uses =
    f.uses === undefined
      ? [...(opaque ? [] : info.defaultUses)]
      : [...new Set((f.uses as unknown[]).map((use) => oneOf("uses", use, KeyUse)))];
  if (!opaque) {
    const refused = uses.filter((use) => !info.uses.includes(use));
    if (refused.length > 0) {
      fail(
        "uses",
        `${refused.map((u) => JSON.stringify(u)).join(", ")} ${refused.length === 1 ? "is" : "are"} not a use of ${alg}; allowed: ${info.uses.map((u) => JSON.stringify(u)).join(", ")}`,
      );
    }
  }

  let sizeBits: number | undefined;
  const isRsa = !opaque && info.type === KeyType.RSA;
  if (f.sizeBits !== undefined) {
    const requested = f.sizeBits;
    if (typeof requested !== "number" || !Number.isInteger(requested)) {
      fail("sizeBits", `must be an integer, got ${describeType(requested)}`);
    }
    if (opaque) fail("sizeBits", "does not apply to opaque keys, whose material is stored as given");
    if (!isRsa || !info.sizes.includes(requested)) {
      fail(
        "sizeBits",
        isRsa
          ? `${alg} keys are ${RSA_SIZES_TEXT} bits, got ${requested}`
          : `${alg} keys are always ${info.sizes[0]} bits; sizeBits applies to RSA keys only, got ${requested}`,
      );
    }
    sizeBits = requested;
  } else if (isRsa && purpose === "create") {
    sizeBits = info.sizes[0];
  } else if (!opaque && !isRsa) {
    sizeBits = info.sizes[0];
  }

  const asymmetric = !opaque && info.klass === KeyClass.asymmetric;
  const kind = opaque ? "opaque" : "symmetric";
  let encoding: "PEM" | "DER" = "PEM";
  if (f.encoding !== undefined) {
    if (!asymmetric) fail("encoding", `applies to asymmetric keys only; ${kind} material is raw bytes`);
    encoding = oneOf("encoding", f.encoding, { PEM: "PEM", DER: "DER" } as const);
  }
  let publicFormat: "SubjectPublicKeyInfo" | "Raw" = "SubjectPublicKeyInfo";
  if (f.publicFormat !== undefined) {
    if (!asymmetric)
      fail("publicFormat", `applies to asymmetric keys only; ${kind} keys have no public key format`);
    publicFormat = oneOf("publicFormat", f.publicFormat, {
      SubjectPublicKeyInfo: "SubjectPublicKeyInfo",
      Raw: "Raw",
    } as const);
    if (publicFormat === "Raw" && !info.raw) {
      fail(
        "publicFormat",
        `"Raw" applies to ED25519 and X25519 keys only; use "SubjectPublicKeyInfo" for ${alg}`,
      );
    }
  }
  let privateFormat: "PKCS8" | "Raw" = asymmetric ? "PKCS8" : "Raw";
  if (f.privateFormat !== undefined) {
    privateFormat = oneOf("privateFormat", f.privateFormat, { PKCS8: "PKCS8", Raw: "Raw" } as const);
    if (!asymmetric && privateFormat !== "Raw") {
      fail("privateFormat", `must be "Raw" (or omitted) for ${kind} keys, whose material is raw bytes`);
    }
    if (asymmetric && privateFormat === "Raw" && !info.raw) {
      fail("privateFormat", `"Raw" applies to ED25519 and X25519 keys only; use "PKCS8" for ${alg}`);
    }
  }

  let label: string | undefined;
  if (f.label !== undefined) {
    if (typeof f.label !== "string") fail("label", `must be a string, got ${describeType(f.label)}`);
    if (f.label.length > LIMITS.label)
      fail("label", `must be at most ${LIMITS.label} characters, got ${f.label.length}`);
    label = f.label;
  }
  const tags: Record<string, string> = {};
  if (f.tags !== undefined) {
    if (typeof f.tags !== "object" || f.tags === null || Array.isArray(f.tags)) {
      fail("tags", `must be an object of string values, got ${describeType(f.tags)}`);
    }
    const entries = Object.entries(f.tags as Record<string, unknown>);
    if (entries.length > LIMITS.tagCount)
      fail("tags", `may hold at most ${LIMITS.tagCount} tags, got ${entries.length}`);
    for (const [key, value] of entries) {
      if (key.length === 0 || key.length > LIMITS.tagKey)
        fail("tags", `keys must be 1-${LIMITS.tagKey} characters`);
      if (typeof value !== "string")
        fail("tags", `the value of ${displayValue(key)} must be a string, got ${describeType(value)}`);
      if (value.length > LIMITS.tagValue)
        fail("tags", `the value of ${displayValue(key)} must be at most ${LIMITS.tagValue} characters`);
      tags[key] = value;
    }
  }
  if (label !== undefined) tags["label"] = label;

  return Object.freeze({
    klass,
    alg,
    uses: Object.freeze(uses),
    exportPolicy,
    sizeBits,
    encoding,
    publicFormat,
    privateFormat,
    label,
    tags: Object.freeze(tags),
    type: opaque ? KeyType.OPAQUE : info.type,
  });
}

/** Export policies from the most to the least permissive; a rotation may only move right. */
const POLICY_ORDER: readonly ExportPolicy[] = [
  ExportPolicy.SECRET_WHEN_ALLOWED,
  ExportPolicy.PUBLIC_ONLY,
  ExportPolicy.NONE,
];

/**
 * Refuse a new version of `kid` whose algorithm or class differs from the kid's existing versions
 * (`InvalidKeySpecError` on `alg`): one kid names one kind of key. `importKey` checks it early; a
 * backend checks it again atomically with storing, since a concurrent import of the same new kid
 * passes the early check too.
 *
 * @example
 * ```ts
 * const live = store.find(kid);
 * if (live !== undefined) assertSameKind(kid, live.spec, spec);
 * ```
 */
export function assertSameKind(kid: string, existing: NormalizedKeySpec, next: NormalizedKeySpec): void {
  if (existing.alg !== next.alg || existing.klass !== next.klass) {
    fail(
      "alg",
      `kid ${quoteForMessage(kid)} holds ${existing.klass} ${existing.alg} keys; a new version must be the same, got ${next.klass} ${next.alg}`,
    );
  }
}

/**
 * The spec of a rotation: the previous version's spec with the caller's overrides. Algorithm and
 * class cannot change; a rotation that tries raises `InvalidKeySpecError`.
 *
 * @example
 * ```ts
 * const next = rotationSpec(previous, { sizeBits: 4096 });
 * ```
 */
export function rotationSpec(previous: NormalizedKeySpec, overrides: unknown): NormalizedKeySpec {
  if (
    overrides !== undefined &&
    (typeof overrides !== "object" || overrides === null || Array.isArray(overrides))
  ) {
    throw new TypeError(`specOverrides must be an object, got ${describeType(overrides)}`);
  }
  // Own properties only, each read once.
  const changes = { ...(overrides ?? {}) } as Record<string, unknown>;
  for (const field of ["klass", "alg"] as const) {
    const changed =
      field === "alg" && typeof changes[field] === "string"
        ? algorithmInfo(changes[field])?.alg
        : changes[field];
    if (changes[field] !== undefined && changed !== previous[field]) {
      fail(
        field,
        `a rotation keeps the ${field === "alg" ? "algorithm" : "class"} of the key (${previous[field]}); create a new key for ${displayValue(changes[field])}`,
      );
    }
  }
  // The label lives in tags.label; take it out so an overridden label replaces it.
  const previousTags = { ...previous.tags };
  if (previous.label !== undefined) delete previousTags["label"];
  const base: Record<string, unknown> = {
    klass: previous.klass,
    alg: previous.alg,
    uses: previous.uses,
    exportPolicy: previous.exportPolicy,
    ...(previous.sizeBits !== undefined && previous.type === KeyType.RSA
      ? { sizeBits: previous.sizeBits }
      : {}),
    ...(previous.type !== KeyType.SYMMETRIC && previous.type !== KeyType.OPAQUE
      ? {
          encoding: previous.encoding,
          publicFormat: previous.publicFormat,
          privateFormat: previous.privateFormat,
        }
      : {}),
    ...(previous.label !== undefined ? { label: previous.label } : {}),
    tags: previousTags,
  };
  const next = validateKeySpec({ ...base, ...changes } as unknown as KeySpec);
  if (POLICY_ORDER.indexOf(next.exportPolicy) < POLICY_ORDER.indexOf(previous.exportPolicy)) {
    // As in KMS and Vault, a key that was not exportable does not become exportable by rotating it.
    fail(
      "exportPolicy",
      `a rotation cannot loosen the export policy from "${previous.exportPolicy}" to "${next.exportPolicy}"; create a new key with that policy`,
    );
  }
  return next;
}
