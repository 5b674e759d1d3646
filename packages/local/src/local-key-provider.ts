import { KeyAlg, KeyClass, ProviderFeature, type ProviderSupports } from "@keyprovider/core";
import { InProcessKeyProvider, assertOptions } from "@keyprovider/base";

/**
 * Options of {@link LocalKeyProvider}. There are none yet; the object is accepted so that registry
 * configuration can pass `{}`.
 *
 * @example
 * ```ts
 * const options: LocalKeyProviderOptions = {};
 * ```
 */
export type LocalKeyProviderOptions = Record<string, never>;

const SUPPORTS: ProviderSupports = Object.freeze({
  class: Object.freeze([KeyClass.symmetric, KeyClass.asymmetric]),
  algs: Object.freeze(Object.values(KeyAlg)),
  features: Object.freeze([
    ProviderFeature.CREATE,
    ProviderFeature.IMPORT,
    ProviderFeature.ROTATE,
    ProviderFeature.STAGE,
    ProviderFeature.DESTROY,
    ProviderFeature.EXPORT,
    ProviderFeature.JWKS,
    ProviderFeature.SIGN,
    ProviderFeature.ENCRYPT,
    ProviderFeature.DERIVE,
    ProviderFeature.HKDF,
    ProviderFeature.RANDOM,
    ProviderFeature.NON_EXPORTABLE,
  ]),
});

/**
 * Real keys in process memory, made and held by `node:crypto`, and used there: every algorithm of
 * keyprovider — Ed25519, X25519, ECDSA P-256/P-384/P-521, RSA-PSS and RSASSA-PKCS1-v1_5 with
 * SHA-256/384/512, RSA-OAEP-256 (2048, 3072 or 4096 bits; default 3072), AES-256-GCM and
 * HMAC-SHA256.
 *
 * - Keys sign, verify, encrypt, decrypt and agree where they live: a key with `exportPolicy: "none"`
 *   (the default) never leaves the provider, yet signs JWTs through `@keyprovider/jwt`.
 * - `KeyRef.public` is SPKI PEM by default, or DER, or the raw 32-byte key for Ed25519/X25519, per
 *   the spec's `encoding` and `publicFormat`; `exportKey` gives PEM, DER or JWK.
 * - Imports take PEM, DER, raw keys, JWKs (objects or JSON), `KeyObject`s and `CryptoKey`s; a public
 *   key alone makes a verification-only key; a public key that does not belong to the private key
 *   is refused, as are weak RSA exponents and X25519 low-order points.
 * - Public JWKs carry `kid` = `"<kid>.<version>"`, `alg` and `use`, are built once per version, and
 *   `jwks()` publishes each kid's primary and any newer staged version.
 *
 * @example
 * ```ts
 * import { LocalKeyProvider } from "@keyprovider/local";
 *
 * const provider = new LocalKeyProvider();
 * const { kid } = await provider.createKey({ alg: "ED25519" }); // exportPolicy "none"
 * const signature = await provider.sign(kid, new TextEncoder().encode("hello"));
 * const jwks = await provider.jwks(); // { keys: [{ kty: "OKP", crv: "Ed25519", kid: "….1", alg: "EdDSA", use: "sig", x }] }
 * ```
 */
export class LocalKeyProvider extends InProcessKeyProvider {
  readonly name = "LocalKeyProvider";

  constructor(options?: LocalKeyProviderOptions) {
    super();
    assertOptions(options, "LocalKeyProvider options", []);
  }

  supports(): ProviderSupports {
    return SUPPORTS;
  }
}
