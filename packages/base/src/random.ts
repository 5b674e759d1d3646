import { Buffer } from "node:buffer";
import { getRandomValues } from "node:crypto";
import { LIMITS } from "@keyprovider/core";
import { assertLength } from "./guards.js";

/**
 * `n` bytes from the operating system's CSPRNG; `n` an integer in 0..65536.
 *
 * @example
 * ```ts
 * const nonce = randomBytes(12);
 * ```
 */
export function randomBytes(n: number): Uint8Array {
  assertLength(n, "n", LIMITS.maxRandomBytes);
  return getRandomValues(new Uint8Array(n));
}

/**
 * A new kid: 32 lowercase hex characters (128 bits) from the CSPRNG, never derived from key material.
 *
 * @example
 * ```ts
 * newKid(); // "9f86d081884c7d659a2feaa0c55ad015"
 * ```
 */
export function newKid(): string {
  return Buffer.from(getRandomValues(new Uint8Array(16))).toString("hex");
}
