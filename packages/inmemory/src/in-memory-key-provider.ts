import { KeyAlg, KeyClass, ProviderFeature, type ProviderSupports } from "@keyprovider/core";
import { InProcessKeyProvider, assertOptions } from "@keyprovider/base";

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

const SUPPORTS: ProviderSupports = Object.freeze({
  class: Object.freeze([KeyClass.symmetric, KeyClass.opaque]),
  algs: Object.freeze([KeyAlg.AES256_GCM, KeyAlg.HMAC_SHA256]),
  features: Object.freeze([
    ProviderFeature.CREATE,
    ProviderFeature.IMPORT,
    ProviderFeature.ROTATE,
    ProviderFeature.STAGE,
    ProviderFeature.DESTROY,
    ProviderFeature.EXPORT,
    ProviderFeature.SIGN,
    ProviderFeature.ENCRYPT,
    ProviderFeature.HKDF,
    ProviderFeature.RANDOM,
    ProviderFeature.NON_EXPORTABLE,
  ]),
});

/**
 * Volatile keys in process memory; nothing is written to disk and everything is gone when the
 * process exits. For tests, CI and ephemeral services.
 *
 * - Symmetric keys (`AES256_GCM`, `HMAC_SHA256`) of 32 CSPRNG bytes, used in place: HMAC-SHA256
 *   `sign`/`verify` and AES-256-GCM `encrypt`/`decrypt` (in keyprovider's versioned envelope).
 *   Imports take raw bytes, an `oct` JWK or a secret `KeyObject` (AES: exactly 32 bytes; HMAC: at
 *   least 32, per RFC 7518 §3.2).
 * - Opaque keys: bytes stored uninterpreted under any `alg` label (32 random bytes when created;
 *   imports of up to 64 KiB, with an optional public part), with no key operations. Rotation draws
 *   fresh random bytes of the same length.
 * - No JWKs: `getPublicJwk` and `jwks` throw `NotSupportedError`. Use `LocalKeyProvider` for key pairs.
 *
 * @example
 * ```ts
 * import { InMemoryKeyProvider } from "@keyprovider/inmemory";
 *
 * const provider = new InMemoryKeyProvider();
 * const { kid } = await provider.createKey({ alg: "AES256_GCM" });
 * const sealed = await provider.encrypt(kid, new TextEncoder().encode("secret"));
 * await provider.decrypt(kid, sealed); // Uint8Array of "secret"
 * ```
 */
export class InMemoryKeyProvider extends InProcessKeyProvider {
  readonly name = "InMemoryKeyProvider";

  constructor(options?: InMemoryKeyProviderOptions) {
    super();
    assertOptions(options, "InMemoryKeyProvider options", []);
  }

  supports(): ProviderSupports {
    return SUPPORTS;
  }
}
