import { Buffer } from "node:buffer";
import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import {
  InvalidKeyMaterialError,
  KeyAlg,
  KeyClass,
  ProviderFeature,
  type ProviderSupports,
} from "@keyprovider/core";
import {
  KeyProviderBase,
  MAX_IMPORTED_SECRET_BYTES,
  assertOptions,
  randomBytes,
  importedSecretMaterial,
  randomSecretMaterial,
  type ImportInput,
  type KeyMaterial,
  type NormalizedKeySpec,
} from "@keyprovider/base";

/**
 * Options of {@link InMemoryKeyProvider}. There are none yet; the object is accepted so that
 * registry configuration can pass `{}`.
 *
 * @example
 * ```ts
 * const options: InMemoryKeyProviderOptions = {};
 * ```
 */
export type InMemoryKeyProviderOptions = Record<string, never>;

interface InMemoryMaterial extends KeyMaterial {
  /** Length of the secret, so an opaque key rotates to fresh bytes of the same length. */
  readonly secretLength: number | undefined;
}

const SECRET_BYTES = 32;

const SUPPORTS: ProviderSupports = Object.freeze({
  class: Object.freeze([KeyClass.symmetric, KeyClass.opaque]),
  algs: Object.freeze([KeyAlg.AES256_GCM, KeyAlg.HMAC_SHA256]),
  features: Object.freeze([
    ProviderFeature.CREATE,
    ProviderFeature.IMPORT,
    ProviderFeature.ROTATE,
    ProviderFeature.DESTROY,
    ProviderFeature.HKDF,
    ProviderFeature.RANDOM,
  ]),
});

/**
 * Volatile keys in process memory; nothing is written to disk and everything is gone when the
 * process exits. For tests, CI and ephemeral services.
 *
 * - Symmetric keys (`AES256_GCM`, `HMAC_SHA256`) of 32 CSPRNG bytes; imports take raw bytes or an
 *   `oct` JWK (AES: exactly 32 bytes; HMAC: at least 32, per RFC 7518 §3.2).
 * - Opaque keys: bytes stored uninterpreted under any `alg` label (32 random bytes when created;
 *   imports of up to 64 KiB, with an optional public part). Rotation draws fresh random bytes of the
 *   same length.
 * - No JWKs: `getPublicJwk` and `jwks` throw `NotSupportedError`. Use `LocalKeyProvider` for key pairs.
 *
 * Secrets are held in `node:crypto` KeyObjects and handed out only as the export policy allows.
 *
 * @example
 * ```ts
 * import { InMemoryKeyProvider } from "@keyprovider/inmemory";
 *
 * const provider = new InMemoryKeyProvider();
 * const ref = await provider.createKey({
 *   klass: "sym", alg: "AES256_GCM", uses: ["encrypt", "decrypt"], exportPolicy: "secret_when_allowed",
 * });
 * ref.material; // Uint8Array(32)
 * ```
 */
export class InMemoryKeyProvider extends KeyProviderBase<InMemoryMaterial> {
  readonly name = "InMemoryKeyProvider";
  readonly #fingerprintKey = createSecretKey(randomBytes(32));

  constructor(options?: InMemoryKeyProviderOptions) {
    super();
    assertOptions(options, "InMemoryKeyProvider options", []);
  }

  supports(): ProviderSupports {
    return SUPPORTS;
  }

  protected async generateMaterial(
    spec: NormalizedKeySpec,
    previous?: InMemoryMaterial,
  ): Promise<InMemoryMaterial> {
    if (spec.klass !== KeyClass.opaque) return randomSecretMaterial(SECRET_BYTES);
    const secret = randomBytes(previous?.secretLength ?? SECRET_BYTES);
    try {
      return opaqueMaterial(this.#fingerprintKey, { material: secret });
    } finally {
      secret.fill(0);
    }
  }

  protected async importMaterial(spec: NormalizedKeySpec, input: ImportInput): Promise<InMemoryMaterial> {
    if (spec.klass === KeyClass.symmetric) return importedSecretMaterial(spec, input);
    return opaqueMaterial(this.#fingerprintKey, input);
  }
}

/**
 * Opaque keys are bytes of unknown strength (often a password or an API token), so their fingerprint
 * is not a plain hash, which would let anyone who sees it test guesses offline: it is an HMAC keyed
 * with a random per-provider key. It identifies the key within this provider only.
 */
function opaqueMaterial(fingerprintKey: KeyObject, input: ImportInput): InMemoryMaterial {
  for (const [name, bytes] of [
    ["material", input.material],
    ["options.public", input.public],
  ] as const) {
    if (bytes !== undefined && (bytes.byteLength === 0 || bytes.byteLength > MAX_IMPORTED_SECRET_BYTES)) {
      throw new InvalidKeyMaterialError(
        `Opaque ${name} must be 1 to ${MAX_IMPORTED_SECRET_BYTES} bytes, got ${bytes.byteLength}`,
      );
    }
  }
  const identified = input.material ?? input.public!;
  const fingerprint = createHmac("sha256", fingerprintKey).update(identified).digest("base64url");
  const secret = input.material === undefined ? undefined : createSecretKey(Buffer.from(input.material));
  return Object.freeze({
    fingerprint,
    secretLength: input.material?.byteLength,
    ...(input.public === undefined ? {} : { public: input.public.slice() }),
    ...(secret === undefined ? {} : { exportSecret: () => new Uint8Array(secret.export()) }),
  });
}
