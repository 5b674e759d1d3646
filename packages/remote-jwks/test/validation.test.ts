import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ecJwk, edJwk, json, rsaJwk } from "./support/server.js";
import { useJwksServer } from "./support/context.js";

const env = useJwksServer();
const source = env.source;

function serveBody(body: string | Buffer, headers: Record<string, string> = {}): void {
  env.server.route("/jwks", (_req, res) => res.writeHead(200, headers).end(body));
}

describe("size limits", () => {
  const twoMiB = JSON.stringify({ keys: [ecJwk({ kid: "k", pad: "x".repeat(2 * 1024 * 1024) })] });

  it("refuses a 2 MiB body by its Content-Length", async () => {
    serveBody(twoMiB, { "content-length": String(Buffer.byteLength(twoMiB)) });
    await expect(source().refresh()).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_TOO_LARGE",
      message: expect.stringContaining("declared"),
      status: 200,
    });
  });

  it("refuses a 2 MiB chunked body while streaming it", async () => {
    env.server.route("/jwks", (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }); // no Content-Length: chunked
      const chunk = "x".repeat(64 * 1024);
      const write = (left: number): void => {
        if (left === 0 || res.destroyed) return void res.end();
        if (res.write(chunk)) write(left - 1);
        else res.once("drain", () => write(left - 1));
      };
      write(32);
    });
    await expect(source().refresh()).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_TOO_LARGE",
      message: expect.stringContaining("larger than maxBodyBytes"),
    });
  });

  it("counts decompressed bytes, so a small gzip body cannot expand past the cap", async () => {
    const { gzipSync } = await import("node:zlib");
    serveBody(gzipSync(twoMiB), { "content-encoding": "gzip" });
    await expect(source().refresh()).rejects.toMatchObject({ code: "ERR_REMOTE_JWKS_TOO_LARGE" });
  });

  it("refuses a 5 000-key set whole (ERR_REMOTE_JWKS_TOO_LARGE)", async () => {
    const key = ecJwk();
    env.server.route(
      "/jwks",
      json({ keys: Array.from({ length: 5_000 }, (_, i) => ({ ...key, kid: `k${i}` })) }),
    );
    await expect(source().refresh()).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_TOO_LARGE",
      message: expect.stringContaining("5000 keys, more than maxKeys (1000)"),
    });
  });

  it("takes exactly maxKeys keys", async () => {
    const key = ecJwk();
    env.server.route(
      "/jwks",
      json({ keys: Array.from({ length: 1_000 }, (_, i) => ({ ...key, kid: `k${i}` })) }),
    );
    const jwks = source();
    await jwks.refresh();
    expect(jwks.status().keyCount).toBe(1_000);
  });
});

describe("malformed sets", () => {
  it.each([
    ["invalid JSON", '{"keys": [', "is not valid JSON"],
    ["a JSON array", "[]", "is not a JSON object"],
    ["keys not an array", '{"keys": {"kty": "EC"}}', 'has no "keys" array'],
    ["no keys member", '{"jwks": []}', 'has no "keys" array'],
    ["not UTF-8", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), "is not UTF-8 text"],
  ])("%s is ERR_REMOTE_JWKS_INVALID", async (_name, body, problem) => {
    serveBody(body);
    const error = await source()
      .refresh()
      .catch((e: unknown) => e as Error);
    expect(error).toMatchObject({
      code: "ERR_REMOTE_JWKS_INVALID",
      message: expect.stringContaining(problem),
    });
    expect(error).not.toHaveProperty("cause");
  });

  it("never quotes the body in the error", async () => {
    serveBody('{"keys": [{"kty": "oct", "k": "c2VjcmV0LXZhbHVl"}], oops');
    const error = (await source()
      .refresh()
      .catch((e: unknown) => e)) as Error;
    expect(`${error.message} ${JSON.stringify(error)}`).not.toMatch(/c2VjcmV0|oops/);
  });
});

