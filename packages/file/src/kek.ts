import type { KeyProvider } from "@keyprovider/core";

/**
 * scrypt cost parameters for a passphrase KEK. The defaults are OWASP's recommendation for scrypt
 * (N = 2^17, r = 8, p = 1: 128 MiB and about a third of a second per unlock). A store accepts N
 * from 2^15 to 2^20 (a power of two), r from 8 to 16, p from 1 to 4, and at most 1 GiB of memory
 * (128 · N · r bytes), both when you set them and when it reads them from a header.
 *
 * @example
 * ```ts
 * const scrypt: ScryptParameters = { N: 2 ** 18 }; // twice the default work
 * ```
 */
export interface ScryptParameters {
  /** CPU/memory cost, a power of two from 2^15 to 2^20. Default 2^17. */
  readonly N?: number;
  /** Block size, 8 to 16. Default 8. */
  readonly r?: number;
  /** Parallelisation, 1 to 4. Default 1. */
  readonly p?: number;
}

/**
 * A passphrase KEK: the store's data key is wrapped with AES-256-GCM under scrypt(passphrase,
 * salt). The salt and the cost parameters are kept in the store header; the passphrase never is.
 *
 * @example
 * ```ts
 * const kek: PassphraseKek = { passphrase: process.env.KEYPROVIDER_PASSPHRASE! };
 * ```
 */
export interface PassphraseKek {
  readonly passphrase: string;
  /** Cost parameters for a new store (or a `rekey`); an existing store keeps those in its header. */
  readonly scrypt?: ScryptParameters;
}

/**
 * A raw KEK: 32 bytes (from a secret manager, an HSM export, a file only root reads) that wraps the
 * store's data key with AES-256-GCM. The provider keeps its own copy; the bytes are never written.
 *
 * @example
 * ```ts
 * const kek: RawKek = { key: new Uint8Array(Buffer.from(process.env.KEYPROVIDER_KEK!, "base64url")) };
 * ```
 */
export interface RawKek {
  readonly key: Uint8Array;
}

/**
 * A KEK held by another provider, as Tink's KMS-envelope keysets do: the store's data key is
 * encrypted with `provider.encrypt(kid, …)` when the store is made, and decrypted with
 * `provider.decrypt` once per open. With an AWS KMS key, the data key can be unwrapped only by a
 * principal allowed to call `Decrypt` on it, and every unwrap is in CloudTrail.
 *
 * @example
 * ```ts
 * const kms = new AwsKmsKeyProvider({ region: "eu-west-1" });
 * const kek: ProviderKek = { provider: kms, kid: "store-kek" };
 * ```
 */
export interface ProviderKek {
  readonly provider: KeyProvider;
  /** A key of `provider` whose uses include encrypt and decrypt (AES-256-GCM, RSA-OAEP, X25519). */
  readonly kid: string;
}

/**
 * The key-encryption key of a {@link FileKeyProvider} store: one of a passphrase, 32 raw bytes, or
 * a key of another provider. It wraps the store's random data key and is never written anywhere.
 *
 * @example
 * ```ts
 * const kek: FileKek = { passphrase: process.env.KEYPROVIDER_PASSPHRASE! };
 * ```
 */
export type FileKek = PassphraseKek | RawKek | ProviderKek;
