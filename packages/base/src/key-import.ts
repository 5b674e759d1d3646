import { Buffer } from "node:buffer";
import {
  KeyObject,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  type JsonWebKey,
  type webcrypto,
} from "node:crypto";
import {
  InvalidKeyMaterialError,
  KeyClass,
  KeyType,
  describeType,
  displayValue,
  type Jwk,
  type KeyInput,
  type KeyInputFormat,
  type NormalizedKeySpec,
} from "@keyprovider/core";
import { ALGORITHMS, RSA_SIZES_TEXT, type AlgorithmInfo } from "./algorithms.js";
import { b64urlDecode } from "./base64url.js";
import { bufferOf, okpCurve, pemLabel, pkcs8FromRaw, spkiFromRaw, toBytes } from "./encoding.js";
import { hasPrivateMembers, publicJwkMembers } from "./jwk.js";
import { x25519Agree } from "./key-operations.js";
import {
  assertJwkIntent,
  parseJwkJson,
  symmetricSecretFromImport,
  MAX_IMPORTED_SECRET_BYTES,
} from "./key-material.js";

/**
 * A key as a provider stores it after import: key objects for key pairs and secrets, bytes for
 * opaque keys.
 *
 * @example
 * ```ts
 * const parsed = parseKeyImport(spec, pem, undefined, {});
 * parsed.privateKey?.asymmetricKeyType; // "ed25519"
 * ```
 */
export interface ParsedKey {
  /** The public key of an asymmetric key (derived from the private key if not given). */
  readonly publicKey?: KeyObject;
  /** The private key of an asymmetric key; absent for a public-only import. */
  readonly privateKey?: KeyObject;
  /** The secret of a symmetric key. */
  readonly secret?: KeyObject;
  /** The bytes of an opaque key. */
  readonly opaque?: { readonly material?: Uint8Array; readonly public?: Uint8Array };
}

/**
 * How {@link parseKeyImport} reads its inputs.
 *
 * @example
 * ```ts
 * const options: ParseKeyOptions = { format: "raw" };
 * ```
 */
export interface ParseKeyOptions {
  /** How to read byte inputs; by default PEM, JWK JSON, raw keys and DER are told apart by shape. */
  readonly format?: KeyInputFormat | undefined;
  /** Accept RSA public exponents below 65537 (odd and above 1 only). */
  readonly allowSmallRsaExponent?: boolean | undefined;
}

type Normalized =
  | { readonly kind: "bytes"; readonly bytes: Uint8Array; readonly fromString: boolean }
  | { readonly kind: "key"; readonly key: KeyObject }
  | { readonly kind: "jwk"; readonly jwk: Record<string, unknown> };

const PUBLIC_PEM_LABELS = ["PUBLIC KEY", "RSA PUBLIC KEY"];
const PRIVATE_PEM_LABELS = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"];
const MIN_RSA_EXPONENT = 65_537n;

/** Any {@link KeyInput} as bytes, a KeyObject or a JWK object; `TypeError` for anything else. */
function normalize(input: unknown, name: string, format: KeyInputFormat | undefined): Normalized {
  if (input instanceof Uint8Array) return { kind: "bytes", bytes: input, fromString: false };
  if (typeof input === "string") {
    const trimmed = input.trimStart();
    const looksPem = trimmed.startsWith("-----BEGIN ");
    const looksJson = trimmed.startsWith("{");
    if ((format === undefined && !looksPem && !looksJson) || format === "der" || format === "raw") {
      throw new TypeError(
        `${name} is a string, which must be PEM or JWK JSON; pass DER or raw keys as a Uint8Array`,
      );
    }
    return { kind: "bytes", bytes: toBytes(input), fromString: true };
  }
  if (input instanceof KeyObject) return { kind: "key", key: input };
  const CryptoKeyClass = (globalThis as { CryptoKey?: abstract new () => object }).CryptoKey;
  if (CryptoKeyClass !== undefined && input instanceof CryptoKeyClass) {
    const cryptoKey = input as webcrypto.CryptoKey;
    // node:crypto would read a non-extractable key anyway; its holder said the secret stays in it.
    if (!cryptoKey.extractable && cryptoKey.type !== "public") {
      throw new InvalidKeyMaterialError(
        `${name} is a non-extractable CryptoKey: its key material may not leave it, so it cannot be imported; generate or import it as extractable`,
      );
    }
    return { kind: "key", key: KeyObject.from(cryptoKey) };
  }
  if (
    typeof input === "object" &&
    input !== null &&
    !Array.isArray(input) &&
    typeof (input as { kty?: unknown }).kty === "string"
  ) {
    return { kind: "jwk", jwk: { ...(input as Record<string, unknown>) } };
  }
  throw new TypeError(
    `${name} must be a Uint8Array, a PEM or JWK JSON string, a KeyObject, a CryptoKey or a JWK object, got ${describeType(input)}`,
  );
}

