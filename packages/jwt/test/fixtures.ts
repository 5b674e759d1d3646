import { tracingChannel } from "node:diagnostics_channel";
import { constants, createHmac, createPublicKey, timingSafeEqual, verify as nodeVerify } from "node:crypto";
import type { KeySpec } from "@keyprovider/core";
import { type LocalKeyProvider } from "@keyprovider/local";

/**
 * Every JWS algorithm keyprovider signs, with the spec of a key for it and how node:crypto checks
 * its signature: written out here, independently of the base's algorithm table, so the tests do
 * not trust the code they test.
 */
export const SIGNING = [
  { jose: "EdDSA", alg: "ED25519", verify: { hash: null } },
  { jose: "ES256", alg: "ECDSA_P256_SHA256", verify: { hash: "sha256", dsaEncoding: "ieee-p1363" } },
  { jose: "ES384", alg: "ECDSA_P384_SHA384", verify: { hash: "sha384", dsaEncoding: "ieee-p1363" } },
  { jose: "ES512", alg: "ECDSA_P521_SHA512", verify: { hash: "sha512", dsaEncoding: "ieee-p1363" } },
  {
    jose: "RS256",
    alg: "RSA_PKCS1_SHA256",
    verify: { hash: "sha256", padding: constants.RSA_PKCS1_PADDING },
  },
  {
    jose: "RS384",
    alg: "RSA_PKCS1_SHA384",
    verify: { hash: "sha384", padding: constants.RSA_PKCS1_PADDING },
  },
  {
    jose: "RS512",
    alg: "RSA_PKCS1_SHA512",
    verify: { hash: "sha512", padding: constants.RSA_PKCS1_PADDING },
  },
  {
    jose: "PS256",
    alg: "RSA_PSS_SHA256",
    verify: { hash: "sha256", padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
  },
  {
    jose: "PS384",
    alg: "RSA_PSS_SHA384",
    verify: { hash: "sha384", padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 },
  },
  {
    jose: "PS512",
    alg: "RSA_PSS_SHA512",
    verify: { hash: "sha512", padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 },
  },
  { jose: "HS256", alg: "HMAC_SHA256", verify: { hash: "sha256", hmac: true } },
] as const;

export type SigningCase = (typeof SIGNING)[number];

/** A spec for a signing key of `alg`; RSA at 2048 bits to keep the tests quick. */
export function signingSpec(alg: SigningCase["alg"], exportPolicy: "none" | "secret_when_allowed"): KeySpec {
  return (alg.startsWith("RSA_") ? { alg, exportPolicy, sizeBits: 2048 } : { alg, exportPolicy }) as KeySpec;
}

/** One exportable key per signing algorithm, created once per provider. */
export async function keysPerAlgorithm(provider: LocalKeyProvider): Promise<Map<string, string>> {
  const kids = new Map<string, string>();
  for (const { jose, alg } of SIGNING) {
    kids.set(jose, (await provider.createKey(signingSpec(alg, "secret_when_allowed"))).kid);
  }
  return kids;
}

/** The three base64url parts of a compact JWS, decoded where they are bytes. */
export function splitToken(token: string) {
  const [header, payload, signature] = token.split(".") as [string, string, string];
  return {
    header: JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>,
    signingInput: Buffer.from(`${header}.${payload}`, "latin1"),
    signature: Buffer.from(signature, "base64url"),
  };
}

/** Re-assemble a token from a header object, a payload object and a signature segment. */
export function assembleToken(header: object, payload: object | string, signature = ""): string {
  const encode = (value: object | string) =>
    Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
  return `${encode(header)}.${encode(payload)}.${signature}`;
}

/**
 * Check a token's signature with node:crypto alone, against the public JWK (or HMAC secret) the
 * provider exports.
 */
export async function nodeVerifies(provider: LocalKeyProvider, kid: string, token: string, sc: SigningCase) {
  const { signingInput, signature } = splitToken(token);
  if ("hmac" in sc.verify) {
    const { k } = await provider.exportKey(kid, { format: "jwk", private: true });
    const expected = createHmac("sha256", Buffer.from(k!, "base64url")).update(signingInput).digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
  const jwk = await provider.getPublicJwk(kid);
  const key = createPublicKey({ key: { ...jwk }, format: "jwk" });
  const { hash, ...params } = sc.verify;
  return nodeVerify(hash, signingInput, { key, ...params }, signature);
}

/**
 * Record the provider calls made while `fn` runs, from the `keyprovider:<operation>` tracing
 * channels every provider publishes: a real observation of a real provider, not a mock.
 */
export async function providerCalls(
  fn: () => Promise<unknown>,
): Promise<{ calls: string[]; error: unknown }> {
  const calls: string[] = [];
  const subscriptions = ["getKey", "getPublicJwk", "sign", "verify", "exportKey"].map((operation) => {
    const channel = tracingChannel<object, { operation: string }>(`keyprovider:${operation}`);
    const ignore = () => undefined;
    const handlers = {
      start: (trace: { operation: string }) => void calls.push(trace.operation),
      end: ignore,
      asyncStart: ignore,
      asyncEnd: ignore,
      error: ignore,
    };
    channel.subscribe(handlers);
    return () => channel.unsubscribe(handlers);
  });
  let error: unknown;
  try {
    await fn();
  } catch (caught) {
    error = caught;
  } finally {
    for (const unsubscribe of subscriptions) unsubscribe();
  }
  return { calls, error };
}
