import { describe, expect, it, vi } from "vitest";
import {
  FIRST_PARTY_PROVIDERS,
  InvalidProviderError,
  ProviderNotFoundError,
  createRegistry,
  defineProvider,
  isProviderDefinition,
  type KeyProvider,
  type ProviderDefinition,
} from "./index.js";

/** A stand-in provider: the registry only creates and returns it. */
function fakeProvider(label: string): KeyProvider {
  return { label } as unknown as KeyProvider;
}

const memory = defineProvider({
  name: "InMemoryKeyProvider",
  aliases: ["inmemory"],
  apiVersion: 1,
  create: (options: unknown) => fakeProvider(`memory:${JSON.stringify(options ?? null)}`),
});

describe("defineProvider", () => {
  it("returns a frozen, branded definition", () => {
    expect(isProviderDefinition(memory)).toBe(true);
    expect(Object.isFrozen(memory)).toBe(true);
    expect(Object.isFrozen(memory.aliases)).toBe(true);
    expect(memory.name).toBe("InMemoryKeyProvider");
    expect(memory.aliases).toEqual(["inmemory"]);
  });

  it("refuses malformed input with TypeError", () => {
    const create = () => fakeProvider("x");
    expect(() => defineProvider({ name: "", apiVersion: 1, create })).toThrow(TypeError);
    expect(() => defineProvider({ name: "has space", apiVersion: 1, create })).toThrow(/name must be/);
    expect(() => defineProvider({ name: "Ok", aliases: [""], apiVersion: 1, create })).toThrow(
      /aliases\[0\]/,
    );
    expect(() => defineProvider({ name: "Ok", apiVersion: 2 as 1, create })).toThrow(/apiVersion must be 1/);
    expect(() => defineProvider({ name: "Ok", apiVersion: 1, create: "x" as never })).toThrow(
      /create must be a function/,
    );
  });

  it("look-alike objects are not definitions", () => {
    expect(isProviderDefinition({ name: "X", aliases: [], apiVersion: 1, create() {} })).toBe(false);
  });
});

