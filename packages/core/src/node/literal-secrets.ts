import { InvalidConfigError } from "../errors.js";
import { mapJson, where } from "./json-members.js";

/** Member names that hold secrets, lower-cased, without `_` and `-`. */
const SECRET_MEMBERS: ReadonlySet<string> = new Set([
  "passphrase",
  "password",
  "key",
  "secret",
  "secretaccesskey",
  "sessiontoken",
  "privatekey",
  "token",
  "apikey",
  "clientsecret",
]);

/**
 * Refuse configuration that spells out a secret. A member named `passphrase`, `password`, `key`,
 * `secret`, `secretAccessKey`, `sessionToken`, `privateKey`, `token`, `apiKey` or `clientSecret`
 * (any case, with or without `_`/`-`: `client_secret`, `API-KEY`), at any depth, may not hold a
 * string, a number, an array of strings or numbers, or bytes: a secret belongs in the environment,
 * referenced as `{ "$env": "NAME" }`. Objects are looked into, not refused, so `kek: { key: { … } }`
 * and `kek: { provider, kid }` pass. `keyprovider.config.json` and the `keyprovider` command's
 * `--options` go through this same check (DESIGN §7.8).
 *
 * The error is an `InvalidConfigError` (`reason: "literal_secret"`) whose message names the member
 * and `source`, never the value.
 *
 * @param value The configuration, as parsed JSON.
 * @param source Where it came from, for the message: a file path or a label such as `"--options"`.
 *
 * @example
 * ```ts
 * import { assertNoLiteralSecrets } from "@keyprovider/core/node";
 *
 * assertNoLiteralSecrets({ kek: { passphrase: { $env: "KEK_PASSPHRASE" } } }, "--options"); // passes
 * assertNoLiteralSecrets({ kek: { passphrase: "hunter2" } }, "--options");
 * // → InvalidConfigError: kek.passphrase in --options is a literal secret; …
 * ```
 */
export function assertNoLiteralSecrets(value: unknown, source: string): void {
  if (typeof source !== "string") throw new TypeError("assertNoLiteralSecrets(): source must be a string");
  mapJson(
    value,
    (item, member, name) => {
      if (name !== undefined && isSecretName(name) && isLiteral(item)) {
        throw new InvalidConfigError(
          "literal_secret",
          source,
          `${where(member, source)} is a literal secret; secrets are never written into configuration: put it in an environment variable and write { "$env": "VARIABLE_NAME" } in its place`,
          { member },
        );
      }
      return undefined;
    },
    source,
  );
}

function isSecretName(name: string): boolean {
  return SECRET_MEMBERS.has(name.toLowerCase().replace(/[_-]/g, ""));
}

function isLiteral(value: unknown): boolean {
  if (typeof value === "string" || typeof value === "number" || typeof value === "bigint") return true;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return true;
  return (
    Array.isArray(value) &&
    value.every((item: unknown) => typeof item === "string" || typeof item === "number")
  );
}
