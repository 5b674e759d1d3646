import { InvalidKeySpecError, type KeySpec } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { rotationSpec, validateKeySpec } from "./index.js";

const ed: KeySpec = { klass: "asym", alg: "ED25519", uses: ["sign", "verify"], exportPolicy: "public_only" };

function specError(spec: unknown, purpose?: "create" | "import"): InvalidKeySpecError {
  try {
    validateKeySpec(spec as KeySpec, purpose === undefined ? {} : { purpose });
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidKeySpecError);
    return err as InvalidKeySpecError;
  }
  throw new Error("expected InvalidKeySpecError");
}

describe("validateKeySpec", () => {
  it("fills in defaults", () => {
    expect(validateKeySpec(ed)).toEqual({
      klass: "asym",
      alg: "ED25519",
      uses: ["sign", "verify"],
      exportPolicy: "public_only",
      sizeBits: 256,
      encoding: "PEM",
      publicFormat: "SubjectPublicKeyInfo",
      privateFormat: "PKCS8",
      label: undefined,
      tags: {},
      type: "ed25519",
    });
    expect(validateKeySpec({ ...ed, alg: "RSA_PSS_SHA256" } as KeySpec).sizeBits).toBe(3072);
    expect(
      validateKeySpec({ ...ed, alg: "RSA_PSS_SHA256" } as KeySpec, { purpose: "import" }).sizeBits,
    ).toBeUndefined();
    const aes = validateKeySpec({ klass: "sym", alg: "AES256_GCM", uses: ["encrypt"], exportPolicy: "none" });
    expect([aes.type, aes.privateFormat, aes.sizeBits]).toEqual(["symmetric", "Raw", 256]);
    expect(validateKeySpec({ ...ed, klass: "opaque" } as KeySpec).type).toBe("opaque");
  });

  it("derives klass, uses and a secure export policy from the algorithm, and takes JOSE names", () => {
    const es = validateKeySpec({ alg: "ES384" });
    expect([es.alg, es.klass, es.uses, es.exportPolicy, es.sizeBits]).toEqual([
      "ECDSA_P384_SHA384",
      "asym",
      ["sign", "verify"],
      "none",
      384,
    ]);
    expect(validateKeySpec({ alg: "RS256", sizeBits: 2048 }).alg).toBe("RSA_PKCS1_SHA256");
    expect(validateKeySpec({ alg: "A256GCM" }).uses).toEqual(["encrypt", "decrypt"]);
    expect(validateKeySpec({ alg: "X25519" }).uses).toEqual(["encrypt", "decrypt", "decaps"]);
    expect(validateKeySpec({ klass: "opaque", alg: "HMAC_SHA256" }).uses).toEqual([]);
    expect(() => validateKeySpec({ alg: "none" } as unknown as KeySpec)).toThrow(InvalidKeySpecError);
    expect(() => validateKeySpec({ alg: "ES512", sizeBits: 521 } as unknown as KeySpec)).toThrow(
      /sizeBits applies to RSA keys only/,
    );
  });

  it("puts the label into tags and deduplicates uses", () => {
    const spec = validateKeySpec({ ...ed, uses: ["sign", "sign"], label: "api", tags: { team: "id" } });
    expect(spec.uses).toEqual(["sign"]);
    expect(spec.tags).toEqual({ team: "id", label: "api" });
    expect(Object.isFrozen(spec) && Object.isFrozen(spec.tags) && Object.isFrozen(spec.uses)).toBe(true);
  });

  it.each([
    [
      "klass",
      { ...ed, klass: "asymmetric" },
      'KeySpec.klass: must be one of "sym", "asym", "opaque", got "asymmetric"',
    ],
    ["alg", { ...ed, alg: "ED448" }, "KeySpec.alg: must be one of"],
    [
      "exportPolicy",
      { ...ed, exportPolicy: "public" },
      'KeySpec.exportPolicy: must be one of "none", "public_only", "secret_when_allowed", got "public"',
    ],
    ["klass", { ...ed, klass: "sym" }, 'KeySpec.klass: ED25519 is an asymmetric algorithm; use klass "asym"'],
    [
      "klass",
      { klass: "asym", alg: "AES256_GCM", uses: [], exportPolicy: "none" },
      'AES256_GCM is a symmetric algorithm; use klass "sym"',
    ],
    ["uses", { ...ed, uses: ["encrypt"] }, '"encrypt" is not a use of ED25519; allowed: "sign", "verify"'],
    ["uses", { ...ed, uses: "sign" }, "KeySpec.uses: must be an array of"],
    ["uses", { ...ed, uses: ["sing"] }, 'KeySpec.uses: must be one of "encrypt"'],
    [
      "uses",
      { klass: "sym", alg: "HMAC_SHA256", uses: ["encrypt", "wrap"], exportPolicy: "none" },
      '"encrypt", "wrap" are not a use of HMAC_SHA256',
    ],
    [
      "sizeBits",
      { ...ed, alg: "RSA_OAEP_SHA256", uses: ["encrypt"], sizeBits: 1024 },
      "RSA_OAEP_SHA256 keys are 2048, 3072 or 4096 bits, got 1024",
    ],
    [
      "sizeBits",
      { ...ed, sizeBits: 4096 },
      "ED25519 keys are always 256 bits; sizeBits applies to RSA keys only",
    ],
    ["sizeBits", { ...ed, alg: "RSA_PSS_SHA256", sizeBits: "2048" }, "KeySpec.sizeBits: must be an integer"],
    ["sizeBits", { ...ed, klass: "opaque", sizeBits: 256 }, "does not apply to opaque keys"],
    ["encoding", { ...ed, encoding: "JWK" }, 'KeySpec.encoding: must be one of "PEM", "DER"'],
    [
      "encoding",
      { klass: "sym", alg: "AES256_GCM", uses: [], exportPolicy: "none", encoding: "PEM" },
      "applies to asymmetric keys only",
    ],
    [
      "publicFormat",
      { ...ed, alg: "ECDSA_P256_SHA256", publicFormat: "Raw" },
      '"Raw" applies to ED25519 and X25519 keys only',
    ],
    [
      "publicFormat",
      { klass: "sym", alg: "AES256_GCM", uses: [], exportPolicy: "none", publicFormat: "Raw" },
      "applies to asymmetric keys only",
    ],
    [
      "privateFormat",
      { ...ed, alg: "RSA_PSS_SHA256", privateFormat: "Raw" },
      'use "PKCS8" for RSA_PSS_SHA256',
    ],
    [
      "privateFormat",
      { klass: "sym", alg: "AES256_GCM", uses: [], exportPolicy: "none", privateFormat: "PKCS8" },
      'must be "Raw" (or omitted) for symmetric keys',
    ],
    ["privateFormat", { ...ed, privateFormat: "TraditionalOpenSSL" }, 'must be one of "PKCS8", "Raw"'],
    ["label", { ...ed, label: 7 }, "KeySpec.label: must be a string, got the number 7"],
    ["label", { ...ed, label: "x".repeat(257) }, "at most 256 characters"],
    ["tags", { ...ed, tags: { a: 1 } }, 'the value of "a" must be a string'],
    ["tags", { ...ed, tags: ["a"] }, "must be an object of string values"],
    [
      "tags",
      { ...ed, tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`t${i}`, "v"])) },
      "at most 50 tags",
    ],
    [
      "encryption",
      { ...ed, encryption: "NoEncryption" },
      'KeySpec.encryption: "encryption" is not a KeySpec field',
    ],
  ])("refuses a bad %s: %j", (field, spec, message) => {
    const error = specError(spec);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  it("lets opaque keys carry any alg and uses", () => {
    expect(
      validateKeySpec({ klass: "opaque", alg: "ED25519", uses: ["encrypt", "sign"], exportPolicy: "none" })
        .uses,
    ).toEqual(["encrypt", "sign"]);
  });

  it("refuses a non-object spec with TypeError", () => {
    expect(() => validateKeySpec(null as never)).toThrow(TypeError);
    expect(() => validateKeySpec("ED25519" as never)).toThrow(TypeError);
  });
});