describe("createRegistry", () => {
  it("creates eager providers by name and alias", async () => {
    const registry = createRegistry({ providers: [memory] });
    expect(registry.has("InMemoryKeyProvider")).toBe(true);
    expect(registry.has("inmemory")).toBe(true);
    expect(registry.list()).toEqual(["InMemoryKeyProvider", "inmemory"]);
    expect(await registry.create("inmemory", { a: 1 })).toEqual({ label: 'memory:{"a":1}' });
    expect(await registry.get("InMemoryKeyProvider")).toBe(memory);
  });

  it("loads lazy providers once, on first use", async () => {
    const loader = vi.fn(async () => ({ default: memory }));
    const registry = createRegistry({ loaders: { inmemory: loader } });
    expect(loader).not.toHaveBeenCalled();
    expect(registry.has("inmemory")).toBe(true);
    const [a, b] = await Promise.all([registry.get("inmemory"), registry.get("inmemory")]);
    expect(a).toBe(memory);
    expect(b).toBe(memory);
    expect(loader).toHaveBeenCalledTimes(1);
    // After loading, the canonical name is known too.
    expect(registry.has("InMemoryKeyProvider")).toBe(true);
    // @ts-expect-error: statically the registry knows only its loader names
    await registry.create("InMemoryKeyProvider");
    expect(loader).toHaveBeenCalledTimes(1);
  });

  it("accepts a loader that returns the definition itself", async () => {
    const registry = createRegistry({ loaders: { signing: async () => memory } });
    expect(await registry.get("signing")).toBe(memory);
  });

  it("a failing loader is a ProviderNotFoundError with the cause, and can be retried", async () => {
    let attempts = 0;
    const registry = createRegistry({
      loaders: {
        local: async () => {
          attempts += 1;
          if (attempts === 1)
            throw Object.assign(new Error("Cannot find package '@keyprovider/local'"), {
              code: "ERR_MODULE_NOT_FOUND",
            });
          return memory;
        },
      },
    });
    const error = await registry.get("local").catch((e: unknown) => e);
    expect(ProviderNotFoundError.isInstance(error)).toBe(true);
    expect((error as ProviderNotFoundError).packageName).toBe("@keyprovider/local");
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(await registry.get("local")).toBe(memory);
  });

  it("a loader returning something else is an InvalidProviderError", async () => {
    const registry = createRegistry({
      loaders: { bad: async () => ({ default: { name: "Bad" } as never }) },
    });
    await expect(registry.get("bad")).rejects.toThrow(InvalidProviderError);
    await expect(registry.get("bad")).rejects.toThrow(/not a provider definition made with defineProvider/);
  });

  it("an unknown name lists the known names and the package to install", async () => {
    const registry = createRegistry({ providers: [memory] });
    // @ts-expect-error: an unknown name does not compile, and is still refused at run time
    const error = (await registry.create("local").catch((e: unknown) => e)) as ProviderNotFoundError;
    expect(error).toBeInstanceOf(ProviderNotFoundError);
    expect(error.providerName).toBe("local");
    expect(error.known).toEqual(["InMemoryKeyProvider", "inmemory"]);
    expect(error.packageName).toBe("@keyprovider/local");
    expect(error.message).toContain("Known: InMemoryKeyProvider, inmemory.");
    expect(error.message).toContain("Install @keyprovider/local");
  });

  it("every first-party provider is released: a missing one names its package to install", async () => {
    expect(FIRST_PARTY_PROVIDERS.filter((entry) => entry.planned === true)).toEqual([]);
    const registry = createRegistry({ providers: [memory] });
    // @ts-expect-error: an unknown name does not compile
    const error = (await registry.create("file").catch((e: unknown) => e)) as ProviderNotFoundError;
    expect(error.packageName).toBe("@keyprovider/file");
    expect(error.message).toContain("Install @keyprovider/file");
    expect(error.message).not.toContain("planned");
  });

  it("an unknown third-party name suggests a case-insensitive match", async () => {
    const registry = createRegistry({ providers: [memory] });
    // @ts-expect-error: an unknown name does not compile
    const error = (await registry.get("InMemory").catch((e: unknown) => e)) as ProviderNotFoundError;
    expect(error.packageName).toBeUndefined();
    // @ts-expect-error: an unknown name does not compile
    const typo = (await registry.get("INMEMORY").catch((e: unknown) => e)) as ProviderNotFoundError;
    expect(typo.message).toContain('Did you mean "inmemory"?');
  });

  it("refuses a second definition under a taken name", () => {
    const registry = createRegistry({ providers: [memory] });
    const impostor = defineProvider({
      name: "Other",
      aliases: ["inmemory"],
      apiVersion: 1,
      create: () => fakeProvider("o"),
    });
    expect(() => registry.register(impostor)).toThrow(InvalidProviderError);
    expect(() => registry.register(impostor)).toThrow(/"inmemory" already belongs to InMemoryKeyProvider/);
    registry.register(memory); // the same definition again is fine
  });

  it("refuses unbranded or wrong-version definitions", () => {
    const registry = createRegistry();
    expect(() =>
      registry.register({ name: "X", aliases: [], apiVersion: 1, create: () => fakeProvider("x") }),
    ).toThrow(InvalidProviderError);
    const future = { ...memory, apiVersion: 2 } as unknown as ProviderDefinition;
    Object.defineProperty(future, Symbol.for("keyprovider.provider-definition"), { value: 2 });
    expect(() => registry.register(future)).toThrow(/API version 2/);
  });

  it("lets composite providers build their children through ctx.create", async () => {
    const mirrored = defineProvider({
      name: "MirroredKeyProvider",
      aliases: ["mirrored"],
      apiVersion: 1,
      create: async (
        options: { primary: { provider: string; options?: unknown }; secondary: { provider: string } },
        ctx,
      ) => {
        const primary = await ctx.create(options.primary.provider, options.primary.options);
        const secondary = await ctx.create(options.secondary.provider);
        return { primary, secondary } as unknown as KeyProvider;
      },
    });
    const registry = createRegistry({ providers: [memory, mirrored] });
    const created = await registry.create("mirrored", {
      primary: { provider: "inmemory", options: { p: 1 } },
      secondary: { provider: "InMemoryKeyProvider" },
    });
    expect(created).toEqual({
      primary: { label: 'memory:{"p":1}' },
      secondary: { label: "memory:null" },
    });
  });

  it("stops a composite that contains itself", async () => {
    const loop = defineProvider({
      name: "Loop",
      apiVersion: 1,
      create: (_options: unknown, ctx) => ctx.create("Loop"),
    });
    await expect(createRegistry({ providers: [loop] }).create("Loop")).rejects.toThrow(
      /nested more than 8 deep/,
    );
  });

  it("refuses bad arguments with TypeError", () => {
    expect(() => createRegistry(null as never)).toThrow(TypeError);
    expect(() => createRegistry({ loaders: { x: "nope" as never } })).toThrow(TypeError);
  });
});

describe("baseDirectory: where relative paths in options point", () => {
  const seen: (string | undefined)[] = [];
  const leaf = defineProvider({
    name: "LeafKeyProvider",
    apiVersion: 1,
    create: (_options: unknown, ctx) => {
      seen.push(ctx.baseDirectory);
      return fakeProvider("leaf");
    },
  });
  const parent = defineProvider({
    name: "ParentKeyProvider",
    apiVersion: 1,
    create: async (_options: unknown, ctx) => {
      seen.push(ctx.baseDirectory);
      return ctx.create("LeafKeyProvider");
    },
  });

  it("reaches the provider and every provider it creates; without it, undefined (the working directory)", async () => {
    const registry = createRegistry({ providers: [leaf, parent] });
    seen.length = 0;
    await registry.create("ParentKeyProvider", undefined, { baseDirectory: "/etc/my-service" });
    await registry.create("ParentKeyProvider");
    expect(seen).toEqual(["/etc/my-service", "/etc/my-service", undefined, undefined]);
  });

  it("must be absolute", async () => {
    const registry = createRegistry({ providers: [leaf] });
    await expect(registry.create("LeafKeyProvider", undefined, { baseDirectory: "keys" })).rejects.toThrow(
      /baseDirectory must be an absolute path/,
    );
  });
});