/** What a byte input holds, by the caller's `format` or by its shape. */
function byteFormat(
  bytes: Uint8Array,
  format: KeyInputFormat | undefined,
  info: AlgorithmInfo,
): KeyInputFormat {
  if (format !== undefined) return format;
  if (pemLabel(bytes) !== undefined) return "pem";
  if (parseJwkJson(bytes) !== undefined) return "jwk";
  const curve = okpCurve(info.alg);
  if (curve !== undefined && bytes.byteLength === 32) return "raw";
  return "der";
}

function jwkOf(bytes: Uint8Array): Record<string, unknown> {
  const jwk = parseJwkJson(bytes);
  if (jwk === undefined)
    throw new InvalidKeyMaterialError('The bytes are not a JWK: a JSON object with "kty"');
  return jwk;
}

/**
 * Parse what `importKey` was given into the key a provider stores, refusing what does not fit the
 * spec: the wrong algorithm, curve or size, a public key passed as material (or a private key as
 * `public`), a public key that does not belong to the private key, encrypted PEM, an RSA exponent of
 * 1 or an even one (and below 65537 unless allowed), an X25519 low-order point. Messages say what
 * was wrong and what to pass instead, never what the bytes were.
 *
 * @example
 * ```ts
 * const { publicKey, privateKey } = parseKeyImport(spec, pkcs8Pem, undefined, {});
 * ```
 */
export function parseKeyImport(
  spec: NormalizedKeySpec,
  material: KeyInput | undefined,
  publicInput: KeyInput | undefined,
  options: ParseKeyOptions,
): ParsedKey {
  if (spec.klass === KeyClass.opaque) {
    const bytes = (value: unknown, name: string) => {
      if (value === undefined) return undefined;
      if (!(value instanceof Uint8Array)) {
        throw new TypeError(`${name} of an opaque key must be a Uint8Array, got ${describeType(value)}`);
      }
      if (value.byteLength === 0 || value.byteLength > MAX_IMPORTED_SECRET_BYTES) {
        throw new InvalidKeyMaterialError(
          `Opaque ${name} must be 1 to ${MAX_IMPORTED_SECRET_BYTES} bytes, got ${value.byteLength}`,
        );
      }
      return value.slice();
    };
    const opaqueMaterial = bytes(material, "material");
    const opaquePublic = bytes(publicInput, "options.public");
    return {
      opaque: {
        ...(opaqueMaterial === undefined ? {} : { material: opaqueMaterial }),
        ...(opaquePublic === undefined ? {} : { public: opaquePublic }),
      },
    };
  }
  if (spec.klass === KeyClass.symmetric) {
    if (publicInput !== undefined || material === undefined) {
      throw new InvalidKeyMaterialError(
        `${spec.alg} keys are symmetric: import the secret as material, without options.public`,
      );
    }
    return { secret: parseSecretKey(spec, material, options) };
  }
  const privateKey = material === undefined ? undefined : parsePrivateKey(spec, material, options);
  const givenPublic =
    publicInput === undefined ? undefined : parsePublicKey(spec, publicInput, options, "options.public");
  if (privateKey !== undefined && givenPublic !== undefined) assertSamePublicKey(privateKey, givenPublic);
  return {
    publicKey: givenPublic ?? createPublicKey(privateKey!),
    ...(privateKey === undefined ? {} : { privateKey }),
  };
}

