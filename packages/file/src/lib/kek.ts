// The key-encryption key: checked once when the provider is constructed, used to wrap the store's
// data keys into the header and to unwrap them once per open. Its secret lives in #fields only.
import { Buffer } from "node:buffer";
import { createSecretKey, scrypt, type KeyObject } from "node:crypto";
import { inspect } from "node:util";
import {
  DecryptionError,
  KeyNotFoundError,
  KeyUnavailableError,
  KeyUsageError,
  NotSupportedError,
  StoreIntegrityError,
  StoreUnlockError,
  describeType,
  isValidKid,
  quoteForMessage,
  type KeyProvider,
} from "@keyprovider/core";
import { aesGcmOpen, aesGcmSeal, b64url, b64urlDecode, randomBytes } from "@keyprovider/base";
import type { ScryptParameters } from "../kek.js";

const FORMS =
  "{ passphrase: string }, { key: Uint8Array } (32 bytes) or { provider: KeyProvider, kid: string }";

/** OWASP's recommended scrypt parameters (Password Storage Cheat Sheet). */
export const SCRYPT_DEFAULTS = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });
/** What a store accepts, from its options and from a header (DESIGN §7.7). */
export const SCRYPT_BOUNDS = Object.freeze({
  minN: 2 ** 15,
  maxN: 2 ** 20,
  minR: 8,
  maxR: 16,
  minP: 1,
  maxP: 4,
  maxMemoryBytes: 2 ** 30,
});
const SALT_BYTES = 16;
const KEY_BYTES = 32;

interface Scrypt {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** Why scrypt parameters are out of bounds, or `undefined` if they are fine. */
export function scryptProblem({ N, r, p }: Scrypt): string | undefined {
  const b = SCRYPT_BOUNDS;
  if (!Number.isSafeInteger(N) || N < b.minN || N > b.maxN || (N & (N - 1)) !== 0) {
    return `scrypt N must be a power of two from 2^15 to 2^20, got ${String(N)}`;
  }
  if (!Number.isSafeInteger(r) || r < b.minR || r > b.maxR)
    return `scrypt r must be from 8 to 16, got ${String(r)}`;
  if (!Number.isSafeInteger(p) || p < b.minP || p > b.maxP)
    return `scrypt p must be from 1 to 4, got ${String(p)}`;
  if (128 * N * r > b.maxMemoryBytes) {
    return `scrypt N=${N}, r=${r} needs ${(128 * N * r) / 2 ** 20} MiB; a store allows at most 1024 MiB`;
  }
  return undefined;
}

async function deriveKey(passphrase: string, salt: Uint8Array, { N, r, p }: Scrypt): Promise<KeyObject> {
  const derived = await new Promise<Buffer>((resolve, reject) => {
    scrypt(
      passphrase.normalize("NFC"),
      salt,
      KEY_BYTES,
      { N, r, p, maxmem: 128 * r * (N + p + 2) + 2 ** 20 },
      (error, key) => (error === null ? resolve(key) : reject(error)),
    );
  });
  try {
    return createSecretKey(derived);
  } finally {
    derived.fill(0);
  }
}

/** The KEK as the header describes it (no secret). */
export type KekDescription = Readonly<Record<string, unknown>>;

/** A KEK ready to wrap: its description for the header and the function that seals under it. */
export interface PreparedKek {
  readonly description: KekDescription;
  wrap(plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
}

/**
 * A validated key-encryption key. Its secret is in private fields, so it never shows in
 * `util.inspect`, `JSON.stringify` or an error.
 */
export class Kek {
  readonly type: "passphrase" | "key" | "provider";
  readonly #passphrase: string | undefined;
  readonly #scrypt: Scrypt;
  readonly #key: KeyObject | undefined;
  readonly #provider: KeyProvider | undefined;
  readonly #kid: string | undefined;

  private constructor(fields: {
    type: Kek["type"];
    passphrase?: string;
    scrypt?: Scrypt;
    key?: KeyObject;
    provider?: KeyProvider;
    kid?: string;
  }) {
    this.type = fields.type;
    this.#passphrase = fields.passphrase;
    this.#scrypt = fields.scrypt ?? SCRYPT_DEFAULTS;
    this.#key = fields.key;
    this.#provider = fields.provider;
    this.#kid = fields.kid;
  }

