import { describe, expect, it } from "vitest";
import { InvalidConfigError } from "../errors.js";
import { assertNoLiteralSecrets } from "./literal-secrets.js";

const SECRET = "correct-horse-battery-staple";

function refusal(value: unknown, source = "--options"): InvalidConfigError {
  try {
    assertNoLiteralSecrets(value, source);
  } catch (err) {
    if (InvalidConfigError.isInstance(err)) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("assertNoLiteralSecrets", () => {
  it.each([
    "passphrase",
    "password",
    "key",
    "secret",
    "secretAccessKey",
    "sessionToken",
    "privateKey",
    "token",
    "apiKey",
    "clientSecret",
    "PASSWORD",
    "client_secret",
    "api-key",
    "Private_Key",
  ])("refuses a literal string under %s, naming the member and never the value", (name) => {
    const error = refusal({ kek: { [name]: SECRET } });
    expect(error.code).toBe("ERR_INVALID_CONFIG");
    expect(error.reason).toBe("literal_secret");
    expect(error.source).toBe("--options");
    expect(error.member).toMatch(new RegExp(`^kek(\\.${name}|\\["${name}"\\])$`));
    expect(error.message).toContain('{ "$env": "VARIABLE_NAME" }');
    expect(error.message).not.toContain(SECRET);
  });

  it("refuses numbers, byte lists, string lists and bytes, at any depth and inside arrays", () => {
    expect(refusal({ key: [1, 2, 3] }).member).toBe("key");
    expect(refusal({ pin: 1, password: 1234 }).member).toBe("password");
    expect(refusal({ privateKey: ["-----BEGIN PRIVATE KEY-----", "MC4CAQ"] }).member).toBe("privateKey");
    expect(refusal({ key: new Uint8Array(32) }).member).toBe("key");
    expect(refusal({ mirrors: [{ provider: "x" }, { options: { token: "t" } }] }).member).toBe(
      "mirrors[1].options.token",
    );
    expect(refusal({ options: { primary: { options: { kek: { secret: "s" } } } } }).member).toBe(
      "options.primary.options.kek.secret",
    );
  });

  it("accepts $env references, objects under secret names, and secret-free values", () => {
    expect(() =>
      assertNoLiteralSecrets(
        {
          directory: "keys",
          kek: { passphrase: { $env: "KEK_PASSPHRASE" } },
          credentials: { accessKeyId: "AKIA…", secretAccessKey: { $env: "AWS_SECRET_ACCESS_KEY" } },
          wrap: { key: { provider: "aws-kms", kid: "abc" } },
          token: null,
          password: false,
          keys: ["a", "b"],
          keyId: "not-a-secret-name",
        },
        "x",
      ),
    ).not.toThrow();
    expect(() => assertNoLiteralSecrets("just a string", "x")).not.toThrow();
    expect(() => assertNoLiteralSecrets(undefined, "x")).not.toThrow();
  });

  it("names odd member names readably and bounds them", () => {
    expect(refusal({ "a.b": { token: "t" } }).member).toBe('["a.b"].token');
  });

  it("puts the source in the message", () => {
    expect(refusal({ token: "t" }, "/app/keyprovider.config.json").message).toMatch(
      /^token in \/app\/keyprovider\.config\.json is a literal secret/,
    );
  });

  it("takes a string source", () => {
    expect(() => assertNoLiteralSecrets({}, undefined as unknown as string)).toThrow(TypeError);
  });
});
