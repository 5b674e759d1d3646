import { defineProvider } from "@keyprovider/core";
import { InMemoryKeyProvider, type InMemoryKeyProviderOptions } from "./in-memory-key-provider.js";

export { InMemoryKeyProvider } from "./in-memory-key-provider.js";
export type { InMemoryKeyProviderOptions } from "./in-memory-key-provider.js";

/**
 * The registry definition of {@link InMemoryKeyProvider}: name `InMemoryKeyProvider`, alias
 * `inmemory`.
 *
 * @example
 * ```ts
 * import { createRegistry } from "@keyprovider/core";
 * import inmemory from "@keyprovider/inmemory";
 *
 * const provider = await createRegistry({ providers: [inmemory] }).create("inmemory");
 * ```
 */
const inmemory = defineProvider({
  name: "InMemoryKeyProvider",
  aliases: ["inmemory"],
  apiVersion: 1,
  create: (options: InMemoryKeyProviderOptions | undefined) => new InMemoryKeyProvider(options),
});
export default inmemory;
