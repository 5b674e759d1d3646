import { generateKeyPairSync } from "node:crypto";
import { inspect } from "node:util";
import { KeyNotFoundError, type KeyProvider } from "@keyprovider/core";
import { LocalKeyProvider } from "@keyprovider/local";
import { describe, expect, it } from "vitest";
import { useIssuer } from "./support/issuer.js";
import { ecJwk, edJwk, json, rsaJwk } from "./support/server.js";

const env = useIssuer();
const data = new TextEncoder().encode("message");

describe("local keys", () => {
  it("construction does no I/O", () => {
    env.provider();
    env.provider({ issuer: env.origin });
    expect(env.server.count()).toBe(0);
  });

  it("every operation on a local kid works without a single request to the remote set", async () => {
    const provider = env.provider();
    const signing = await provider.createKey({ alg: "ES256" });
    const aes = await provider.createKey({ alg: "AES256_GCM" });
    const x25519 = await provider.createKey({ alg: "X25519" });
    const imported = await provider.importKey({ alg: "EdDSA" }, generateKeyPairSync("ed25519").privateKey, {
      kid: "imported",
    });
    await provider.rotateKey(signing.kid, { activate: false });
    await provider.activateVersion(signing.kid, 2);

    const signature = await provider.sign(signing.kid, data);
    expect(await provider.verify(signing.kid, data, signature)).toBe(true);
    expect(await provider.verify(signing.kid, data, signature, { alg: "ES256" })).toBe(true);
    expect(await provider.getKey(signing.kid)).toMatchObject({ version: 2, status: "primary" });
    expect((await provider.getKey(imported.kid, 1, { alg: "EdDSA" })).alg).toBe("ED25519");
    await expect(provider.getKey(signing.kid, 1, { alg: "ES384" })).rejects.toSatisfy((e) =>
      KeyNotFoundError.isInstance(e),
    );
    expect(await provider.listVersions(signing.kid)).toEqual([1, 2]);
    expect((await provider.getPublicJwk(signing.kid, 1)).kid).toBe(`${signing.kid}.1`);
    await expect(provider.getKey(signing.kid, 3)).rejects.toSatisfy((e) => KeyNotFoundError.isInstance(e));
    const sealed = await provider.encrypt(aes.kid, data);
    expect(await provider.decrypt(aes.kid, sealed)).toEqual(data);
    const peer = generateKeyPairSync("x25519").publicKey;
    expect((await provider.deriveSharedSecret(x25519.kid, peer)).byteLength).toBe(32);
    expect(await provider.exportKey(signing.kid, { format: "pem" })).toContain("PUBLIC KEY");
    expect((await provider.jwks({ allVersions: true })).keys).toHaveLength(4);
    expect((await provider.randomBytes(16)).byteLength).toBe(16);
    expect(await provider.destroyKey(imported.kid)).toBe(true);

    expect(env.jwksRequests()).toBe(0);
  });

  it("a local kid shadows a remote key of the same name, which stays readable as a remote key", async () => {
    const remote = ecJwk({ kid: "shared", alg: "ES256" });
    env.server.route("/jwks", json({ keys: [remote] }));
    const provider = env.provider();
    const local = await provider.importKey({ alg: "EdDSA" }, generateKeyPairSync("ed25519").privateKey, {
      kid: "shared",
    });
    expect(await provider.getKey("shared")).toMatchObject({ alg: "ED25519", fingerprint: local.fingerprint });
    expect(env.jwksRequests()).toBe(0);
    const fetched = await provider.getRemoteKey({ kid: "shared" });
    expect(fetched.jwk).toMatchObject({ kid: "shared", alg: "ES256" });
    // Destroying the local key makes "shared" a remote kid again.
    await provider.destroyKey("shared");
    expect((await provider.getKey("shared")).alg).toBe("ECDSA_P256_SHA256");
  });
});

