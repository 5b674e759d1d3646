// The conformance suite once more, on a provider that restarts before every call: each method runs
// on a new FileKeyProvider over the same directory, so whatever a call relies on (policies, staged
// versions, fingerprints, labels, destroyed numbers) must have come from disk, not from a cache.
import { describeKeyProvider } from "@keyprovider/testkit";
import { FileKeyProvider, type FileKek } from "../src/index.js";
import { CAPABILITIES } from "./conformance.js";
import { rawKek, storeDirectory } from "./helpers.js";

function restartingProvider(directory: string, kek: FileKek): FileKeyProvider {
  const first = new FileKeyProvider({ directory, kek });
  return new Proxy(first, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || property === "supports" || property === "constructor") return value;
      return (...args: unknown[]) => {
        const fresh = new FileKeyProvider({ directory, kek });
        return (Reflect.get(fresh, property) as (...a: unknown[]) => unknown).apply(fresh, args);
      };
    },
  });
}

describeKeyProvider(
  "FileKeyProvider, restarted before every call",
  async () => restartingProvider(await storeDirectory(), rawKek()),
  CAPABILITIES,
);
