import { ExportPolicy } from "@keyprovider/core";

/**
 * Where a key reference is being returned from.
 *
 * @example
 * ```ts
 * const origin: SecretOrigin = "rotate";
 * ```
 */
export type SecretOrigin = "create" | "import" | "rotate" | "get";

/**
 * The export-policy gate: whether a returned `KeyRef` may carry secret material.
 *
 * - `NONE` and `PUBLIC_ONLY`: never, for every key class (symmetric keys included).
 * - `SECRET_WHEN_ALLOWED`: on the results of `createKey`, `importKey` and `rotateKey`, and on
 *   `getKey` only when the caller passed `{ includeSecret: true }`.
 *
 * @example
 * ```ts
 * mayReturnSecret("secret_when_allowed", "get", undefined); // false
 * mayReturnSecret("secret_when_allowed", "get", true);      // true
 * mayReturnSecret("public_only", "create");                 // false
 * ```
 */
export function mayReturnSecret(
  policy: ExportPolicy,
  origin: SecretOrigin,
  includeSecret?: boolean,
): boolean {
  if (policy !== ExportPolicy.SECRET_WHEN_ALLOWED) return false;
  return origin === "get" ? includeSecret === true : true;
}