  /** Check a `kek` option: `TypeError` naming the three forms for anything else. */
  static from(value: unknown, name: string): Kek {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new TypeError(`${name} is required and must be one of ${FORMS}; got ${describeType(value)}`);
    }
    const members = Object.keys(value);
    const forms = ["passphrase", "key", "provider"].filter((form) => members.includes(form));
    if (forms.length !== 1) {
      throw new TypeError(
        `${name} must be exactly one of ${FORMS}; got an object with ${members.length === 0 ? "no members" : `members ${members.map((m) => quoteForMessage(m)).join(", ")}`}`,
      );
    }
    const form = forms[0];
    const allowed =
      form === "passphrase" ? ["passphrase", "scrypt"] : form === "key" ? ["key"] : ["provider", "kid"];
    const unknown = members.filter((member) => !allowed.includes(member));
    if (unknown.length > 0) {
      throw new TypeError(
        `${name} has unknown members ${unknown.map((m) => quoteForMessage(m)).join(", ")}; the ${form} form takes ${allowed.join(", ")}`,
      );
    }
    const kek = value as Record<string, unknown>;
    if (form === "passphrase") {
      const passphrase = kek["passphrase"];
      if (typeof passphrase !== "string" || passphrase.length === 0) {
        throw new TypeError(`${name}.passphrase must be a non-empty string, got ${describeType(passphrase)}`);
      }
      return new Kek({
        type: "passphrase",
        passphrase,
        scrypt: scryptOption(kek["scrypt"], `${name}.scrypt`),
      });
    }
    if (form === "key") {
      const key = kek["key"];
      if (!(key instanceof Uint8Array)) {
        throw new TypeError(`${name}.key must be a Uint8Array of 32 bytes, got ${describeType(key)}`);
      }
      if (key.byteLength !== KEY_BYTES) {
        throw new RangeError(`${name}.key must be 32 bytes (an AES-256 key), got ${key.byteLength}`);
      }
      return new Kek({ type: "key", key: createSecretKey(Buffer.from(key)) });
    }
    const provider = kek["provider"] as Partial<KeyProvider> | undefined;
    if (
      typeof provider !== "object" ||
      provider === null ||
      typeof provider.encrypt !== "function" ||
      typeof provider.decrypt !== "function"
    ) {
      throw new TypeError(
        `${name}.provider must be a KeyProvider (with encrypt and decrypt), got ${describeType(provider)}`,
      );
    }
    const kid = kek["kid"];
    if (typeof kid !== "string" || !isValidKid(kid)) {
      throw new TypeError(
        `${name}.kid must be the kid of a key of ${name}.provider (1-128 characters of A-Z, a-z, 0-9, "_", "-")`,
      );
    }
    return new Kek({ type: "provider", provider: provider as KeyProvider, kid });
  }

  /** How errors and the header name this KEK: never its secret. */
  get label(): string {
    if (this.type === "provider") return `key ${quoteForMessage(this.#kid)} of ${this.#provider!.name}`;
    return this.type === "passphrase" ? "a passphrase" : "a 32-byte key";
  }