/**
 * Parse the secret of a symmetric key: raw bytes, an `oct` JWK (object or UTF-8 JSON), a secret
 * `KeyObject` or a `CryptoKey`. AES-256 keys are 32 bytes, HMAC keys at least 32.
 *
 * @example
 * ```ts
 * const secret = parseSecretKey(aesSpec, new Uint8Array(32), {});
 * ```
 */
export function parseSecretKey(
  spec: NormalizedKeySpec,
  input: KeyInput,
  options: ParseKeyOptions,
): KeyObject {
  const normalized = normalize(input, "material", options.format);
  let bytes: Uint8Array;
  if (normalized.kind === "key") {
    if (normalized.key.type !== "secret") {
      throw new InvalidKeyMaterialError(
        `A ${spec.alg} key is a secret key, got a ${normalized.key.type} key`,
      );
    }
    bytes = toBytes(normalized.key.export());
  } else if (normalized.kind === "jwk") {
    bytes = toBytes(JSON.stringify(normalized.jwk));
  } else {
    if (options.format === "pem") {
      throw new InvalidKeyMaterialError(
        `A PEM document is not a ${spec.alg} key; import the raw secret bytes or an "oct" JWK`,
      );
    }
    bytes = normalized.bytes;
  }
  const secret = symmetricSecretFromImport(spec, bytes);
  try {
    return createSecretKey(Buffer.from(secret));
  } finally {
    if (secret !== bytes) secret.fill(0);
    if (normalized.kind !== "bytes") bytes.fill(0);
  }
}

/**
 * Parse a private key of the spec's algorithm from PEM (PKCS#8, PKCS#1 or SEC1), a private JWK
 * (object or UTF-8 JSON), a raw 32-byte Ed25519/X25519 seed, DER (PKCS#8, PKCS#1, SEC1), a private
 * `KeyObject` or a `CryptoKey`.
 *
 * @example
 * ```ts
 * const privateKey = parsePrivateKey(spec, pkcs8Pem, {});
 * ```
 */
export function parsePrivateKey(
  spec: NormalizedKeySpec,
  input: KeyInput,
  options: ParseKeyOptions,
): KeyObject {
  const info = ALGORITHMS[spec.alg];
  const normalized = normalize(input, "material", options.format);
  let key: KeyObject;
  if (normalized.kind === "key") {
    if (normalized.key.type === "public") throw publicAsMaterial();
    if (normalized.key.type !== "private") {
      throw new InvalidKeyMaterialError(`A ${spec.alg} key is a key pair, got a secret key`);
    }
    key = normalized.key;
  } else if (normalized.kind === "jwk") {
    key = privateKeyFromJwk(info, normalized.jwk);
  } else {
    const { bytes } = normalized;
    switch (byteFormat(bytes, options.format, info)) {
      case "pem": {
        const label = pemLabel(bytes);
        if (label === undefined) throw new InvalidKeyMaterialError("The bytes are not a PEM document");
        if (PUBLIC_PEM_LABELS.includes(label)) throw publicAsMaterial();
        if (label === "ENCRYPTED PRIVATE KEY" || bufferOf(bytes).includes("Proc-Type: 4,ENCRYPTED")) {
          throw new InvalidKeyMaterialError(
            "Encrypted private keys are not accepted; decrypt the PEM before importing it",
          );
        }
        if (!PRIVATE_PEM_LABELS.includes(label)) throw unexpectedPem(label, PRIVATE_PEM_LABELS);
        key = attempt(
          () => createPrivateKey({ key: bufferOf(bytes), format: "pem" }),
          "The PEM private key could not be parsed",
        );
        break;
      }
      case "jwk":
        key = privateKeyFromJwk(info, jwkOf(bytes));
        break;
      case "raw": {
        const curve = okpCurve(info.alg);
        if (curve === undefined) {
          throw new InvalidKeyMaterialError(
            `Raw private keys apply to ED25519 and X25519 only; import ${spec.alg} keys as PEM, DER or JWK`,
          );
        }
        key = createPrivateKey({ key: bufferOf(pkcs8FromRaw(curve, bytes)), format: "der", type: "pkcs8" });
        break;
      }
      case "der":
        key = privateKeyFromDer(info, bytes);
        break;
    }
  }
  assertKeyFitsSpec(spec, key, options);
  return key;
}

