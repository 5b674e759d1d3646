import { ALGORITHMS, createKeyRef, encodePublicKey, publicJwkMembers } from "@keyprovider/base";
import {
  ExportPolicy,
  KeyClass,
  KeyStatus,
  KeyUse,
  type KeyAlg,
  type KeyRef,
  type NormalizedKeySpec,
  type PublicJwk,
} from "@keyprovider/core";
import type { RemoteKey } from "./key-set.js";

const NO_TAGS: Readonly<Record<string, string>> = Object.freeze({});

/** KeyRefs per fetched key and algorithm: a fetched key never changes, and a new set brings new keys. */
const refs = new WeakMap<RemoteKey, Map<string, KeyRef>>();

/**
 * The `KeyRef` of a fetched key used with one algorithm: verification-only (or encryption-only for
 * RSA-OAEP-256 and X25519 keys), policy `public_only`, its public key as SPKI PEM, its RFC 7638
 * thumbprint as fingerprint, and a spec read back from the JWK (`sizeBits` is the RSA modulus as
 * published). `status` is `"primary"` for the kid's highest version in the set, `"active"` for the
 * others; a remote set has no staged versions.
 */
export function remoteKeyRef(key: RemoteKey, alg: KeyAlg, primary: number, uri: string | undefined): KeyRef {
  let byAlg = refs.get(key);
  if (byAlg === undefined) refs.set(key, (byAlg = new Map<string, KeyRef>()));
  const id = `${alg} ${primary} ${uri ?? ""}`;
  const cached = byAlg.get(id);
  if (cached !== undefined) return cached;
  const info = ALGORITHMS[alg];
  const uses = Object.freeze([info.signature === undefined ? KeyUse.ENCRYPT : KeyUse.VERIFY]);
  const spec: NormalizedKeySpec = Object.freeze({
    klass: KeyClass.asymmetric,
    alg,
    uses,
    exportPolicy: ExportPolicy.PUBLIC_ONLY,
    sizeBits: key.publicKey.asymmetricKeyDetails?.modulusLength ?? info.sizes[0],
    encoding: "PEM",
    publicFormat: "SubjectPublicKeyInfo",
    privateFormat: "PKCS8",
    label: undefined,
    tags: NO_TAGS,
    type: info.type,
  });
  const ref = createKeyRef({
    kid: key.kid!,
    version: key.version,
    status: key.version === primary ? KeyStatus.PRIMARY : KeyStatus.ACTIVE,
    type: info.type,
    uses,
    exportPolicy: ExportPolicy.PUBLIC_ONLY,
    alg,
    uri,
    public: encodePublicKey(spec, key.publicKey, publicJwkMembers(key.publicKey)),
    tags: NO_TAGS,
    fingerprint: key.thumbprint,
    spec,
  });
  byAlg.set(id, ref);
  return ref;
}

/**
 * The public JWK of a fetched key used with one algorithm: its public members and `kid` as the set
 * published them, with the `alg` and `use` of that algorithm (an RSA JWK without `alg` read as
 * `PS256` says `alg: "PS256"`).
 */
export function remotePublicJwk(key: RemoteKey, alg: KeyAlg): PublicJwk {
  const { kid: _kid, alg: _alg, use: _use, key_ops: _keyOps, ...members } = key.jwk;
  const publication = ALGORITHMS[alg].jwk!;
  return {
    ...members,
    kid: key.jwk.kid!,
    alg: publication.alg,
    use: publication.use,
  };
}