  /** Make what a new header needs: the KEK's description (a fresh salt) and the sealing function. */
  async prepare(signal: AbortSignal | undefined): Promise<PreparedKek> {
    if (this.type === "passphrase") {
      const salt = randomBytes(SALT_BYTES);
      const key = await deriveKey(this.#passphrase!, salt, this.#scrypt);
      return {
        description: { type: "passphrase", kdf: "scrypt", ...this.#scrypt, salt: b64url(salt) },
        wrap: async (plaintext, aad) => sealed(key, plaintext, aad),
      };
    }
    if (this.type === "key") {
      return {
        description: { type: "key" },
        wrap: async (plaintext, aad) => sealed(this.#key!, plaintext, aad),
      };
    }
    const provider = this.#provider!;
    const kid = this.#kid!;
    return {
      description: { type: "provider", provider: provider.name, kid },
      wrap: (plaintext, aad) =>
        provider.encrypt(kid, plaintext, { aad, ...(signal === undefined ? {} : { signal }) }),
    };
  }

  /**
   * Unwrap the data keys sealed in a header's body. A wrong passphrase or key, or a KEK provider
   * that cannot decrypt, is `StoreUnlockError`; a header whose KEK description is malformed or out
   * of bounds is `StoreIntegrityError`.
   */
  async unwrap(
    description: unknown,
    body: Uint8Array,
    aad: Uint8Array,
    display: string,
    signal: AbortSignal | undefined,
  ): Promise<Uint8Array> {
    const described =
      typeof description === "object" && description !== null ? (description as Record<string, unknown>) : {};
    const type = described["type"];
    if (type !== "passphrase" && type !== "key" && type !== "provider") {
      throw new StoreIntegrityError(`The key store ${display} does not say how its data key is wrapped`, {
        record: "header",
      });
    }
    if (type !== this.type) {
      const form =
        type === "passphrase" ? "{ passphrase }" : type === "key" ? "{ key }" : "{ provider, kid }";
      throw new StoreUnlockError(
        `The key store ${display} was sealed with ${type === "key" ? "a 32-byte key" : type === "passphrase" ? "a passphrase" : "another provider's key"}, not ${this.label}: pass kek ${form}`,
      );
    }
    const failed = (cause?: unknown) =>
      new StoreUnlockError(
        `Could not unlock the key store ${display} with ${this.label}: the ${this.type === "passphrase" ? "passphrase is wrong" : this.type === "key" ? "key is wrong" : "key cannot decrypt its data key"}, or the header was altered. Nothing was changed`,
        cause === undefined ? undefined : { cause },
      );
    if (type === "provider") {
      if (described["kid"] !== this.#kid) {
        throw new StoreUnlockError(
          `The key store ${display} was sealed with key ${quoteForMessage(described["kid"])}${typeof described["provider"] === "string" ? ` of ${described["provider"]}` : ""}, not ${this.label}`,
        );
      }
      try {
        return await this.#provider!.decrypt(this.#kid!, body, {
          aad,
          ...(signal === undefined ? {} : { signal }),
        });
      } catch (error) {
        // The key refused, is gone, disabled or pending deletion: this KEK cannot open the store.
        const refused =
          DecryptionError.isInstance(error) ||
          KeyNotFoundError.isInstance(error) ||
          KeyUnavailableError.isInstance(error) ||
          KeyUsageError.isInstance(error) ||
          NotSupportedError.isInstance(error);
        if (refused) throw failed(error);
        throw error; // unavailable, throttled, denied by IAM, aborted: said as the provider says it
      }
    }
    let key = this.#key;
    if (type === "passphrase") {
      const params = { N: described["N"], r: described["r"], p: described["p"] } as Scrypt;
      const salt = typeof described["salt"] === "string" ? b64urlDecode(described["salt"]) : undefined;
      const problem = described["kdf"] !== "scrypt" ? "its KDF is not scrypt" : scryptProblem(params);
      if (problem !== undefined || salt === undefined || salt.byteLength < SALT_BYTES) {
        throw new StoreIntegrityError(
          `The key store ${display} has unacceptable passphrase parameters (${problem ?? "a malformed salt"}); it is not opened`,
          { record: "header" },
        );
      }
      key = await deriveKey(this.#passphrase!, salt, params);
    }
    try {
      return aesGcmOpen(key!, body.subarray(0, 12), body.subarray(12), aad);
    } catch {
      throw failed();
    }
  }

  toJSON(): { type: string } {
    return { type: this.type };
  }

  [inspect.custom](): string {
    return `Kek { ${this.type} }`;
  }
}

function sealed(key: KeyObject, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const { nonce, body } = aesGcmSeal(key, plaintext, aad);
  return Buffer.concat([nonce, body]);
}

function scryptOption(value: unknown, name: string): Scrypt {
  if (value === undefined) return SCRYPT_DEFAULTS;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an object { N?, r?, p? }, got ${describeType(value)}`);
  }
  const given = value as ScryptParameters & Record<string, unknown>;
  const unknown = Object.keys(given).filter((member) => !["N", "r", "p"].includes(member));
  if (unknown.length > 0)
    throw new TypeError(
      `${name} has unknown members ${unknown.map((m) => quoteForMessage(m)).join(", ")}; it takes N, r, p`,
    );
  for (const member of ["N", "r", "p"] as const) {
    if (given[member] !== undefined && typeof given[member] !== "number") {
      throw new TypeError(`${name}.${member} must be a number, got ${describeType(given[member])}`);
    }
  }
  const params = {
    N: given.N ?? SCRYPT_DEFAULTS.N,
    r: given.r ?? SCRYPT_DEFAULTS.r,
    p: given.p ?? SCRYPT_DEFAULTS.p,
  };
  const problem = scryptProblem(params);
  if (problem !== undefined) throw new RangeError(`${name}: ${problem}`);
  return Object.freeze(params);
}