/**
 * Parse a public key of the spec's algorithm from PEM (SPKI or PKCS#1), a public JWK (object or
 * UTF-8 JSON), a raw key (32 bytes for Ed25519/X25519, the uncompressed point for EC), SPKI DER, a
 * public `KeyObject` or a `CryptoKey`; refuses weak RSA exponents and X25519 low-order points.
 *
 * @example
 * ```ts
 * const publicKey = parsePublicKey(spec, spkiPem, {});
 * ```
 */
export function parsePublicKey(
  spec: NormalizedKeySpec,
  input: KeyInput,
  options: ParseKeyOptions,
  name = "public key",
): KeyObject {
  const info = ALGORITHMS[spec.alg];
  const normalized = normalize(input, name, options.format);
  let key: KeyObject;
  if (normalized.kind === "key") {
    if (normalized.key.type !== "public") throw privateAsPublic(name);
    key = normalized.key;
  } else if (normalized.kind === "jwk") {
    key = publicKeyFromJwk(info, normalized.jwk, name);
  } else {
    const { bytes } = normalized;
    switch (byteFormat(bytes, options.format, info)) {
      case "pem": {
        const label = pemLabel(bytes);
        if (label === undefined) throw new InvalidKeyMaterialError("The bytes are not a PEM document");
        if (!PUBLIC_PEM_LABELS.includes(label)) {
          throw PRIVATE_PEM_LABELS.includes(label) || label.includes("PRIVATE")
            ? privateAsPublic(name)
            : unexpectedPem(label, PUBLIC_PEM_LABELS);
        }
        key = attempt(
          () => createPublicKey({ key: bufferOf(bytes), format: "pem" }),
          "The PEM public key could not be parsed",
        );
        break;
      }
      case "jwk":
        key = publicKeyFromJwk(info, jwkOf(bytes), name);
        break;
      case "raw": {
        const curve = okpCurve(info.alg) ?? (info.curve?.jwk as "P-256" | "P-384" | "P-521" | undefined);
        if (curve === undefined) {
          throw new InvalidKeyMaterialError(
            `Raw public keys apply to Ed25519, X25519 and EC keys; import ${spec.alg} keys as PEM, DER or JWK`,
          );
        }
        key = attempt(
          () => createPublicKey({ key: bufferOf(spkiFromRaw(curve, bytes)), format: "der", type: "spki" }),
          `The bytes are not a raw ${curve} public key`,
        );
        break;
      }
      case "der":
        key = attempt(
          () => createPublicKey({ key: bufferOf(bytes), format: "der", type: "spki" }),
          `The bytes are not a ${spec.alg} public key as PEM, SPKI DER, JWK JSON${okpCurve(info.alg) === undefined ? "" : " or a raw 32-byte key"}`,
        );
        break;
    }
  }
  assertKeyFitsSpec(spec, key, options);
  return key;
}

function privateKeyFromDer(info: AlgorithmInfo, bytes: Uint8Array): KeyObject {
  const types =
    info.type === KeyType.RSA ? ["pkcs8", "pkcs1"] : info.type === KeyType.EC ? ["pkcs8", "sec1"] : ["pkcs8"];
  for (const type of types) {
    try {
      return createPrivateKey({ key: bufferOf(bytes), format: "der", type: type as "pkcs8" });
    } catch {
      // try the next encoding
    }
  }
  if (isSpkiDer(bytes)) throw publicAsMaterial();
  throw new InvalidKeyMaterialError(
    `The bytes are not a ${info.alg} private key as PEM, PKCS#8 DER, JWK JSON${okpCurve(info.alg) === undefined ? "" : " or a raw 32-byte seed"}`,
  );
}

