import { generateKeyPairSync, type KeyObject } from "node:crypto";
import type { KeySpec } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { LocalKeyProvider } from "../src/index.js";

const exported = (key: KeyObject, type: "spki" | "pkcs8", format: "pem" | "der"): Uint8Array =>
  new Uint8Array(
    Buffer.from(
      format === "pem"
        ? key.export({ type: type, format: "pem" })
        : key.export({ type: type as "pkcs8", format: "der" }),
    ),
  );
const fromOpenSsl = {
  spki: (key: KeyObject, format: "pem" | "der") => exported(key, "spki", format),
  pkcs8: (key: KeyObject, format: "pem" | "der") => exported(key, "pkcs8", format),
};
const pem = (bytes: Uint8Array) => new TextEncoder().encode(Buffer.from(bytes).toString("utf8"));

// Ed25519, X25519 and EC encodings are built without OpenSSL's encoders (they are 30-70x slower
// than the key generation itself); they must be byte-identical to what OpenSSL writes.
describe("encodings are byte-identical to OpenSSL's", () => {
  it.each([
    ["ED25519", "ed25519", {}, 100],
    ["X25519", "x25519", {}, 100],
    ["ECDSA_P256_SHA256", "ec", { namedCurve: "P-256" }, 100],
    ["ECDSA_P384_SHA384", "ec", { namedCurve: "P-384" }, 30],
    ["ECDSA_P521_SHA512", "ec", { namedCurve: "P-521" }, 30],
  ] as const)("%s: random keys, PEM and DER", async (alg, type, options, count) => {
    const provider = new LocalKeyProvider();
    for (let i = 0; i < count; i += 1) {
      const { privateKey, publicKey } = generateKeyPairSync(type as "ed25519", options);
      for (const encoding of ["PEM", "DER"] as const) {
        const spec = { alg, exportPolicy: "secret_when_allowed", encoding } as KeySpec;
        const ref = await provider.importKey(spec, fromOpenSsl.pkcs8(privateKey, "der"));
        const format = encoding === "PEM" ? "pem" : "der";
        expect(ref.public).toEqual(fromOpenSsl.spki(publicKey, format));
        expect(ref.material).toEqual(fromOpenSsl.pkcs8(privateKey, format));
        expect(pem(ref.public!)).toEqual(pem(fromOpenSsl.spki(publicKey, format)));
        expect(await provider.exportKey(ref.kid, { format: "der" })).toEqual(
          fromOpenSsl.spki(publicKey, "der"),
        );
      }
    }
  });
});