describe("key filtering", () => {
  it("drops keys with private members and symmetric keys, and never keeps them", async () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const privateJwk = { ...privateKey.export({ format: "jwk" }), kid: "leaked" };
    const rsaPrivate = { ...rsaJwk(), kid: "rsa-leaked", p: "AQAB" };
    const secret = { kty: "oct", k: "c2VjcmV0LXZhbHVlLW9mLTMyLWJ5dGVzLWxvbmctLQ", kid: "hmac" };
    const good = ecJwk({ kid: "good" });
    env.server.route(
      "/jwks",
      json({ keys: [privateJwk, rsaPrivate, secret, { kty: "oct", kid: "empty" }, good] }),
    );
    const jwks = source();
    const keys = await jwks.keys();
    expect(keys.map((key) => key.kid)).toEqual(["good"]);
    expect(jwks.status().skipped).toEqual({ private: 2, symmetric: 2, unsupported: 0, invalid: 0 });
    await expect(jwks.getKey({ kid: "leaked" })).rejects.toMatchObject({ code: "ERR_KEY_NOT_FOUND" });
    await expect(jwks.getKey({ kid: "hmac" })).rejects.toMatchObject({ code: "ERR_KEY_NOT_FOUND" });
  });

  it("keeps only the public members of a key", async () => {
    const good = {
      ...ecJwk({ kid: "good", alg: "ES256", use: "sig" }),
      x5c: ["MIIB"],
      extra: { nested: true },
    };
    env.server.route("/jwks", json({ keys: [good] }));
    const key = await source().getKey({ kid: "good" });
    expect(Object.keys(key.jwk).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
    expect(Object.isFrozen(key.jwk)).toBe(true);
  });

  it("skips unknown kty, unparsable members, weak RSA and alg that contradicts the key", async () => {
    const weak = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "jwk" });
    const offCurve = ecJwk({ kid: "off-curve" });
    offCurve["y"] = offCurve["x"];
    env.server.route(
      "/jwks",
      json({
        keys: [
          { kty: "PQC", kid: "future", pub: "AAAA" },
          { ...ecJwk(), kid: "p192", crv: "P-192" },
          { ...weak, kid: "weak" },
          offCurve,
          { ...ecJwk(), kid: 7 },
          { ...ecJwk(), kid: "bad-x", x: 42 },
          { ...ecJwk(), kid: "wrong-alg", alg: "RS256" },
          { ...ecJwk(), kid: "hs", alg: "HS256" },
          "not an object",
          ecJwk({ kid: "good" }),
        ],
      }),
    );
    const jwks = source();
    expect((await jwks.keys()).map((key) => key.kid)).toEqual(["good"]);
    expect(jwks.status().skipped).toEqual({ private: 0, symmetric: 0, unsupported: 3, invalid: 6 });
  });

  it("keeps encryption keys out of verification", async () => {
    env.server.route(
      "/jwks",
      json({
        keys: [
          { ...rsaJwk(), kid: "enc", use: "enc" },
          { ...ecJwk(), kid: "ops", key_ops: ["encrypt"] },
          { ...rsaJwk(), kid: "oaep", alg: "RSA-OAEP-256" },
          { ...ecJwk(), kid: "verify-op", key_ops: ["verify"] },
        ],
      }),
    );
    const jwks = source();
    expect((await jwks.keys()).map((key) => [key.kid, key.verifyAlgs])).toEqual([
      ["enc", []],
      ["ops", []],
      ["oaep", []],
      ["verify-op", ["ECDSA_P256_SHA256"]],
    ]);
    for (const kid of ["enc", "ops", "oaep"]) {
      await expect(jwks.getKey({ kid })).rejects.toMatchObject({ code: "ERR_KEY_NOT_FOUND" });
    }
    expect((await jwks.getKey({ kid: "verify-op" })).kid).toBe("verify-op");
  });
});