function privateKeyFromJwk(info: AlgorithmInfo, jwk: Record<string, unknown>): KeyObject {
  assertJwkShape(info, jwk);
  if (typeof jwk["d"] !== "string") throw publicAsMaterial();
  let key: KeyObject;
  const curve = okpCurve(info.alg);
  if (curve !== undefined) {
    // Node requires "x" for OKP JWKs; RFC 8037 keys always have it, but derive from "d" so either works.
    const seed = b64urlDecode(jwk["d"]);
    if (seed?.byteLength !== 32)
      throw new InvalidKeyMaterialError(`The ${info.alg} JWK "d" must be 32 bytes of base64url`);
    key = createPrivateKey({ key: bufferOf(pkcs8FromRaw(curve, seed)), format: "der", type: "pkcs8" });
  } else {
    key = attempt(
      () => createPrivateKey({ key: jwk as JsonWebKey, format: "jwk" }),
      `The JWK is not a valid ${info.alg} private key`,
    );
  }
  // The public members of a private JWK must be those of its private key (nothing else checks them).
  const derived = publicJwkMembers(key) as unknown as Record<string, string>;
  for (const member of ["x", "y", "n", "e"]) {
    if (jwk[member] !== undefined && jwk[member] !== derived[member]) {
      throw new InvalidKeyMaterialError(
        `The JWK's public member "${member}" does not belong to its private key`,
      );
    }
  }
  return key;
}

function publicKeyFromJwk(info: AlgorithmInfo, jwk: Record<string, unknown>, name: string): KeyObject {
  if (hasPrivateMembers(jwk)) {
    throw new InvalidKeyMaterialError(
      `${name} holds a private JWK; pass it as material, or remove its private members`,
    );
  }
  assertJwkShape(info, jwk);
  return attempt(
    () => createPublicKey({ key: jwk as JsonWebKey, format: "jwk" }),
    `The JWK is not a valid ${info.alg} public key`,
  );
}

function assertJwkShape(info: AlgorithmInfo, jwk: Record<string, unknown>): void {
  const expected = info.jwk!;
  if (jwk["kty"] !== expected.kty || (expected.crv !== undefined && jwk["crv"] !== expected.crv)) {
    const got = `${displayValue(jwk["kty"])}${jwk["crv"] === undefined ? "" : ` crv ${displayValue(jwk["crv"])}`}`;
    throw new InvalidKeyMaterialError(
      `A ${info.alg} key is a JWK with kty "${expected.kty}"${expected.crv === undefined ? "" : ` and crv "${expected.crv}"`}, got kty ${got}`,
    );
  }
  assertJwkIntent(jwk, info.alg);
}

const NODE_TYPE: Partial<Record<KeyType, string>> = {
  [KeyType.RSA]: "rsa",
  [KeyType.EC]: "ec",
  [KeyType.ED25519]: "ed25519",
  [KeyType.X25519]: "x25519",
};

/**
 * Refuse a key object that is not of the spec's algorithm (type, curve, RSA size matching
 * `sizeBits`), or whose public key is unsafe to use: an RSA exponent of 1 or an even one (and one
 * below 65537 unless `allowSmallRsaExponent`), an X25519 low-order point.
 *
 * @example
 * ```ts
 * assertKeyFitsSpec(spec, publicKey, {});
 * ```
 */
export function assertKeyFitsSpec(
  spec: NormalizedKeySpec,
  key: KeyObject,
  options: ParseKeyOptions = {},
): void {
  const info = ALGORITHMS[spec.alg];
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const fits =
    type === NODE_TYPE[info.type] && (info.type !== KeyType.EC || details.namedCurve === info.curve?.node);
  if (!fits) {
    const found =
      type === "ec"
        ? `an EC ${details.namedCurve ?? "?"} key`
        : type === "rsa-pss"
          ? "an RSASSA-PSS-restricted RSA key (use an rsaEncryption key)"
          : `a ${type ?? "?"} key`;
    throw new InvalidKeyMaterialError(`The key is ${found}, not a ${spec.alg} key`);
  }
  if (type === "rsa") {
    const bits = details.modulusLength ?? 0;
    if (!info.sizes.includes(bits)) {
      throw new InvalidKeyMaterialError(`RSA keys must be ${RSA_SIZES_TEXT} bits, got ${bits}`);
    }
    if (spec.sizeBits !== undefined && spec.sizeBits !== bits) {
      throw new InvalidKeyMaterialError(
        `The key is ${bits} bits but the spec says sizeBits ${spec.sizeBits}; omit sizeBits or make them agree`,
      );
    }
  }
  assertSafePublicKey(key, options);
}

