import { defineProvider } from "@keyprovider/core";
import { LocalKeyProvider, type LocalKeyProviderOptions } from "./local-key-provider.js";

export { LocalKeyProvider } from "./local-key-provider.js";
export type { LocalKeyProviderOptions } from "./local-key-provider.js";

/**
 * The registry definition of {@link LocalKeyProvider}: name `LocalKeyProvider`, alias `local`.
 *
 * @example
 * ```ts
 * import { createRegistry } from "@keyprovider/core";
 * import local from "@keyprovider/local";
 *
 * const provider = await createRegistry({ providers: [local] }).create("local");
 * ```
 */
const local = defineProvider({
  name: "LocalKeyProvider",
  aliases: ["local"],
  apiVersion: 1,
  create: (options: LocalKeyProviderOptions | undefined) => new LocalKeyProvider(options),
});
export default local;
