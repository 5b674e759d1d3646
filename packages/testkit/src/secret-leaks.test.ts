import { generateKeyPairSync } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { findSecretLeaks, secretNeedles } from "./index.js";

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pkcs8Pem = new TextEncoder().encode(rsa.privateKey.export({ type: "pkcs8", format: "pem" }) as string);
const privateJwk = rsa.privateKey.export({ format: "jwk" });
const publicJwk = rsa.publicKey.export({ format: "jwk" });

describe("findSecretLeaks", () => {
  it("finds a PEM private key logged verbatim", () => {
    const logged = { config: { key: Buffer.from(pkcs8Pem).toString("utf8") } };
    expect(findSecretLeaks([logged], [pkcs8Pem])).not.toEqual([]);
  });

  it("finds a private component embedded at any alignment in a longer base64 stream", () => {
    const d = Buffer.from(privateJwk.d!, "base64url");
    for (const prefix of [0, 1, 2]) {
      const dump = Buffer.concat([Buffer.alloc(prefix, 0xaa), d, Buffer.alloc(5, 0xbb)]).toString("base64");
      expect(findSecretLeaks([new Error(`bad key ${dump}`)], [pkcs8Pem])).not.toEqual([]);
    }
  });

  it("finds part of a raw secret", () => {
    const secret = new Uint8Array(32).map((_, i) => i * 7 + 1);
    const partial = Buffer.from(secret.subarray(0, 16)).toString("hex");
    expect(findSecretLeaks([`first half ${partial}`], [secret])).not.toEqual([]);
    expect(findSecretLeaks([{ k: Buffer.from(secret).toString("base64url") }], [secret])).not.toEqual([]);
  });

  it("looks inside error causes and inspect output", () => {
    const secret = new Uint8Array(32).fill(9);
    const error = new Error("wrapped", { cause: new Error(Buffer.from(secret).toString("hex")) });
    expect(findSecretLeaks([error], [secret])).not.toEqual([]);
  });

  it("does not flag the public key of the same key pair, however it is encoded", () => {
    const published = [
      publicJwk,
      rsa.publicKey.export({ type: "spki", format: "pem" }),
      rsa.publicKey.export({ type: "spki", format: "der" }).toString("base64"),
      rsa.publicKey.export({ type: "pkcs1", format: "pem" }),
      inspect(publicJwk),
    ];
    for (let i = 0; i < 5; i += 1) {
      const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
      published.push(pair.publicKey.export({ format: "jwk" }));
    }
    expect(findSecretLeaks(published, [pkcs8Pem])).toEqual([]);
  });

  it("reports where, never the secret itself", () => {
    const secret = new Uint8Array(32).fill(3);
    const leaks = findSecretLeaks([Buffer.from(secret).toString("hex")], [secret]);
    expect(leaks.length).toBeGreaterThan(0);
    for (const line of leaks) expect(line).not.toContain("0303030303");
  });
});

describe("findSecretLeaks with DER private keys", () => {
  it.each([
    ["SEC1 DER (EC)", generateKeyPairSync("ec", { namedCurve: "P-384" }), "sec1"],
    ["PKCS#1 DER (RSA)", rsa, "pkcs1"],
  ] as const)(
    "reads %s as a key: its private component is found, its public key is not flagged",
    (_name, pair, type) => {
      const der = new Uint8Array(pair.privateKey.export({ type: type as "sec1", format: "der" }));
      const jwk = pair.privateKey.export({ format: "jwk" });
      expect(
        findSecretLeaks(
          [pair.publicKey.export({ format: "jwk" }), pair.publicKey.export({ type: "spki", format: "pem" })],
          [der],
        ),
      ).toEqual([]);
      expect(findSecretLeaks([`d=${jwk.d!}`], [der])).not.toEqual([]);
    },
  );

  it("finds a secret among many values and many secrets", () => {
    const secrets = Array.from({ length: 40 }, (_, n) =>
      new Uint8Array(32).map((_, i) => (i * 7 + n * 13 + 1) & 0xff),
    );
    const values = Array.from({ length: 200 }, (_, i) => new Error(`value ${i}`));
    expect(findSecretLeaks(values, secrets)).toEqual([]);
    values.push(new Error(`oops ${Buffer.from(secrets[33]!).toString("base64")}`));
    const leaks = findSecretLeaks(values, secrets);
    expect(leaks.length).toBeGreaterThan(0);
    for (const line of leaks) expect(line).toMatch(/^value #200 /);
  });
});

describe("secretNeedles", () => {
  it("fragments private components, not the public modulus", () => {
    const needles = secretNeedles(pkcs8Pem);
    const modulus = publicJwk.n!;
    expect(needles.filter((needle) => modulus.includes(needle))).toEqual([]);
  });
});

describe("findSecretLeaks sees raw bytes", () => {
  const secret = new Uint8Array(32).map((_, i) => (i * 53 + 7) & 0xff);

  it.each([
    ["JSON of a Uint8Array", () => JSON.stringify({ material: secret })],
    ["String of a Uint8Array", () => String(secret)],
    ["inspect of a Uint8Array", () => inspect({ material: secret })],
    ["a Buffer", () => ({ material: Buffer.from(secret) })],
    ["a ref with enumerable material", () => Object.freeze({ kid: "x", material: secret.slice() })],
    ["an ArrayBuffer deep inside", () => ({ a: { b: [secret.slice().buffer] } })],
  ])("finds the secret in %s", (_name, make) => {
    expect(findSecretLeaks([make()], [secret])).not.toEqual([]);
  });

  it("finds an RSA private component leaked as bytes, but not the public modulus", () => {
    const d = Buffer.from(privateJwk.d!, "base64url");
    expect(findSecretLeaks([{ dump: new Uint8Array(d) }], [pkcs8Pem])).not.toEqual([]);
    const n = Buffer.from(publicJwk.n!, "base64url");
    expect(
      findSecretLeaks([{ modulus: new Uint8Array(n), list: String(new Uint8Array(n)) }], [pkcs8Pem]),
    ).toEqual([]);
  });

  it("does not flag unrelated numbers", () => {
    expect(
      findSecretLeaks([{ version: 3, sizes: [2048, 3072, 4096], bytes: new Uint8Array(64) }], [secret]),
    ).toEqual([]);
  });
});
