import { KeyAlg, KeyClass, ProviderFeature, type ProviderSupports } from "@keyprovider/core";
import {
  KeyProviderBase,
  assertOptions,
  importedSecretMaterial,
  randomSecretMaterial,
  type ImportInput,
  type KeyMaterial,
  type NormalizedKeySpec,
} from "@keyprovider/base";
import { createPublicKey } from "node:crypto";
import {
  asymmetricMaterial,
  assertSamePublicKey,
  generateAsymmetricKey,
  parsePrivateKey,
  parsePublicKey,
} from "./key-pairs.js";

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
  algs: Object.freeze([
    KeyAlg.ED25519,
    KeyAlg.X25519,
    KeyAlg.ECDSA_P256_SHA256,
    KeyAlg.RSA_PSS_SHA256,
    KeyAlg.RSA_OAEP_SHA256,
    KeyAlg.AES256_GCM,
    KeyAlg.HMAC_SHA256,
  ]),
  features: Object.freeze([
    ProviderFeature.CREATE,
    ProviderFeature.IMPORT,
    ProviderFeature.ROTATE,
    ProviderFeature.DESTROY,
    ProviderFeature.JWKS,
    ProviderFeature.HKDF,
    ProviderFeature.RANDOM,
  ]),
});

/**
 * Real keys in process memory, made and held by `node:crypto`: Ed25519, X25519, ECDSA P-256,
 * RSA-PSS and RSA-OAEP (2048, 3072 or 4096 bits; default 3072), AES-256-GCM and HMAC-SHA256.
 *
 * - `KeyRef.public` is SPKI PEM by default, or DER, or the raw 32-byte key for Ed25519/X25519, per
 *   the spec's `encoding` and `publicFormat`; `material` is PKCS#8 PEM/DER or raw per
 *   `privateFormat`. Rotation keeps the size and encodings.
 * - Imports take PEM, DER (PKCS#8, SPKI), raw Ed25519/X25519 keys and secrets, and JWK JSON; a
 *   public key alone makes a verification-only key; a public key that does not belong to the private
 *   key is refused.
 * - Public JWKs carry `kid` = `"<kid>.<version>"`, `alg` and `use`, are built once per version, and
 *   `jwks()` publishes every asymmetric key whatever its encoding. Symmetric keys are never published.
 * - Private keys and secrets stay in KeyObjects and leave only as the export policy allows.
 *
 * @example
 * ```ts
 * import { LocalKeyProvider } from "@keyprovider/local";
 *
 * const provider = new LocalKeyProvider();
 * const ref = await provider.createKey({
 *   klass: "asym", alg: "ED25519", uses: ["sign", "verify"], exportPolicy: "public_only",
 * });
 * const jwks = await provider.jwks(); // { keys: [{ kty: "OKP", crv: "Ed25519", kid: "….1", alg: "EdDSA", use: "sig", x }] }
 * ```
 */
export class LocalKeyProvider extends KeyProviderBase {
  readonly name = "LocalKeyProvider";

  constructor(options?: LocalKeyProviderOptions) {
    super();
    assertOptions(options, "LocalKeyProvider options", []);
  }

  supports(): ProviderSupports {
    return SUPPORTS;
  }

  protected async generateMaterial(spec: NormalizedKeySpec): Promise<KeyMaterial> {
    if (spec.klass === KeyClass.symmetric) return randomSecretMaterial();
    const { publicKey, privateKey } = await generateAsymmetricKey(spec);
    return asymmetricMaterial(spec, publicKey, privateKey);
  }

  protected async importMaterial(spec: NormalizedKeySpec, input: ImportInput): Promise<KeyMaterial> {
    if (spec.klass === KeyClass.symmetric) return importedSecretMaterial(spec, input);
    const privateKey = input.material === undefined ? undefined : parsePrivateKey(spec, input.material);
    const givenPublic = input.public === undefined ? undefined : parsePublicKey(spec, input.public);
    if (privateKey !== undefined && givenPublic !== undefined) assertSamePublicKey(privateKey, givenPublic);
    const publicKey = givenPublic ?? createPublicKey(privateKey!);
    return asymmetricMaterial(spec, publicKey, privateKey);
  }
}