describe("remote keys through the KeyProvider methods", () => {
  it("getKey, getPublicJwk, listVersions and listKeys read a kid the provider does not hold", async () => {
    const rotated = ecJwk({ kid: "idp.2", alg: "ES256", use: "sig" });
    env.server.route(
      "/jwks",
      json({ keys: [ecJwk({ kid: "idp.1", alg: "ES256" }), rotated, edJwk({ kid: "plain" })] }),
    );
    const provider = env.provider();
    await provider.createKey({ alg: "EdDSA" });

    const ref = await provider.getKey("idp");
    expect(ref).toMatchObject({
      kid: "idp",
      version: 2,
      status: "primary",
      type: "ec",
      alg: "ECDSA_P256_SHA256",
      uses: ["verify"],
      exportPolicy: "public_only",
      tags: {},
    });
    expect(ref.material).toBeUndefined();
    expect(ref.spec).toMatchObject({ alg: "ECDSA_P256_SHA256", exportPolicy: "public_only", sizeBits: 256 });
    expect(new TextDecoder().decode(ref.public)).toContain("BEGIN PUBLIC KEY");
    expect((await provider.getKey("idp", 1)).status).toBe("active");
    expect(await provider.listVersions("idp")).toEqual([1, 2]);
    expect(await provider.getPublicJwk("idp", 2)).toEqual({ ...rotated });

    // A kid without a version suffix is version 1 of a set without versions.
    expect(await provider.getKey("plain", 1)).toMatchObject({ kid: "plain", version: 1, alg: "ED25519" });
    expect(await provider.listVersions("plain")).toEqual([1]);

    const kids = await provider.listKeys();
    expect(kids).toEqual([...kids].sort());
    expect(kids).toEqual(expect.arrayContaining(["idp", "plain"]));
    expect(kids).toHaveLength(3);
    expect(await provider.listKeys({ prefix: "id" })).toEqual(["idp"]);
  });

  it("an unknown version is KeyNotFoundError, never another version", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "idp.1" }), ecJwk({ kid: "idp.3" })] }));
    const provider = env.provider();
    for (const call of [
      () => provider.getKey("idp", 2),
      () => provider.getPublicJwk("idp", 2),
      () => provider.verify("idp", data, new Uint8Array(64), { version: 2 }),
      () => provider.getKey("nobody"),
      () => provider.listVersions("nobody"),
    ]) {
      await expect(call()).rejects.toSatisfy((e) => KeyNotFoundError.isInstance(e));
    }
  });

  it("remote kids are free-form strings, only ever compared", async () => {
    const kids = ["b.x", "abc.", "https://idp.example/keys/1", "../../etc/passwd", "ключ"];
    env.server.route("/jwks", json({ keys: kids.map((kid) => ecJwk({ kid })) }));
    const provider = env.provider();
    for (const kid of kids) expect((await provider.getKey(kid, 1)).kid).toBe(kid);
    expect(await provider.destroyKey("../../etc/passwd")).toBe(false);
    await expect(provider.rotateKey("b.x")).rejects.toSatisfy((e) => KeyNotFoundError.isInstance(e));
  });

  it("remote keys refuse sign, decrypt and deriveSharedSecret with NotSupportedError", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "idp" }), edJwk({ kid: "x", crv: "X25519" })] }));
    const provider = env.provider();
    const notSupported = { code: "ERR_NOT_SUPPORTED" };
    await expect(provider.sign("idp", data)).rejects.toMatchObject(notSupported);
    await expect(provider.decrypt("idp", data)).rejects.toMatchObject(notSupported);
    await expect(
      provider.deriveSharedSecret("idp", generateKeyPairSync("x25519").publicKey),
    ).rejects.toMatchObject(notSupported);
    await expect(provider.sign("nobody", data)).rejects.toMatchObject({ code: "ERR_KEY_NOT_FOUND" });
  });

  it("wrong argument types are TypeError (RangeError out of range) on the remote path too, before any request", async () => {
    const provider = env.provider();
    const calls: [() => Promise<unknown>, ErrorConstructor][] = [
      [() => provider.getKey(42 as never), TypeError],
      [() => provider.getKey("idp", 0), RangeError],
      [() => provider.getKey("idp", 1, { alg: 256 } as never), TypeError],
      [() => provider.getKey("idp", 1, { kind: "x" } as never), TypeError],
      [() => provider.getPublicJwk("idp", 1.5), RangeError],
      [() => provider.listVersions(undefined as never), TypeError],
      [() => provider.verify("idp", "data" as never, new Uint8Array(64)), TypeError],
      [() => provider.verify("idp", data, new Uint8Array(64), { version: -1 }), RangeError],
      [() => provider.sign("idp", "data" as never), TypeError],
      [() => provider.decrypt("idp", "ciphertext" as never), TypeError],
      [() => provider.encrypt("idp", data, { aad: "x" } as never), TypeError],
      [() => provider.deriveSharedSecret("idp", undefined as never), TypeError],
    ];
    for (const [call, type] of calls) await expect(call()).rejects.toBeInstanceOf(type);
    expect(env.jwksRequests()).toBe(0);
  });

  it("a JWK with use: enc, or key_ops without verify, never verifies", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    env.server.route(
      "/jwks",
      json({
        keys: [
          { ...jwk, kid: "enc", use: "enc" },
          { ...jwk, kid: "ops", key_ops: ["encrypt"] },
        ],
      }),
    );
    const signer = new LocalKeyProvider();
    const { kid } = await signer.importKey({ alg: "ES256" }, privateKey);
    const signature = await signer.sign(kid, data);
    const provider = env.provider();
    for (const remote of ["enc", "ops"]) {
      await expect(provider.verify(remote, data, signature)).rejects.toMatchObject({ code: "ERR_KEY_USAGE" });
      await expect(provider.keyResolver()({ alg: "ES256", kid: remote })).rejects.toMatchObject({
        code: "ERR_INVALID_TOKEN",
      });
    }
  });

  it("encrypts to a remote RSA-OAEP-256 or X25519 key, and the issuer decrypts", async () => {
    const oaep = await env.issuer.createKey({ alg: "RSA-OAEP-256", sizeBits: 2048 });
    const x25519 = await env.issuer.createKey({ alg: "X25519" });
    const signing = await env.issuer.createKey({ alg: "ES256" });
    const provider = env.provider();
    const aad = new TextEncoder().encode("context");
    for (const { kid } of [oaep, x25519]) {
      expect((await provider.getKey(kid)).uses).toEqual(["encrypt"]);
      const sealed = await provider.encrypt(kid, data, { aad });
      expect(await env.issuer.decrypt(kid, sealed, { aad })).toEqual(data);
    }
    await expect(provider.encrypt(signing.kid, data)).rejects.toMatchObject({ code: "ERR_KEY_USAGE" });
    await expect(provider.verify(oaep.kid, data, new Uint8Array(256))).rejects.toMatchObject({
      code: "ERR_KEY_USAGE",
    });
  });

  it("never encrypts to an RSA key that names neither alg nor use", async () => {
    env.server.route("/jwks", json({ keys: [rsaJwk({ kid: "bare" })] }));
    const provider = env.provider();
    await expect(provider.encrypt("bare", data)).rejects.toMatchObject({ code: "ERR_KEY_USAGE" });
  });
});

