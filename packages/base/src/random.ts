import { Buffer } from "node:buffer";
import { getRandomValues, randomFillSync } from "node:crypto";
import { startupSnapshot } from "node:v8";
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
  const bytes = publicRandomBytes(16);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Bytes drawn from the CSPRNG per refill of the pool of public random values. */
const POOL_BYTES = 4096;
/** Larger requests bypass the pool. */
const POOL_MAX_REQUEST = 64;
let pool = new Uint8Array(0);
let poolOffset = 0;

/**
 * `n` CSPRNG bytes for identifiers that are published anyway — kids, provider-scoped ids —
 * served from a pool filled 4 KiB at a time, because each call into the CSPRNG costs about as much
 * as encrypting a kilobyte. Never use it for keys or other secrets: those come from
 * {@link randomBytes}, one CSPRNG call each, and are never held in a buffer before use. Each byte
 * is handed out once and erased from the pool as it is taken.
 *
 * @example
 * ```ts
 * const nonce = publicRandomBytes(12);
 * ```
 */
export function publicRandomBytes(n: number): Uint8Array {
  if (n > POOL_MAX_REQUEST) return randomBytes(n);
  if (!snapshotHookSet) armSnapshotHook();
  if (poolOffset + n > pool.length) {
    pool = randomFillSync(new Uint8Array(POOL_BYTES));
    poolOffset = 0;
  }
  const taken = pool.slice(poolOffset, poolOffset + n);
  pool.fill(0, poolOffset, poolOffset + n);
  poolOffset += n;
  return taken;
}

let snapshotHookSet = false;

/**
 * A process started from a V8 startup snapshot (a single-executable application) would inherit a
 * pool filled while the snapshot was built, and every such process would hand out the same
 * identifiers: the pool is emptied before the snapshot is taken. GCM nonces never come from this
 * pool at all (a repeated nonce under one key breaks AES-GCM); they are one CSPRNG call each.
 */
function armSnapshotHook(): void {
  snapshotHookSet = true;
  if (startupSnapshot.isBuildingSnapshot()) {
    startupSnapshot.addSerializeCallback(() => {
      pool = new Uint8Array(0);
      poolOffset = 0;
    });
  }
}
