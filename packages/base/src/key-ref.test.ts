import { format, inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { b64url, createKeyRef, validateKeySpec } from "./index.js";

const secret = new Uint8Array(32).map((_, i) => (i * 37 + 11) & 0xff);
const secretForms = [
  Buffer.from(secret).toString("hex"),
  Buffer.from(secret).toString("base64"),
  b64url(secret),
  Array.from(secret).join(","),
];
const fields = {
  kid: "0123456789abcdef0123456789abcdef",
  version: 1,
  type: "symmetric",
  uses: ["encrypt", "decrypt"],
  exportPolicy: "secret_when_allowed",
  alg: "AES256_GCM",
  material: secret,
  tags: { label: "session" },
  fingerprint: "fp",
  status: "primary",
  spec: validateKeySpec({ alg: "AES256_GCM", exportPolicy: "secret_when_allowed", label: "session" }),
} as const;

describe("createKeyRef", () => {
  it("is frozen and keeps material readable", () => {
    const ref = createKeyRef(fields);
    expect(Object.isFrozen(ref)).toBe(true);
    expect(Object.isFrozen(ref.uses)).toBe(true);
    expect(Object.isFrozen(ref.tags)).toBe(true);
    expect(ref.material).toEqual(secret);
    expect(() => {
      (ref as { version: number }).version = 2;
    }).toThrow(TypeError);
  });

  it("copies material and public so callers cannot alter each other's bytes", () => {
    const pub = new Uint8Array([1, 2, 3]);
    const ref = createKeyRef({ ...fields, public: pub });
    pub[0] = 9;
    expect(ref.public).toEqual(new Uint8Array([1, 2, 3]));
    expect(ref.material).not.toBe(secret);
  });

  it.each([
    ["JSON.stringify", (v: unknown) => JSON.stringify(v)],
    ["String", (v: unknown) => String(v)],
    ["template literal", (v: unknown) => `${v as string}`],
    ["util.inspect", (v: unknown) => inspect(v)],
    ["util.inspect deep, hidden", (v: unknown) => inspect(v, { depth: Infinity, showHidden: true })],
    ["format %o", (v: unknown) => format("%o", v)],
    ["format %O", (v: unknown) => format("%O", v)],
    ["format %j", (v: unknown) => format("%j", v)],
    ["spread then JSON", (v: unknown) => JSON.stringify({ ...(v as object) })],
    ["spread then inspect", (v: unknown) => inspect({ ...(v as object) }, { depth: Infinity })],
    ["Object.entries", (v: unknown) => JSON.stringify(Object.entries(v as object))],
    ["structuredClone then JSON", (v: unknown) => JSON.stringify(structuredClone(v))],
  ])("%s never shows the material", (_name, serialise) => {
    const out = serialise(createKeyRef(fields));
    for (const form of secretForms) expect(out).not.toContain(form);
  });

  it("says in JSON that material was present, and shows everything else", () => {
    const json = JSON.parse(
      JSON.stringify(createKeyRef({ ...fields, public: new Uint8Array([0, 1]) })),
    ) as Record<string, unknown>;
    expect(json).toEqual({
      kid: fields.kid,
      version: 1,
      status: "primary",
      type: "symmetric",
      alg: "AES256_GCM",
      uses: ["encrypt", "decrypt"],
      exportPolicy: "secret_when_allowed",
      public: "AAE",
      material: "[redacted]",
      tags: { label: "session" },
      fingerprint: "fp",
    });
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- refs from createKeyRef define toString
    expect(String(createKeyRef(fields))).toBe(`KeyRef(${fields.kid} v1 AES256_GCM)`);
    expect(inspect(createKeyRef(fields))).toMatch(/^KeyRef \{/);
    // The spec is readable but stays out of spreads, JSON and inspect output.
    expect(createKeyRef(fields).spec.alg).toBe("AES256_GCM");
    expect({ ...createKeyRef(fields) }).not.toHaveProperty("spec");
  });

  it("has no material property at all when none is given", () => {
    const { material: _material, ...withoutMaterial } = fields;
    const ref = createKeyRef(withoutMaterial);
    expect("material" in ref).toBe(false);
    expect(JSON.stringify(ref)).not.toContain("material");
  });
});