/**
 * Refuse a key (public or private) whose public half is unsafe to use, whatever it is used for:
 * an RSA public exponent of 1 (every padded message is its own signature, so anyone forges them)
 * or an even one, an RSA exponent below 65537 unless `allowSmallRsaExponent`, an X25519
 * low-order point. Every key that enters a provider passes here: imports (through
 * {@link assertKeyFitsSpec}) and the keys of a fetched JWK Set.
 *
 * @example
 * ```ts
 * assertSafePublicKey(createPublicKey({ key: jwk, format: "jwk" }), { allowSmallRsaExponent: true });
 * ```
 */
export function assertSafePublicKey(key: KeyObject, options: ParseKeyOptions = {}): void {
  const type = key.asymmetricKeyType;
  if (type === "rsa" || type === "rsa-pss") {
    const e = key.asymmetricKeyDetails?.publicExponent ?? 0n;
    if (e <= 1n || e % 2n === 0n) {
      throw new InvalidKeyMaterialError(
        "The RSA public exponent is 1 or even, which makes signatures forgeable or the key unusable; this key is refused",
      );
    }
    if (e < MIN_RSA_EXPONENT && options.allowSmallRsaExponent !== true) {
      throw new InvalidKeyMaterialError(
        `The RSA public exponent is ${e}, below 65537; pass { allowSmallRsaExponent: true } to import a legacy key anyway`,
      );
    }
  }
  if (type === "x25519") assertNotLowOrder(key);
}

/** A fixed clamped scalar: any low-order point times it is the all-zero point. */
const PROBE = createPrivateKey({
  key: bufferOf(pkcs8FromRaw("X25519", new Uint8Array(32).fill(0x42))),
  format: "der",
  type: "pkcs8",
});

function assertNotLowOrder(key: KeyObject): void {
  // Any low-order point times the probe's clamped scalar is the all-zero point, which x25519Agree refuses.
  x25519Agree(PROBE, key.type === "private" ? createPublicKey(key) : key).fill(0);
}

function assertSamePublicKey(privateKey: KeyObject, publicKey: KeyObject): void {
  const derived = createPublicKey(privateKey).export({ type: "spki", format: "der" });
  if (!derived.equals(publicKey.export({ type: "spki", format: "der" }))) {
    throw new InvalidKeyMaterialError(
      "options.public does not belong to the private key in material; they are not a key pair",
    );
  }
}

function isSpkiDer(bytes: Uint8Array): boolean {
  try {
    createPublicKey({ key: bufferOf(bytes), format: "der", type: "spki" });
    return true;
  } catch {
    return false;
  }
}

function attempt(parse: () => KeyObject, message: string): KeyObject {
  try {
    return parse();
  } catch (cause) {
    throw new InvalidKeyMaterialError(message, { cause });
  }
}

function publicAsMaterial(): InvalidKeyMaterialError {
  return new InvalidKeyMaterialError(
    "material holds a public key; import it as options.public (material undefined) for a verification-only key",
  );
}

function privateAsPublic(name: string): InvalidKeyMaterialError {
  return new InvalidKeyMaterialError(
    `${name} holds a private key; pass it as material (the public key is derived from it)`,
  );
}

function unexpectedPem(label: string, allowed: readonly string[]): InvalidKeyMaterialError {
  return new InvalidKeyMaterialError(
    `A PEM "${label.slice(0, 40)}" is not accepted here; expected ${allowed.map((l) => `"${l}"`).join(" or ")}`,
  );
}

/**
 * A JWK object for a key object (public members, or private ones too for a private key), as
 * `node:crypto` exports it.
 *
 * @example
 * ```ts
 * jwkOfKeyObject(publicKey); // { kty: "OKP", crv: "Ed25519", x: "…" }
 * ```
 */
export function jwkOfKeyObject(key: KeyObject): Jwk {
  return key.export({ format: "jwk" }) as Jwk;
}
