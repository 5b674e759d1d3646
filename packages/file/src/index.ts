import { isAbsolute, resolve } from "node:path";
import { Buffer } from "node:buffer";
import { defineProvider, describeType, type KeyProvider, type ProviderContext } from "@keyprovider/core";
import { FileKeyProvider, type FileKeyProviderOptions } from "./file-key-provider.js";
import type { FileKek } from "./kek.js";

export { FileKeyProvider } from "./file-key-provider.js";
export type { FileKeyProviderOptions, RekeyOptions } from "./file-key-provider.js";
export type { FileKek, PassphraseKek, ProviderKek, RawKek, ScryptParameters } from "./kek.js";

/**
 * The options of `FileKeyProvider` as configuration (`keyprovider.config.json`, `--options`) can
 * write them: secrets come from the environment (`{ "$env": "NAME" }`), so `kek.key` may be a
 * string (64 hex characters, or base64/base64url of 32 bytes), and a KEK provider is named like
 * the children of the mirrored provider, `{ provider: "<name>", options?, kid }`, and built through
 * the registry.
 *
 * @example
 * ```ts
 * const config: FileKeyProviderConfig = {
 *   directory: "/var/lib/my-service/keys",
 *   kek: { provider: "aws-kms", options: { region: "eu-west-1" }, kid: "store-kek" },
 * };
 * ```
 */
export interface FileKeyProviderConfig {
  readonly directory: string;
  readonly kek:
    | FileKek
    | { readonly key: string }
    | { readonly provider: string; readonly options?: unknown; readonly kid: string };
}

/** 32 bytes from configuration text: 64 hex characters, or base64 / base64url. */
function keyFromText(text: string): Uint8Array {
  const trimmed = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)
      ? Buffer.from(trimmed, trimmed.includes("+") || trimmed.includes("/") ? "base64" : "base64url")
      : undefined;
  if (bytes?.byteLength !== 32) {
    throw new TypeError(
      "FileKeyProvider kek.key from configuration must be 32 bytes written as 64 hex characters or in base64",
    );
  }
  try {
    return new Uint8Array(bytes);
  } finally {
    bytes.fill(0); // decoded into Node's shared Buffer pool: leave no copy there
  }
}

async function optionsFromConfig(
  given: FileKeyProviderConfig,
  ctx: ProviderContext,
): Promise<FileKeyProviderOptions> {
  // A relative directory in a config file is the config file's (ctx.baseDirectory), not the shell's.
  const directory = (given as { directory?: unknown } | null | undefined)?.directory;
  const config =
    typeof directory === "string" && ctx.baseDirectory !== undefined && !isAbsolute(directory)
      ? { ...given, directory: resolve(ctx.baseDirectory, directory) }
      : given;
  const kek = (config as { kek?: unknown } | null | undefined)?.kek;
  if (typeof kek !== "object" || kek === null) return config as FileKeyProviderOptions; // the constructor says what is wrong
  const { provider, key } = kek as { provider?: unknown; key?: unknown };
  if (typeof provider === "string") {
    const { options, kid, ...rest } = kek as { options?: unknown; kid?: unknown };
    const extra = Object.keys(rest).filter((member) => member !== "provider");
    if (extra.length > 0) {
      throw new TypeError(
        `FileKeyProvider kek from configuration takes { provider, options?, kid }; unknown: ${extra.join(", ")}`,
      );
    }
    const built: KeyProvider = await ctx.create(provider, options);
    return { ...config, kek: { provider: built, kid: kid as string } };
  }
  if (typeof key === "string") return { ...config, kek: { key: keyFromText(key) } };
  if (provider !== undefined && (typeof provider !== "object" || provider === null)) {
    throw new TypeError(
      `FileKeyProvider kek.provider must be a provider name or a KeyProvider, got ${describeType(provider)}`,
    );
  }
  return config as FileKeyProviderOptions;
}

/**
 * The registry definition of {@link FileKeyProvider}: name `FileKeyProvider`, alias `file`.
 * Configuration names a KEK provider like the mirrored provider names its children:
 * `{ kek: { provider: "aws-kms", options: { … }, kid: "store-kek" } }`.
 *
 * @example
 * ```ts
 * import { createRegistry } from "@keyprovider/core";
 * import file from "@keyprovider/file";
 *
 * const provider = await createRegistry({ providers: [file] }).create("file", {
 *   directory: "/var/lib/my-service/keys",
 *   kek: { passphrase: process.env.KEYPROVIDER_PASSPHRASE! },
 * });
 * ```
 */
const file = defineProvider({
  name: "FileKeyProvider",
  aliases: ["file"],
  apiVersion: 1,
  create: async (options: FileKeyProviderConfig, ctx) =>
    new FileKeyProvider(await optionsFromConfig(options, ctx)),
});
export default file;