describe("jwks() publishes local keys only", () => {
  it("never contains a fetched key, even after the remote set was read", async () => {
    const remote = [ecJwk({ kid: "idp.1", alg: "ES256" }), rsaJwk({ kid: "rsa", alg: "RS256" })];
    env.server.route("/jwks", json({ keys: remote }));
    const provider = env.provider();
    const own = await provider.createKey({ alg: "ES256" });
    await provider.refresh();
    expect((await provider.listRemoteKeys()).length).toBe(2);
    const published = await provider.jwks({ allVersions: true });
    expect(published.keys.map((jwk) => jwk.kid)).toEqual([`${own.kid}.1`]);
    expect((await provider.remoteJwks()).keys.map((jwk) => jwk.kid)).toEqual(["idp.1", "rsa"]);
  });
});

describe("secrets and rendering", () => {
  it("a remote KeyRef renders without surprises and carries the set's URL without its query", async () => {
    env.server.route("/jwks", json({ keys: [ecJwk({ kid: "idp" })] }));
    const provider: KeyProvider = env.provider({ jwksUrl: `${env.origin}/jwks?api_key=secret-value` });
    const ref = await provider.getKey("idp");
    expect(ref.uri).toBe(`${env.origin}/jwks`);
    const shown = (ref as unknown as { toString(): string }).toString(); // KeyRefs render through their own toString
    for (const rendering of [JSON.stringify(ref), shown, inspect(ref)]) {
      expect(rendering).not.toContain("secret-value");
    }
  });
});