describe("kids and algorithms", () => {
  it("reads <kid>.<N> as a version and any other kid as a kid of its own", async () => {
    env.server.route(
      "/jwks",
      json({
        keys: ["k.1", "k.2", "b.x", "abc.", "abc.01", "big.2147483648"].map((kid) => ecJwk({ kid })),
      }),
    );
    const jwks = source();
    expect((await jwks.keys()).map((key) => [key.kid, key.version])).toEqual([
      ["k", 1],
      ["k", 2],
      ["b.x", 1],
      ["abc.", 1],
      ["abc.01", 1],
      ["big.2147483648", 1],
    ]);
  });

  it("matches a JWK without alg by its key type and curve", async () => {
    const rsa = rsaJwk({ kid: "rsa" });
    env.server.route(
      "/jwks",
      json({
        keys: [rsa, ecJwk({ kid: "p384" }, "P-384"), ecJwk({ kid: "p521" }, "P-521"), edJwk({ kid: "ed" })],
      }),
    );
    const jwks = source();
    for (const alg of ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]) {
      expect((await jwks.getKey({ kid: "rsa", alg })).kid).toBe("rsa");
    }
    expect((await jwks.getKey({ kid: "p384", alg: "ES384" })).kid).toBe("p384");
    expect((await jwks.getKey({ kid: "p521", alg: "ES512" })).kid).toBe("p521");
    expect((await jwks.getKey({ kid: "ed", alg: "EdDSA" })).kid).toBe("ed");
    expect((await jwks.getKey({ kid: "ed", alg: "Ed25519" })).kid).toBe("ed");
    for (const [kid, alg] of [
      ["rsa", "ES256"],
      ["p384", "ES256"],
      ["ed", "RS256"],
      ["rsa", "HS256"],
      ["rsa", "none"],
    ] as const) {
      await expect(jwks.getKey({ kid, alg })).rejects.toMatchObject({ code: "ERR_KEY_NOT_FOUND" });
    }
  });

  it("duplicate kids: ambiguous unless the alg tells them apart; identical copies are one key", async () => {
    const twin = ecJwk({ kid: "twin" });
    env.server.route(
      "/jwks",
      json({
        keys: [
          ecJwk({ kid: "dup" }),
          ecJwk({ kid: "dup" }),
          rsaJwk({ kid: "mixed" }),
          ecJwk({ kid: "mixed" }),
          twin,
          { ...twin },
          ecJwk({ kid: "same" }),
          ecJwk({ kid: "same.1" }),
        ],
      }),
    );
    const jwks = source();
    await expect(jwks.getKey({ kid: "dup" })).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_AMBIGUOUS_KID",
      message: expect.stringContaining("2 different keys of the JWK Set at"),
    });
    await expect(jwks.getKey({ kid: "dup", alg: "ES256" })).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_AMBIGUOUS_KID",
    });
    await expect(jwks.getKey({ kid: "mixed" })).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_AMBIGUOUS_KID",
    });
    expect((await jwks.getKey({ kid: "mixed", alg: "ES256" })).jwk.kty).toBe("EC");
    expect((await jwks.getKey({ kid: "mixed", alg: "PS256" })).jwk.kty).toBe("RSA");
    expect((await jwks.getKey({ kid: "twin" })).jwk.x).toBe(twin["x"]);
    // "same" and "same.1" are both kid "same" version 1.
    await expect(jwks.getKey({ kid: "same", version: 1 })).rejects.toMatchObject({
      code: "ERR_REMOTE_JWKS_AMBIGUOUS_KID",
    });
  });

  it("selects a JWK without kid only by a lookup without kid", async () => {
    const anonymous = edJwk();
    env.server.route("/jwks", json({ keys: [anonymous, ecJwk({ kid: "named" })] }));
    const jwks = source();
    const key = await jwks.getKey({ alg: "EdDSA" });
    expect(key).toMatchObject({ kid: undefined, version: 1 });
    expect(key.jwk.x).toBe(anonymous["x"]);
    expect((await jwks.getKey({})).jwk.x).toBe(anonymous["x"]);
    await expect(jwks.getKey({ alg: "ES256" })).rejects.toMatchObject({ code: "ERR_KEY_NOT_FOUND" });
  });
});
