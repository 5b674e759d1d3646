import { validateKeySpec } from "@keyprovider/base";
import { InvalidKeySpecError, type KeySpec } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { encryptionContext, parseAlias, specFromTags, tagRecord, tagsForSpec } from "./names.js";

describe("alias names", () => {
  it.each([
    ["alias/kp/abc", { kid: "abc", version: undefined }],
    ["alias/kp/abc/v1", { kid: "abc", version: 1 }],
    ["alias/kp/a-b_C/v2147483647", { kid: "a-b_C", version: 2147483647 }],
    ["alias/kp/abc/v0", undefined],
    ["alias/kp/abc/v01", undefined],
    ["alias/kp/abc/v2147483648", undefined],
    ["alias/kp/abc/x1", undefined],
    ["alias/kp/abc/v1/more", undefined],
    ["alias/kpx/abc", undefined],
    ["alias/kp/", undefined],
    ["alias/kp/a.b", undefined],
    ["alias/other/abc", undefined],
  ])("%s", (name, expected) => {
    expect(parseAlias("kp", name)).toEqual(expected);
  });
});

describe("tags", () => {
  const specs: KeySpec[] = [
    { alg: "ES256" },
    { alg: "RS256", sizeBits: 4096, label: "id tokens", tags: { team: "identity", label: "x" } },
    { alg: "PS512", uses: ["verify", "sign"] },
    { alg: "EdDSA", publicFormat: "Raw", exportPolicy: "public_only" },
    { alg: "HS256", uses: ["sign"] },
    { alg: "A256GCM", tags: { "cost-center": "42" } },
  ];

  it.each(specs.map((spec) => [spec.alg, spec] as const))(
    "%s: the spec reads back from the tags",
    (_alg, spec) => {
      const normalized = validateKeySpec(spec);
      const tags = tagRecord(tagsForSpec("keyprovider:", normalized, "kid1", 3));
      expect(tags).toMatchObject({
        "keyprovider:kid": "kid1",
        "keyprovider:version": "3",
        "keyprovider:alg": normalized.alg,
      });
      expect(specFromTags("keyprovider:", tags)).toEqual({ kid: "kid1", version: 3, spec: normalized });
    },
  );

  it("writes the RSA size and label, and nothing for defaults", () => {
    const tags = tagRecord(tagsForSpec("kp:", validateKeySpec({ alg: "RS256", label: "l" }), "k", 1));
    expect(tags).toEqual({
      "kp:kid": "k",
      "kp:version": "1",
      "kp:alg": "RSA_PKCS1_SHA256",
      "kp:size": "3072",
      "kp:label": "l",
    });
  });

  it("refuses caller tags under the provider's prefix or aws:, and more than KMS's 50", () => {
    for (const spec of [
      { alg: "ES256", tags: { "kp:kid": "x" } },
      { alg: "ES256", tags: { "AWS:x": "y" } },
      { alg: "ES256", tags: Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`t${i}`, "v"])) },
    ] as KeySpec[]) {
      expect(() => tagsForSpec("kp:", validateKeySpec(spec), "k", 1)).toThrow(InvalidKeySpecError);
    }
    const most = Object.fromEntries(Array.from({ length: 47 }, (_, i) => [`t${i}`, "v"]));
    expect(tagsForSpec("kp:", validateKeySpec({ alg: "ES256", tags: most }), "k", 1)).toHaveLength(50);
  });

  it("tags that are not a keyprovider key's claim nothing", () => {
    for (const tags of [
      {},
      { "kp:kid": "k", "kp:version": "1" },
      { "kp:kid": "k", "kp:version": "01", "kp:alg": "ECDSA_P256_SHA256" },
      { "kp:kid": "k", "kp:version": "1", "kp:alg": "DES" },
      { "kp:kid": "k", "kp:version": "1", "kp:alg": "RSA_PSS_SHA256", "kp:size": "1024" },
    ]) {
      expect(specFromTags("kp:", tags)).toBeUndefined();
    }
  });
});

describe("encryption context", () => {
  it("carries kid, version, mode and a SHA-256 of the aad, never the aad", () => {
    const aad = new TextEncoder().encode("customer-1234");
    const context = encryptionContext("k", 2, "direct", aad);
    expect(context).toEqual({
      "keyprovider:kid": "k",
      "keyprovider:version": "2",
      "keyprovider:mode": "direct",
      "keyprovider:aad-sha256": "JvF8ODVU51zM2pZ-zOEX_IpXK1Y6Aq6XZgqfCmdIngI",
    });
    expect(JSON.stringify(context)).not.toContain("customer-1234");
    expect(encryptionContext("k", 2, "direct", undefined)).toEqual(
      encryptionContext("k", 2, "direct", new Uint8Array(0)),
    );
  });
});
