import {
  ExportPolicy,
  KeyClass,
  KeyType,
  type KeyInputFormat,
  type KeyRef,
  type KeySpec,
  type NormalizedKeySpec,
} from "@keyprovider/core";

/**
 * What the secondary keeps of a key.
 *
 * - `public_only` (default): the public key of every asymmetric key (and the public part of an
 *   opaque key); secrets stay on the primary.
 * - `full`: also the secret of every key whose export policy is `secret_when_allowed`; every other
 *   key falls back to its public key.
 * - `none`: nothing; reads still fail over to whatever the secondary holds.
 *
 * @example
 * ```ts
 * const mode: MirrorMode = "full";
 * ```
 */
export type MirrorMode = "public_only" | "full" | "none";

/** The modes, for validation. @internal */
export const MIRROR_MODES: readonly MirrorMode[] = Object.freeze(["public_only", "full", "none"]);

/** One `importKey` call that copies a version to the secondary. */
export interface CopyRequest {
  readonly spec: KeySpec;
  readonly material: Uint8Array | undefined;
  readonly public: Uint8Array | undefined;
  readonly format: KeyInputFormat | undefined;
}

/**
 * The spec that recreates a version exactly: algorithm, class, uses, export policy, label, tags,
 * and for key pairs the encodings (and the RSA size), so the copy's `KeyRef` reads like the
 * original's.
 */
export function specOf(spec: NormalizedKeySpec): KeySpec {
  const common = {
    klass: spec.klass,
    alg: spec.alg,
    uses: spec.uses,
    exportPolicy: spec.exportPolicy,
    ...(spec.label === undefined ? {} : { label: spec.label }),
    tags: spec.tags,
  };
  if (spec.klass !== KeyClass.asymmetric) return common as KeySpec;
  return {
    ...common,
    encoding: spec.encoding,
    publicFormat: spec.publicFormat,
    privateFormat: spec.privateFormat,
    ...(spec.type === KeyType.RSA && spec.sizeBits !== undefined ? { sizeBits: spec.sizeBits } : {}),
  } as KeySpec;
}

/** How `KeyRef.public` or `KeyRef.material` of a key pair is encoded, as an `importKey` format. */
function formatOf(spec: NormalizedKeySpec, half: "public" | "private"): KeyInputFormat {
  const raw = half === "public" ? spec.publicFormat === "Raw" : spec.privateFormat === "Raw";
  if (raw) return "raw";
  return spec.encoding === "DER" ? "der" : "pem";
}

/**
 * The copy of `ref` the secondary gets in `mode`, or `undefined` when the mode copies nothing of
 * it (a symmetric key outside `full` mode, a secret the export policy keeps in, `none`). A secret
 * is copied only from a ref that carries it, which the primary hands out only under
 * `secret_when_allowed`.
 */
export function copyRequest(ref: KeyRef, mode: MirrorMode): CopyRequest | undefined {
  if (mode === "none") return undefined;
  const { spec } = ref;
  const opaque = spec.klass === KeyClass.opaque;
  const secret =
    mode === "full" && spec.exportPolicy === ExportPolicy.SECRET_WHEN_ALLOWED ? ref.material : undefined;
  if (secret !== undefined) {
    if (spec.klass === KeyClass.asymmetric) {
      return { spec: specOf(spec), material: secret, public: undefined, format: formatOf(spec, "private") };
    }
    return {
      spec: specOf(spec),
      material: secret,
      public: opaque ? ref.public : undefined,
      format: opaque ? undefined : "raw",
    };
  }
  if (ref.public === undefined || spec.klass === KeyClass.symmetric) return undefined;
  return {
    spec: specOf(spec),
    material: undefined,
    public: ref.public,
    format: opaque ? undefined : formatOf(spec, "public"),
  };
}

/**
 * Whether `mode` keeps a copy of this key on the secondary (whatever its ref carries): every key
 * with a public part outside `none`, and in `full` mode every `secret_when_allowed` secret.
 */
export function isMirrored(ref: KeyRef, mode: MirrorMode): boolean {
  if (mode === "none") return false;
  if (ref.public !== undefined && ref.spec.klass !== KeyClass.symmetric) return true;
  return mode === "full" && ref.exportPolicy === ExportPolicy.SECRET_WHEN_ALLOWED;
}

function equalBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.compare(a, b) === 0;
}

/**
 * Whether two refs describe the same key: the same algorithm and RFC 7638 fingerprint (the same in
 * every provider for key pairs and exportable secrets). Opaque keys, whose fingerprints are
 * provider-scoped, by their bytes: the public parts, and the secrets where both refs carry them.
 */
export function sameKey(a: KeyRef, b: KeyRef): boolean {
  if (a.alg !== b.alg || a.spec.klass !== b.spec.klass) return false;
  if (a.spec.klass !== KeyClass.opaque) return a.fingerprint === b.fingerprint;
  const samePublic = a.public === undefined ? b.public === undefined : equalBytes(a.public, b.public);
  if (a.material !== undefined && b.material !== undefined)
    return samePublic && equalBytes(a.material, b.material);
  return samePublic && a.public !== undefined;
}
