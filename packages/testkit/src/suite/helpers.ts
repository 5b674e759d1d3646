import { Buffer } from "node:buffer";
import { createPublicKey, type KeyObject } from "node:crypto";
import {
  type KeyProviderError,
  type ExportKeyOptions,
  type ExportPolicy,
  type KeyProvider,
  type KeyRef,
  type KeySpec,
} from "@keyprovider/core";
import { expect } from "vitest";
import { EXPECTED, algOf } from "./algorithms.js";

export const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const b64url = (b: Uint8Array): string => Buffer.from(b).toString("base64url");
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The spec with another export policy. */
export function withPolicy<S extends KeySpec>(spec: S, exportPolicy: ExportPolicy): S {
  return { ...spec, exportPolicy };
}

/** The spec without `uses`, so the algorithm's default uses apply. */
export function withDefaultUses(spec: KeySpec): KeySpec {
  const { uses: _uses, ...rest } = spec;
  return rest;
}

/** What a promise rejected with; fails the test if it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to be rejected, but it resolved");
}

/**
 * Assert that a promise rejects with an error of the given keyprovider class (by `isInstance`, so a
 * second copy of core passes too); returns the error for further checks.
 */
export async function rejectsWith<E extends KeyProviderError>(
  promise: Promise<unknown>,
  errorClass: { readonly prototype: E; readonly code: string; isInstance(value: unknown): boolean },
): Promise<E> {
  const error = await rejection(promise);
  if (!errorClass.isInstance(error)) {
    const code = (error as { code?: unknown } | undefined)?.code;
    const shown =
      error instanceof Error
        ? `${error.name} (${typeof code === "string" ? code : "no code"}): ${error.message}`
        : String(error);
    expect.fail(`expected a ${errorClass.code} error, got ${shown.slice(0, 400)}`);
  }
  return error as E;
}

/** Assert that a promise rejects with a `TypeError` (or `RangeError`), never a keyprovider error. */
export async function rejectsWithType(
  promise: Promise<unknown>,
  type: typeof TypeError | typeof RangeError,
  what: string,
): Promise<void> {
  const error = await rejection(promise).catch((cause: unknown) => {
    throw new Error(`${what}: ${(cause as Error).message}`);
  });
  expect(error, what).toBeInstanceOf(type);
}

/** A version's public key as node:crypto holds it, read the way the provider publishes it. */
export async function publicKeyOf(
  provider: KeyProvider,
  ref: KeyRef,
  features: ReadonlySet<string>,
): Promise<KeyObject> {
  if (features.has("export")) {
    const der = await provider.exportKey(ref.kid, { format: "der", version: ref.version });
    return createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" });
  }
  if (features.has("jwks")) {
    const jwk = await provider.getPublicJwk(ref.kid, ref.version);
    return createPublicKey({ key: { ...jwk }, format: "jwk" });
  }
  const published = ref.public;
  if (published === undefined) throw new Error(`key ${ref.kid} has no public key the suite can read`);
  const expected = EXPECTED[ref.alg];
  if (published.length === 32 && (expected.node?.type === "ed25519" || expected.node?.type === "x25519")) {
    const crv = expected.node.type === "ed25519" ? "Ed25519" : "X25519";
    return createPublicKey({ key: { kty: "OKP", crv, x: b64url(published) }, format: "jwk" });
  }
  const text = Buffer.from(published).toString("latin1");
  return text.startsWith("-----BEGIN")
    ? createPublicKey(text)
    : createPublicKey({ key: Buffer.from(published), format: "der", type: "spki" });
}

/** A random kid-safe suffix, so caller-chosen kids never collide across runs on a shared backend. */
export function randomSuffix(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("hex");
}

/** Whether the spec's algorithm is asymmetric (and the key is not opaque). */
export function isAsymmetricSpec(spec: KeySpec): boolean {
  return spec.klass !== "opaque" && EXPECTED[algOf(spec)].klass === "asym";
}

/** exportKey with a format chosen at run time (the interface's overloads need a literal one). */
export function exportIn(provider: KeyProvider, kid: string, options: ExportKeyOptions): Promise<unknown> {
  return provider.exportKey(kid, options as ExportKeyOptions & { readonly format: "jwk" });
}
