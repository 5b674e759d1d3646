import { resolve } from "node:path";
import { defineProvider, describeType, type KeyProvider } from "@keyprovider/core";
import { FileMappingStore } from "./mapping-store.js";
import { MirroredKeyProvider } from "./mirrored-key-provider.js";
import type { MirroredKeyProviderOptions } from "./types.js";

export { FileMappingStore, InMemoryMappingStore } from "./mapping-store.js";
export type { MappingStore, MirrorMapping } from "./mapping-store.js";
export { MirrorWriteError } from "./mirror-write-error.js";
export { MirroredKeyProvider } from "./mirrored-key-provider.js";
export type {
  FailoverEvent,
  MirrorEventMap,
  MirrorFailedEvent,
  MirrorStatus,
  MirroredKeyProviderOptions,
  ResyncOptions,
  ResyncReport,
} from "./types.js";
export type { MirrorMode } from "./lib/copy-request.js";
export type { FailoverReason, MirrorErrorSummary } from "./lib/errors.js";

/**
 * One side of a mirror in configuration: a registered provider's name (or alias) and its options.
 *
 * @example
 * ```ts
 * const side: MirrorSideConfig = { provider: "aws-kms", options: { region: "eu-west-1" } };
 * ```
 */
export interface MirrorSideConfig {
  readonly provider: string;
  readonly options?: unknown;
}

/**
 * The options of the `mirrored` registry entry: both sides by name, the provider's options, and
 * `mappingFile` for a {@link FileMappingStore} at that path.
 *
 * @example
 * ```ts
 * const config: MirroredKeyProviderConfig = {
 *   primary: { provider: "local" },
 *   secondary: { provider: "local" },
 *   mirrorMode: "public_only",
 * };
 * ```
 */
export interface MirroredKeyProviderConfig extends MirroredKeyProviderOptions {
  readonly primary: MirrorSideConfig;
  readonly secondary: MirrorSideConfig;
  /** Keep mappings in this JSON file (see {@link FileMappingStore}); not together with `mappingStore`. */
  readonly mappingFile?: string;
}

function readSide(config: unknown, name: string): MirrorSideConfig {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new TypeError(
      `mirrored options.${name} must be { provider, options? }, got ${describeType(config)}`,
    );
  }
  const { provider, options, ...rest } = config as Record<string, unknown>;
  if (typeof provider !== "string") {
    throw new TypeError(
      `mirrored options.${name}.provider must be a provider name, got ${describeType(provider)}`,
    );
  }
  if (Object.keys(rest).length > 0) {
    throw new TypeError(`mirrored options.${name} takes only "provider" and "options"`);
  }
  return { provider, options };
}

/**
 * The registry definition of {@link MirroredKeyProvider}: name `MirroredKeyProvider`, alias
 * `mirrored`. Both sides are built by name with `ctx.create`, so they must be registered too.
 *
 * @example
 * ```ts
 * import { createRegistry } from "@keyprovider/core";
 * import local from "@keyprovider/local";
 * import mirrored from "@keyprovider/mirrored";
 *
 * const registry = createRegistry({ providers: [local, mirrored] });
 * const provider = await registry.create("mirrored", {
 *   primary: { provider: "local" },
 *   secondary: { provider: "local" },
 * });
 * ```
 */
const mirrored = defineProvider({
  name: "MirroredKeyProvider",
  aliases: ["mirrored"],
  apiVersion: 1,
  create: async (config: MirroredKeyProviderConfig, ctx): Promise<MirroredKeyProvider> => {
    if (typeof config !== "object" || config === null) {
      throw new TypeError(
        `mirrored options must be { primary: { provider, options? }, secondary: { provider, options? }, … }, got ${describeType(config)}`,
      );
    }
    const { primary, secondary, mappingFile, ...options } = config;
    const primarySide = readSide(primary, "primary");
    const secondarySide = readSide(secondary, "secondary");
    if (mappingFile !== undefined && typeof mappingFile !== "string") {
      throw new TypeError(`mirrored options.mappingFile must be a path, got ${describeType(mappingFile)}`);
    }
    if (mappingFile !== undefined && options.mappingStore !== undefined) {
      throw new TypeError("mirrored options take mappingFile or mappingStore, not both");
    }
    const children: KeyProvider[] = [
      await ctx.create(primarySide.provider, primarySide.options),
      await ctx.create(secondarySide.provider, secondarySide.options),
    ];
    return new MirroredKeyProvider(children[0]!, children[1]!, {
      ...options,
      ...(mappingFile === undefined
        ? {}
        : {
            // Relative to the config file (ctx.baseDirectory), like every path in a configuration.
            mappingStore: new FileMappingStore(
              ctx.baseDirectory === undefined ? mappingFile : resolve(ctx.baseDirectory, mappingFile),
            ),
          }),
    });
  },
});
export default mirrored;
