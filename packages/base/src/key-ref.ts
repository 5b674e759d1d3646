import type {
  ExportPolicy,
  KeyAlg,
  KeyRef,
  KeyStatus,
  KeyType,
  KeyUse,
  NormalizedKeySpec,
} from "@keyprovider/core";
import { b64url } from "./base64url.js";

const INSPECT = Symbol.for("nodejs.util.inspect.custom");

/**
 * What `JSON.stringify(ref)` produces: no secret, `public` as base64url, and no `spec` (read it as
 * `ref.spec`).
 *
 * @example
 * ```ts
 * const json = JSON.parse(JSON.stringify(ref)) as KeyRefJson;
 * json.material; // "[redacted]" or undefined
 * ```
 */
export interface KeyRefJson {
  readonly kid: string;
  readonly version: number;
  readonly status: KeyStatus;
  readonly type: KeyType;
  readonly alg: KeyAlg;
  readonly uses: readonly KeyUse[];
  readonly exportPolicy: ExportPolicy;
  readonly uri?: string;
  readonly public?: string;
  /** `"[redacted]"` when the ref carries material; the material itself never appears. */
  readonly material?: "[redacted]";
  readonly tags: Readonly<Record<string, string>>;
  readonly fingerprint: string;
}

/**
 * The fields of a {@link KeyRef}, as a provider assembles them.
 *
 * @example
 * ```ts
 * const fields: KeyRefFields = { kid, version: 1, status: "primary", type: "ed25519", alg: "ED25519",
 *   uses: ["sign"], exportPolicy: "public_only", tags: {}, fingerprint, spec };
 * ```
 */
export type KeyRefFields = Omit<KeyRef, "uri" | "public" | "material"> & {
  readonly uri?: string | undefined;
  readonly public?: Uint8Array | undefined;
  readonly material?: Uint8Array | undefined;
};

class FrozenKeyRef {
  declare readonly kid: string;
  declare readonly version: number;
  declare readonly status: KeyStatus;
  declare readonly spec: NormalizedKeySpec;
  declare readonly type: KeyType;
  declare readonly alg: KeyAlg;
  declare readonly uses: readonly KeyUse[];
  declare readonly exportPolicy: ExportPolicy;
  declare readonly uri?: string;
  declare readonly public?: Uint8Array;
  declare readonly material?: Uint8Array;
  declare readonly tags: Readonly<Record<string, string>>;
  declare readonly fingerprint: string;

  toJSON(): KeyRefJson {
    return {
      kid: this.kid,
      version: this.version,
      status: this.status,
      type: this.type,
      alg: this.alg,
      uses: this.uses,
      exportPolicy: this.exportPolicy,
      ...(this.uri === undefined ? {} : { uri: this.uri }),
      ...(this.public === undefined ? {} : { public: b64url(this.public) }),
      ...(this.material === undefined ? {} : { material: "[redacted]" as const }),
      tags: this.tags,
      fingerprint: this.fingerprint,
    };
  }

  toString(): string {
    return `KeyRef(${this.kid} v${this.version} ${this.alg})`;
  }

  [INSPECT](depth: number, options: object, inspect: (value: unknown, options: object) => string): string {
    return `KeyRef ${inspect(this.toJSON(), options)}`;
  }
}

/**
 * Build a frozen {@link KeyRef}. `material` is copied and stored as a non-enumerable property: it
 * stays readable as `ref.material`, but spreading, `JSON.stringify`, `String` and `util.inspect`
 * (so `console.log`) never show it. `public` is copied too, so no caller can alter the stored key.
 *
 * @example
 * ```ts
 * const ref = createKeyRef({ kid, version: 1, status: "primary", type: "symmetric", alg: "AES256_GCM",
 *   uses: ["encrypt"], exportPolicy: "secret_when_allowed", material: secret, tags: {}, fingerprint, spec });
 * JSON.stringify(ref); // {"kid":"…","material":"[redacted]",…}
 * ref.material;        // Uint8Array(32)
 * ```
 */
export function createKeyRef(fields: KeyRefFields): KeyRef {
  const ref = new FrozenKeyRef() as unknown as Record<string, unknown>;
  ref["kid"] = fields.kid;
  ref["version"] = fields.version;
  ref["status"] = fields.status;
  ref["type"] = fields.type;
  ref["alg"] = fields.alg;
  ref["uses"] = Object.isFrozen(fields.uses) ? fields.uses : Object.freeze([...fields.uses]);
  ref["exportPolicy"] = fields.exportPolicy;
  if (fields.uri !== undefined) ref["uri"] = fields.uri;
  if (fields.public !== undefined) ref["public"] = fields.public.slice();
  if (fields.material !== undefined) {
    Object.defineProperty(ref, "material", {
      value: fields.material.slice(),
      enumerable: false,
      writable: false,
      configurable: false,
    });
  }
  ref["tags"] = Object.isFrozen(fields.tags) ? fields.tags : Object.freeze({ ...fields.tags });
  ref["fingerprint"] = fields.fingerprint;
  // Not enumerable, like material: a spread copy or a generic logger stays short.
  Object.defineProperty(ref, "spec", {
    value: fields.spec,
    enumerable: false,
    writable: false,
    configurable: false,
  });
  return Object.freeze(ref) as unknown as KeyRef;
}
