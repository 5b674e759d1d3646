import { describe, expectTypeOf, it } from "vitest";
import type {
  AnyKeyProviderError,
  KeyAlg,
  KeyProviderErrorCode,
  KeySpec,
  NormalizedKeySpec,
} from "./index.js";
import { createRegistry, defineProvider, type KeyProvider } from "./index.js";

// These tests are checked by the compiler (the typecheck step of `pnpm test`); at run time they
// only have to load.
describe("KeySpec is a union keyed on alg", () => {
  it("accepts sensible specs with defaults left out", () => {
    expectTypeOf<{ alg: "ED25519" }>().toExtend<KeySpec>();
    expectTypeOf<{ alg: "RS256"; sizeBits: 4096 }>().toExtend<KeySpec>();
    expectTypeOf<{ alg: "ES384"; encoding: "DER" }>().toExtend<KeySpec>();
    expectTypeOf<{ alg: "X25519"; publicFormat: "Raw"; privateFormat: "Raw" }>().toExtend<KeySpec>();
    expectTypeOf<{ alg: "AES256_GCM"; exportPolicy: "secret_when_allowed" }>().toExtend<KeySpec>();
    expectTypeOf<{ klass: "opaque"; alg: "HMAC_SHA256" }>().toExtend<KeySpec>();
  });

  it("refuses specs that make no sense", () => {
    // @ts-expect-error: an Ed25519 key has no size
    const ed: KeySpec = { alg: "ED25519", sizeBits: 2048 };
    // @ts-expect-error: RSA sizes are 2048, 3072 or 4096
    const rsa: KeySpec = { alg: "RSA_PSS_SHA256", sizeBits: 1024 };
    // @ts-expect-error: "Raw" applies to Ed25519/X25519 only
    const ec: KeySpec = { alg: "ES256", publicFormat: "Raw" };
    // @ts-expect-error: secrets have no encoding
    const aes: KeySpec = { alg: "AES256_GCM", encoding: "PEM" };
    // @ts-expect-error: klass contradicts alg
    const klass: KeySpec = { klass: "sym", alg: "ED25519" };
    // @ts-expect-error: not an algorithm
    const none: KeySpec = { alg: "none" };
    void [ed, rsa, ec, aes, klass, none];
  });

  it("normalises to one shape", () => {
    expectTypeOf<NormalizedKeySpec["alg"]>().toEqualTypeOf<KeyAlg>();
  });
});

describe("errors", () => {
  it("switch (err.code) narrows to the class", () => {
    const status = (err: AnyKeyProviderError): number => {
      switch (err.code) {
        case "ERR_KEY_NOT_FOUND":
          expectTypeOf(err.kid).toEqualTypeOf<string>();
          return 404;
        case "ERR_PROVIDER_UNAVAILABLE":
          expectTypeOf(err.retryable).toEqualTypeOf<boolean>();
          return 503;
        case "ERR_REMOTE_JWKS_TIMEOUT":
          expectTypeOf(err.url).toEqualTypeOf<string | undefined>();
          return 504;
        default:
          return 500;
      }
    };
    void status;
    expectTypeOf<"ERR_DECRYPTION_FAILED">().toExtend<KeyProviderErrorCode>();
    // @ts-expect-error: not a code of the family
    const code: KeyProviderErrorCode = "ERR_NOT_SUPPORTED_X";
    void code;
  });
});

describe("a registry built from definitions is typed", () => {
  it("knows names, aliases and options", () => {
    const fake = {} as KeyProvider;
    const alpha = defineProvider({
      name: "AlphaKeyProvider",
      aliases: ["alpha"],
      apiVersion: 1,
      create: (options: { region: string } | undefined) => (void options, fake),
    });
    const registry = createRegistry({ providers: [alpha] });
    expectTypeOf<Parameters<typeof registry.create>[0]>().toEqualTypeOf<"AlphaKeyProvider" | "alpha">();
    const create = () => {
      void registry.create("alpha", { region: "eu-west-1" });
      // @ts-expect-error: wrong options for this provider
      void registry.create("alpha", { region: 1 });
      // @ts-expect-error: an unknown name does not compile
      void registry.create("beta");
    };
    void create;
  });
});