describe("rotationSpec", () => {
  const rsa = validateKeySpec({
    klass: "asym",
    alg: "RSA_PSS_SHA256",
    uses: ["sign"],
    exportPolicy: "none",
    sizeBits: 2048,
    encoding: "DER",
    label: "old",
    tags: { team: "id" },
  });

  it("keeps size, encodings, label and tags", () => {
    expect(rotationSpec(rsa, undefined)).toEqual(rsa);
  });

  it("applies overrides", () => {
    const next = rotationSpec(rsa, { sizeBits: 4096, label: "new" });
    expect([next.sizeBits, next.label, next.tags, next.exportPolicy, next.encoding]).toEqual([
      4096,
      "new",
      { team: "id", label: "new" },
      "none",
      "DER",
    ]);
  });

  it("may tighten the export policy but never loosen it", () => {
    const open = validateKeySpec({ ...ed, exportPolicy: "secret_when_allowed" });
    expect(rotationSpec(open, { exportPolicy: "public_only" }).exportPolicy).toBe("public_only");
    expect(rotationSpec(open, { exportPolicy: "none" }).exportPolicy).toBe("none");
    expect(() => rotationSpec(rsa, { exportPolicy: "secret_when_allowed" })).toThrow(
      'a rotation cannot loosen the export policy from "none" to "secret_when_allowed"',
    );
    expect(() => rotationSpec(validateKeySpec(ed), { exportPolicy: "secret_when_allowed" })).toThrow(
      InvalidKeySpecError,
    );
  });

  it("reads each override once, as an own property", () => {
    let reads = 0;
    const tricky = {
      get label() {
        reads += 1;
        return reads === 1 ? "fine" : (7 as unknown as string);
      },
    };
    expect(rotationSpec(rsa, tricky).label).toBe("fine");
    expect(reads).toBe(1);
  });

  it("keeps a tag named label when the spec has no label", () => {
    const tagged = validateKeySpec({ ...ed, tags: { label: "from-tags" } });
    expect(rotationSpec(tagged, {}).tags).toEqual({ label: "from-tags" });
  });

  it("refuses to change the algorithm or class", () => {
    expect(() => rotationSpec(rsa, { alg: "RSA_OAEP_SHA256" })).toThrow(
      /a rotation keeps the algorithm of the key \(RSA_PSS_SHA256\)/,
    );
    expect(() => rotationSpec(rsa, { klass: "opaque" })).toThrow(InvalidKeySpecError);
    expect(rotationSpec(rsa, { alg: "RSA_PSS_SHA256" }).alg).toBe("RSA_PSS_SHA256");
  });

  it("validates the overrides", () => {
    expect(() => rotationSpec(rsa, { sizeBits: 1024 })).toThrow(/2048, 3072 or 4096/);
    expect(() => rotationSpec(rsa, "big")).toThrow(TypeError);
  });
});
