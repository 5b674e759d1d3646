import { createPublicKey, randomBytes, verify, type JsonWebKey } from "node:crypto";
import { existsSync } from "node:fs";
import {
  chmod,
  readdir,
  readFile,
  stat,
  symlink,
  mkdir,
  utimes,
  writeFile,
  rename,
  copyFile,
} from "node:fs/promises";
import { join } from "node:path";
import {
  InsecureStoreError,
  InvalidConfigError,
  KeyExistsError,
  KeyNotFoundError,
  ProviderFeature,
  StoreIntegrityError,
  StoreUnlockError,
  createRegistry,
  defineProvider,
  type KeySpec,
} from "@keyprovider/core";
import { parseConfig, type LoadedConfig } from "@keyprovider/core/node";
import { LocalKeyProvider } from "@keyprovider/local";
import { describeKeyProvider } from "@keyprovider/testkit";
import { describe, expect, it } from "vitest";
import file, { FileKeyProvider } from "./index.js";
import { CAPABILITIES } from "../test/conformance.js";
import {
  freshProvider,
  is,
  passphraseKek,
  rawKek,
  rejection,
  scratch,
  storeDirectory,
} from "../test/helpers.js";

const text = (s: string) => new TextEncoder().encode(s);
const message = text("a message to sign");

/** Every file under a directory, relative paths, sorted. */
async function filesUnder(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(root, path)));
    else out.push(path.slice(root.length + 1));
  }
  return out.sort();
}

/** The bytes and modification times of every file: what "nothing was changed" compares. */
async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of await filesUnder(root)) {
    const path = join(root, name);
    out[name] = `${(await readFile(path)).toString("base64")} ${(await stat(path)).mtimeMs}`;
  }
  return out;
}

// The conformance suite, each test on a store of its own (a fresh directory), with a raw KEK so the
// suite measures the store rather than scrypt.
describeKeyProvider(
  "FileKeyProvider",
  async () => new FileKeyProvider({ directory: await storeDirectory(), kek: rawKek() }),
  CAPABILITIES,
);

describe("FileKeyProvider", () => {
  describe("construction", () => {
    it("does no I/O: the directory appears with the first call, 0700, with a 0600 header", async () => {
      const directory = await storeDirectory();
      const provider = new FileKeyProvider({ directory, kek: rawKek() });
      expect(existsSync(directory)).toBe(false);
      expect(provider.directory).toBe(directory);
      expect(await provider.listKeys()).toEqual([]);
      expect((await stat(directory)).mode & 0o777).toBe(0o700);
      expect((await stat(join(directory, "header"))).mode & 0o777).toBe(0o600);
      for (const dir of ["keys", "tmp"]) expect((await stat(join(directory, dir))).mode & 0o777).toBe(0o700);
    });

    it("without a kek, a TypeError names the three forms", () => {
      for (const options of [
        { directory: "/tmp/x" },
        { directory: "/tmp/x", kek: {} },
        { directory: "/tmp/x", kek: "secret" },
      ]) {
        expect(() => new FileKeyProvider(options as never)).toThrow(TypeError);
        expect(() => new FileKeyProvider(options as never)).toThrow(
          /\{ passphrase: string \}, \{ key: Uint8Array \} \(32 bytes\) or \{ provider: KeyProvider, kid: string \}/,
        );
      }
      expect(() => new FileKeyProvider(undefined as never)).toThrow(TypeError);
    });

    it("checks every option up front", () => {
      const directory = "/tmp/unused";
      expect(() => new FileKeyProvider({ directory, kek: { key: new Uint8Array(16) } })).toThrow(RangeError);
      expect(() => new FileKeyProvider({ directory, kek: { key: "00".repeat(32) } as never })).toThrow(
        TypeError,
      );
      expect(() => new FileKeyProvider({ directory, kek: { passphrase: "" } })).toThrow(TypeError);
      expect(
        () => new FileKeyProvider({ directory, kek: { passphrase: "x", key: new Uint8Array(32) } }),
      ).toThrow(/exactly one/);
      expect(
        () => new FileKeyProvider({ directory, kek: { passphrase: "x", scrypt: { N: 2 ** 14 } } }),
      ).toThrow(RangeError);
      expect(
        () => new FileKeyProvider({ directory, kek: { passphrase: "x", scrypt: { N: 2 ** 21 } } }),
      ).toThrow(RangeError);
      expect(
        () => new FileKeyProvider({ directory, kek: { passphrase: "x", scrypt: { N: 100_000 } } }),
      ).toThrow(/power of two/);
      expect(() => new FileKeyProvider({ directory, kek: { provider: {} as never, kid: "k" } })).toThrow(
        TypeError,
      );
      expect(
        () => new FileKeyProvider({ directory, kek: { provider: new LocalKeyProvider(), kid: "a.b" } }),
      ).toThrow(TypeError);
      expect(() => new FileKeyProvider({ directory: "", kek: rawKek() })).toThrow(TypeError);
      expect(() => new FileKeyProvider({ directory, kek: rawKek(), extra: 1 } as never)).toThrow(
        /unknown option/,
      );
    });

    it("says it persists, on top of everything LocalKeyProvider does", () => {
      const provider = new FileKeyProvider({ directory: "/tmp/unused", kek: rawKek() });
      const local = new LocalKeyProvider().supports();
      expect([...provider.supports().features].sort()).toEqual(
        [...local.features, ProviderFeature.PERSIST].sort(),
      );
      expect(provider.supports().algs).toEqual(local.algs);
    });

    it("never shows the KEK in inspect or JSON", async () => {
      const { inspect } = await import("node:util");
      const provider = new FileKeyProvider({
        directory: "/tmp/unused",
        kek: passphraseKek("correct horse battery staple"),
      });
      expect(inspect(provider, { depth: 10, showHidden: true })).not.toContain("correct horse");
      expect(JSON.stringify(provider)).not.toContain("correct horse");
    });
  });

  describe("persistence", () => {
    it("keys survive a restart: another provider on the directory signs, verifies, decrypts", async () => {
      const { provider, directory, kek } = await freshProvider();
      const signing = await provider.createKey({ alg: "ES256" });
      const aes = await provider.createKey({ alg: "AES256_GCM" });
      const signature = await provider.sign(signing.kid, message);
      const sealed = await provider.encrypt(aes.kid, message, { aad: text("ctx") });
      const restarted = new FileKeyProvider({ directory, kek });
      expect(await restarted.listKeys()).toEqual([signing.kid, aes.kid].sort());
      expect(await restarted.verify(signing.kid, message, signature)).toBe(true);
      expect(await restarted.decrypt(aes.kid, sealed, { aad: text("ctx") })).toEqual(message);
      const jwk = await restarted.getPublicJwk(signing.kid);
      expect(jwk).toEqual(await provider.getPublicJwk(signing.kid));
      const publicKey = createPublicKey({ key: { ...jwk } as JsonWebKey, format: "jwk" });
      expect(
        verify(
          "sha256",
          message,
          { key: publicKey, dsaEncoding: "ieee-p1363" },
          await restarted.sign(signing.kid, message),
        ),
      ).toBe(true);
      const ref = await restarted.getKey(signing.kid);
      expect([ref.fingerprint, ref.status, ref.version]).toEqual([signing.fingerprint, "primary", 1]);
    });

    it("every kind of key, with its policy, uses, label, tags, status and encoding, is the same after a restart", async () => {
      const { provider, directory, kek } = await freshProvider();
      const policies = ["none", "public_only", "secret_when_allowed"] as const;
      const specs: KeySpec[] = [
        { alg: "ED25519", publicFormat: "Raw", privateFormat: "Raw" },
        { alg: "X25519" },
        { alg: "ES256" },
        { alg: "ES384", encoding: "DER" },
        { alg: "ES512" },
        { alg: "HMAC_SHA256" },
        { alg: "AES256_GCM" },
      ];
      const rsa: KeySpec[] = [
        { alg: "PS256", sizeBits: 2048 },
        { alg: "RS256", sizeBits: 2048 },
        { alg: "RSA-OAEP-256", sizeBits: 2048 },
      ];
      const made = [
        ...specs.flatMap((spec) => policies.map((exportPolicy) => ({ ...spec, exportPolicy }))),
        ...rsa.map((spec, i) => ({ ...spec, exportPolicy: policies[i]! })),
      ].map((spec, i) => ({ ...spec, label: `key ${i}`, tags: { team: "payments", n: String(i) } }));
      const kids: string[] = [];
      for (const [i, spec] of made.entries()) {
        const { kid } = await provider.createKey(spec);
        if (i % 2 === 0) await provider.rotateKey(kid, { activate: i % 4 === 0 }); // staged or primary v2
        kids.push(kid);
      }
      const view = async (p: FileKeyProvider) => {
        const refs = [];
        for (const kid of await p.listKeys()) {
          for (const version of await p.listVersions(kid)) {
            refs.push(await p.getKey(kid, version, { includeSecret: true }));
          }
        }
        return { refs, jwks: await p.jwks({ allVersions: true }) };
      };
      const before = await view(provider);
      const restarted = new FileKeyProvider({ directory, kek });
      expect(await view(restarted)).toEqual(before);
      expect(before.refs).toHaveLength(made.length + Math.ceil(made.length / 2));
      // And what each key does, across the two: signed here, verified there; sealed here, opened there.
      for (const ref of before.refs) {
        const at = { version: ref.version };
        if (ref.uses.includes("sign")) {
          const signature = await provider.sign(ref.kid, message, at);
          expect(await restarted.verify(ref.kid, message, signature, at), `${ref.alg}`).toBe(true);
        } else if (ref.uses.includes("encrypt")) {
          const sealed = await provider.encrypt(ref.kid, message, at);
          expect(await restarted.decrypt(ref.kid, sealed), `${ref.alg}`).toEqual(message);
        }
      }
      expect(kids).toHaveLength(made.length);
    });

    it("a key imported with exportPolicy none keeps its fingerprint and never exports", async () => {
      const { provider, directory, kek } = await freshProvider();
      const ref = await provider.importKey({ alg: "HMAC_SHA256" }, new Uint8Array(32).fill(9));
      const restarted = new FileKeyProvider({ directory, kek });
      const again = await restarted.getKey(ref.kid, undefined, { includeSecret: true });
      expect(again.fingerprint).toBe(ref.fingerprint);
      expect(again.material).toBeUndefined();
      expect(await restarted.verify(ref.kid, message, await provider.sign(ref.kid, message))).toBe(true);
    });

    it("staged rotation, activation and the primary pointer persist", async () => {
      const { provider, directory, kek } = await freshProvider();
      const { kid } = await provider.createKey({ alg: "ED25519" });
      const staged = await provider.rotateKey(kid, { activate: false });
      expect(staged.status).toBe("staged");
      const other = new FileKeyProvider({ directory, kek });
      expect((await other.getKey(kid)).version).toBe(1);
      expect((await other.jwks()).keys.map((k) => k.kid)).toEqual([`${kid}.1`, `${kid}.2`]);
      await other.activateVersion(kid, 2);
      expect((await provider.getKey(kid)).version).toBe(2);
      await provider.activateVersion(kid, 1); // rollback
      expect((await other.getKey(kid, 2)).status).toBe("staged");
      await other.destroyKey(kid, 1);
      expect((await provider.getKey(kid)).version).toBe(2);
    });

    it("destroyed numbers are never issued again, across restarts; a destroyed kid stays destroyed", async () => {
      const { provider, directory, kek } = await freshProvider();
      const { kid } = await provider.importKey({ alg: "AES256_GCM" }, new Uint8Array(32).fill(1), {
        kid: "orders-key",
      });
      await provider.rotateKey(kid);
      await provider.destroyKey(kid, 2);
      const restarted = new FileKeyProvider({ directory, kek });
      expect((await restarted.rotateKey(kid)).version).toBe(3);
      const retired = await rejection(
        restarted.importKey({ alg: "AES256_GCM" }, new Uint8Array(32), { kid, version: 2 }),
      );
      expect(KeyExistsError.isInstance(retired) && retired.message).toMatch(/destroyed/);
      expect(await restarted.destroyKey(kid)).toBe(true);
      expect(await provider.listKeys()).toEqual([]);
      // Importing under the same kid again continues after the highest number ever issued.
      const again = await new FileKeyProvider({ directory, kek }).importKey(
        { alg: "AES256_GCM" },
        new Uint8Array(32),
        { kid },
      );
      expect(again.version).toBe(4);
      expect(await provider.listVersions(kid)).toEqual([4]);
    });
    it("a superseded version list is emptied, never removed: its name stays taken", async () => {
      const { provider, directory } = await freshProvider();
      const { kid } = await provider.createKey({ alg: "ED25519" });
      await provider.rotateKey(kid);
      await provider.rotateKey(kid, { activate: false });
      const dir = join(directory, "keys", kid);
      const sizes = Object.fromEntries(
        await Promise.all(
          (await readdir(dir)).map(async (name) => [name, (await stat(join(dir, name))).size] as const),
        ),
      );
      expect(Object.keys(sizes).sort()).toEqual(["list.1", "list.2", "list.3", "v1", "v2", "v3"]);
      expect([sizes["list.1"], sizes["list.2"]]).toEqual([0, 0]);
      expect(sizes["list.3"]).toBeGreaterThan(0);
    });
  });

  describe("several providers on one directory see each other's changes at the next call", () => {
    it("create, rotate, destroy and activate by one are seen by the other", async () => {
      const { provider: a, directory, kek } = await freshProvider();
      const b = new FileKeyProvider({ directory, kek });
      expect(await b.listKeys()).toEqual([]);
      const { kid } = await a.createKey({ alg: "ED25519" });
      expect(await b.listKeys()).toEqual([kid]);
      const signature = await b.sign(kid, message);
      await a.rotateKey(kid);
      expect(await b.listVersions(kid)).toEqual([1, 2]);
      expect((await b.getKey(kid)).version).toBe(2);
      await b.activateVersion(kid, 1);
      expect((await a.getKey(kid)).version).toBe(1);
      await a.destroyKey(kid, 1);
      expect(await b.verify(kid, message, signature, { version: 2 })).toBe(false);
      await expect(b.verify(kid, message, signature, { version: 1 })).rejects.toSatisfy(is(KeyNotFoundError));
      await b.destroyKey(kid);
      await expect(a.sign(kid, message)).rejects.toSatisfy(is(KeyNotFoundError));
    });

    it("providers opening a new directory at once make one store, with one header, that all of them use", async () => {
      const directory = await storeDirectory();
      const kek = rawKek();
      const providers = Array.from({ length: 4 }, () => new FileKeyProvider({ directory, kek }));
      const refs = await Promise.all(providers.map((p) => p.createKey({ alg: "ED25519" })));
      const kids = refs.map((ref) => ref.kid).sort();
      for (const p of [...providers, new FileKeyProvider({ directory, kek })]) {
        expect(await p.listKeys()).toEqual(kids);
        for (const ref of refs) expect((await p.getKey(ref.kid)).fingerprint).toBe(ref.fingerprint);
      }
      expect((await readdir(directory)).sort()).toEqual(["header", "keys", "tmp"]);
    });

    it("concurrent rotations from two providers give distinct consecutive versions", async () => {
      const { provider: a, directory, kek } = await freshProvider();
      const b = new FileKeyProvider({ directory, kek });
      const { kid } = await a.createKey({ alg: "HMAC_SHA256" });
      const rotated = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).rotateKey(kid)),
      );
      expect(rotated.map((ref) => ref.version).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 30 }, (_, i) => i + 2),
      );
      expect(await a.listVersions(kid)).toEqual(await b.listVersions(kid));
      expect((await b.getKey(kid)).version).toBe(31);
    });
  });

  describe("KEKs", () => {
    it("a passphrase store opens with the passphrase; a wrong one is StoreUnlockError and changes nothing", async () => {
      const directory = await storeDirectory();
      const right = new FileKeyProvider({ directory, kek: passphraseKek("correct horse battery staple") });
      const { kid } = await right.createKey({ alg: "ED25519" });
      const before = await snapshot(directory);
      const wrong = new FileKeyProvider({ directory, kek: passphraseKek("Tr0ub4dor&3") });
      for (const call of [wrong.listKeys(), wrong.getKey(kid), wrong.createKey({ alg: "ED25519" })]) {
        const error = await rejection(call);
        expect(StoreUnlockError.isInstance(error)).toBe(true);
        expect((error as Error).message).toMatch(/passphrase is wrong/);
      }
      const raw = await rejection(new FileKeyProvider({ directory, kek: rawKek() }).listKeys());
      expect(StoreUnlockError.isInstance(raw) && raw.message).toMatch(
        /sealed with a passphrase.*kek \{ passphrase \}/,
      );
      expect(await snapshot(directory)).toEqual(before);
      expect(
        await new FileKeyProvider({
          directory,
          kek: passphraseKek("correct horse battery staple"),
        }).listKeys(),
      ).toEqual([kid]);
    });

    it("the default scrypt cost is OWASP's (N = 2^17, r = 8, p = 1), kept in the header with the salt", async () => {
      const directory = await storeDirectory();
      const provider = new FileKeyProvider({ directory, kek: { passphrase: "the default cost, once" } });
      await provider.listKeys();
      const meta = JSON.parse((await readFile(join(directory, "header"), "utf8")).split("\n")[0]!);
      expect(meta.kek).toMatchObject({ type: "passphrase", kdf: "scrypt", N: 2 ** 17, r: 8, p: 1 });
      expect(meta.kek.salt).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(
        await new FileKeyProvider({ directory, kek: { passphrase: "the default cost, once" } }).listKeys(),
      ).toEqual([]);
    });

    it("scrypt parameters in a header outside [2^15, 2^20] are refused before any work", async () => {
      for (const N of [2 ** 14, 2 ** 21, 2 ** 30]) {
        const directory = await storeDirectory();
        await new FileKeyProvider({ directory, kek: passphraseKek("pass") }).listKeys();
        const header = await readFile(join(directory, "header"), "utf8");
        await writeFile(join(directory, "header"), header.replace('"N":32768', `"N":${N}`), { mode: 0o600 });
        const error = await rejection(
          new FileKeyProvider({ directory, kek: passphraseKek("pass") }).listKeys(),
        );
        expect(StoreIntegrityError.isInstance(error) && error.message).toMatch(
          /scrypt N must be a power of two from 2\^15 to 2\^20/,
        );
      }
    });

    it("a raw 32-byte key; a different key is StoreUnlockError", async () => {
      const { provider, directory, kek } = await freshProvider();
      await provider.createKey({ alg: "AES256_GCM" });
      expect(await new FileKeyProvider({ directory, kek }).listKeys()).toHaveLength(1);
      await expect(new FileKeyProvider({ directory, kek: rawKek() }).listKeys()).rejects.toSatisfy(
        is(StoreUnlockError),
      );
    });

    it("a KEK held by a LocalKeyProvider key wraps the data key (Tink's KMS envelope)", async () => {
      const local = new LocalKeyProvider();
      const { kid: kekKid } = await local.createKey({ alg: "AES256_GCM" });
      const directory = await storeDirectory();
      const provider = new FileKeyProvider({ directory, kek: { provider: local, kid: kekKid } });
      const { kid } = await provider.createKey({ alg: "ED25519" });
      const meta = JSON.parse((await readFile(join(directory, "header"), "utf8")).split("\n")[0]!);
      expect(meta.kek).toEqual({ type: "provider", provider: "LocalKeyProvider", kid: kekKid });
      const reopened = new FileKeyProvider({ directory, kek: { provider: local, kid: kekKid } });
      expect(await reopened.listKeys()).toEqual([kid]);
      // Another key of the provider, or the same kid in another provider, does not open it.
      const { kid: otherKid } = await local.createKey({ alg: "AES256_GCM" });
      const wrongKid = await rejection(
        new FileKeyProvider({ directory, kek: { provider: local, kid: otherKid } }).listKeys(),
      );
      expect(StoreUnlockError.isInstance(wrongKid) && wrongKid.message).toContain(kekKid);
      const stranger = new LocalKeyProvider();
      await stranger.importKey({ alg: "AES256_GCM" }, new Uint8Array(32), { kid: kekKid });
      await expect(
        new FileKeyProvider({ directory, kek: { provider: stranger, kid: kekKid } }).listKeys(),
      ).rejects.toSatisfy(is(StoreUnlockError));
      // A KEK key that cannot decrypt (an X25519 key can; an HMAC key cannot) is refused when the store is made.
      const { kid: hmac } = await local.createKey({ alg: "HMAC_SHA256" });
      await expect(
        new FileKeyProvider({
          directory: await storeDirectory(),
          kek: { provider: local, kid: hmac },
        }).listKeys(),
      ).rejects.toThrow(/does not allow "encrypt"/);
    });

    it("the registry builds the KEK provider by name, like the mirrored provider's children", async () => {
      const local = new LocalKeyProvider();
      const { kid: kekKid } = await local.createKey({ alg: "AES256_GCM" });
      const holder = defineProvider({
        name: "KekHolder",
        aliases: ["kek-holder"],
        apiVersion: 1,
        create: () => local,
      });
      const registry = createRegistry({ providers: [file, holder] });
      const directory = await storeDirectory();
      const provider = await registry.create("file", {
        directory,
        kek: { provider: "kek-holder", kid: kekKid },
      });
      const { kid } = await provider.createKey({ alg: "ED25519" });
      expect(
        await new FileKeyProvider({ directory, kek: { provider: local, kid: kekKid } }).listKeys(),
      ).toEqual([kid]);
      // A raw key from the environment is text: hex or base64.
      const hexKey = "ab".repeat(32);
      const byHex = await registry.create("file", {
        directory: await storeDirectory(),
        kek: { key: hexKey },
      });
      const { kid: hexKid } = await byHex.createKey({ alg: "AES256_GCM" });
      const byBase64 = await registry.create("file", {
        directory: byHex.directory,
        kek: { key: Buffer.from(hexKey, "hex").toString("base64") },
      });
      expect(await byBase64.listKeys()).toEqual([hexKid]);
      await expect(registry.create("file", { directory, kek: { key: "short" } })).rejects.toThrow(TypeError);
      await expect(registry.create("file", { directory } as never)).rejects.toThrow(
        /passphrase.*key.*provider/,
      );
    });

    it("keyprovider.config.json takes the KEK from the environment and refuses it written out", async () => {
      const registry = createRegistry({ providers: [file] });
      // What createFromConfig does once discovery has found the package.
      const create = (config: LoadedConfig) =>
        registry.create(config.provider as "file", config.options as never);
      const directory = await storeDirectory();
      const passphrase = randomBytes(12).toString("base64url");
      const document = {
        provider: "file",
        options: { directory, kek: { passphrase: { $env: "STORE_PASSPHRASE" }, scrypt: { N: 2 ** 15 } } },
      };
      const config = parseConfig(document, {
        source: "keyprovider.config.json",
        env: { STORE_PASSPHRASE: passphrase },
      });
      const provider = await create(config);
      const { kid } = await provider.createKey({ alg: "ED25519" });
      const reopened = new FileKeyProvider({ directory, kek: { passphrase, scrypt: { N: 2 ** 15 } } });
      expect(await reopened.listKeys()).toEqual([kid]);
      expect(JSON.stringify(config)).not.toContain(passphrase);
      const hex = randomBytes(32).toString("hex");
      const keyed = parseConfig(
        {
          provider: "file",
          options: { directory: await storeDirectory(), kek: { key: { $env: "STORE_KEK" } } },
        },
        { source: "keyprovider.config.json", env: { STORE_KEK: hex } },
      );
      expect((await (await create(keyed)).createKey({ alg: "AES256_GCM" })).version).toBe(1);
      for (const kek of [{ passphrase }, { key: hex }]) {
        const literal = (() => {
          try {
            return parseConfig({ provider: "file", options: { directory, kek } }, { source: "--options" });
          } catch (error) {
            return error;
          }
        })();
        expect(InvalidConfigError.isInstance(literal) && literal.reason).toBe("literal_secret");
        expect(String((literal as Error).message)).not.toContain(Object.values(kek)[0]);
      }
    });
  });

  describe("rekey", () => {
    it("rekey({ kek }) re-wraps the data key and touches no record", async () => {
      const directory = await storeDirectory();
      const provider = new FileKeyProvider({ directory, kek: passphraseKek("old passphrase") });
      const { kid } = await provider.createKey({ alg: "ED25519" });
      await provider.rotateKey(kid);
      const keysBefore = await snapshot(join(directory, "keys"));
      await provider.rekey({ kek: passphraseKek("new passphrase") });
      expect(await snapshot(join(directory, "keys"))).toEqual(keysBefore);
      await expect(
        new FileKeyProvider({ directory, kek: passphraseKek("old passphrase") }).listKeys(),
      ).rejects.toSatisfy(is(StoreUnlockError));
      const reopened = new FileKeyProvider({ directory, kek: passphraseKek("new passphrase") });
      expect(await reopened.listVersions(kid)).toEqual([1, 2]);
      // The provider that rekeyed keeps working, and writes under the same data key.
      await provider.rotateKey(kid);
      expect(await reopened.listVersions(kid)).toEqual([1, 2, 3]);
      // To another form of KEK and back.
      const local = new LocalKeyProvider();
      const { kid: kekKid } = await local.createKey({ alg: "RSA_OAEP_SHA256", sizeBits: 2048 });
      await reopened.rekey({ kek: { provider: local, kid: kekKid } });
      expect(
        await new FileKeyProvider({ directory, kek: { provider: local, kid: kekKid } }).listVersions(kid),
      ).toEqual([1, 2, 3]);
    });

    it("rekey({ kek, rotateDataKey: true }) re-encrypts every file under a new data key", async () => {
      const { provider, directory } = await freshProvider();
      const signing = await provider.createKey({ alg: "ED25519" });
      await provider.rotateKey(signing.kid);
      await provider.destroyKey(signing.kid, 1);
      const aes = await provider.createKey({ alg: "AES256_GCM" });
      const sealed = await provider.encrypt(aes.kid, message);
      const oldHeader = JSON.parse((await readFile(join(directory, "header"), "utf8")).split("\n")[0]!);
      const before = await snapshot(join(directory, "keys"));
      const kek = rawKek();
      await provider.rekey({ kek, rotateDataKey: true });
      const after = await snapshot(join(directory, "keys"));
      const header = JSON.parse((await readFile(join(directory, "header"), "utf8")).split("\n")[0]!);
      expect(header.keys).toHaveLength(1);
      expect(header.keys[0]).not.toBe(oldHeader.keys[0]);
      expect(header.store).toBe(oldHeader.store);
      for (const name of Object.keys(after)) {
        if ((await stat(join(directory, "keys", name))).size === 0) continue; // a superseded list
        expect(after[name]).not.toBe(before[name]);
        const meta = JSON.parse((await readFile(join(directory, "keys", name), "utf8")).split("\n")[0]!);
        expect(meta.key).toBe(header.keys[0]);
      }
      const reopened = new FileKeyProvider({ directory, kek });
      expect(await reopened.decrypt(aes.kid, sealed)).toEqual(message);
      expect(await reopened.listVersions(signing.kid)).toEqual([2]);
      expect(await reopened.verify(signing.kid, message, await provider.sign(signing.kid, message))).toBe(
        true,
      );
      expect((await reopened.rotateKey(signing.kid)).version).toBe(3);
    });

    it("checks its options", async () => {
      const { provider } = await freshProvider();
      await expect(provider.rekey(undefined as never)).rejects.toThrow(TypeError);
      await expect(provider.rekey({} as never)).rejects.toThrow(/passphrase/);
      await expect(provider.rekey({ kek: rawKek(), rotateDataKey: "yes" as never })).rejects.toThrow(
        TypeError,
      );
    });
  });

  describe("private files and directories, as ssh wants them", () => {
    it("refuses a store directory writable by group or others, saying what to run", async () => {
      const { provider, directory, kek } = await freshProvider();
      await provider.listKeys();
      await chmod(directory, 0o770);
      const error = await rejection(new FileKeyProvider({ directory, kek }).listKeys());
      expect(InsecureStoreError.isInstance(error)).toBe(true);
      expect((error as InsecureStoreError).path).toBe(directory);
      expect((error as Error).message).toContain(`chmod 700 ${directory}`);
    });

    it("refuses a group-writable kid directory, a readable record and a symlinked record", async () => {
      const { provider, directory, kek } = await freshProvider();
      const { kid } = await provider.createKey({ alg: "ED25519" });
      const kidDir = join(directory, "keys", kid);
      await chmod(kidDir, 0o770);
      const dirError = await rejection(new FileKeyProvider({ directory, kek }).getKey(kid));
      expect(InsecureStoreError.isInstance(dirError) && dirError.message).toContain(`chmod 700 ${kidDir}`);
      await chmod(kidDir, 0o700);
      await chmod(join(kidDir, "v1"), 0o644);
      const fileError = await rejection(new FileKeyProvider({ directory, kek }).getKey(kid));
      expect(InsecureStoreError.isInstance(fileError) && fileError.message).toContain(
        `chmod 600 ${join(kidDir, "v1")}`,
      );
      await chmod(join(kidDir, "v1"), 0o600);
      const elsewhere = join(await scratch(), "v1");
      await rename(join(kidDir, "v1"), elsewhere);
      await symlink(elsewhere, join(kidDir, "v1"));
      const linkError = await rejection(new FileKeyProvider({ directory, kek }).getKey(kid));
      expect(InsecureStoreError.isInstance(linkError) && linkError.message).toMatch(
        /keys\/[0-9a-f]+\/v1 is a symbolic link/,
      );
    });

    it("refuses a symlinked kid directory", async () => {
      const { provider, directory, kek } = await freshProvider();
      const { kid } = await provider.createKey({ alg: "ED25519" });
      const elsewhere = join(await scratch(), "moved");
      await rename(join(directory, "keys", kid), elsewhere);
      await symlink(elsewhere, join(directory, "keys", kid));
      await expect(new FileKeyProvider({ directory, kek }).getKey(kid)).rejects.toSatisfy(
        is(InsecureStoreError),
      );
    });

    it("refuses to make a store in a directory that holds something else", async () => {
      const directory = await scratch();
      await writeFile(join(directory, "notes.txt"), "mine");
      const error = await rejection(new FileKeyProvider({ directory, kek: rawKek() }).listKeys());
      expect(StoreIntegrityError.isInstance(error) && error.message).toMatch(
        /no key store header but is not empty/,
      );
      expect(await readdir(directory)).toEqual(["notes.txt"]);
    });
  });

  describe("leftovers", () => {
    it("temp files are ignored, and removed once older than a minute", async () => {
      const { provider, directory, kek } = await freshProvider();
      const { kid } = await provider.createKey({ alg: "ED25519" });
      const fresh = join(directory, "tmp", "123-fresh.tmp");
      const old = join(directory, "tmp", "456-old.tmp");
      for (const path of [fresh, old]) await writeFile(path, "half a record", { mode: 0o600 });
      const minutesAgo = new Date(Date.now() - 5 * 60_000);
      await utimes(old, minutesAgo, minutesAgo);
      expect(await new FileKeyProvider({ directory, kek }).listKeys()).toEqual([kid]);
      expect(await readdir(join(directory, "tmp"))).toEqual(["123-fresh.tmp"]);
    });

    it("a version claimed by a process that died before committing is skipped and its material removed", async () => {
      const { provider, directory, kek } = await freshProvider();
      const { kid } = await provider.createKey({ alg: "ED25519" });
      await provider.rotateKey(kid);
      // As a writer killed between its claim and its commit leaves it: v3 on disk, not in the list.
      const kidDir = join(directory, "keys", kid);
      await copyFile(join(kidDir, "v2"), join(kidDir, "v3"));
      await chmod(join(kidDir, "v3"), 0o600);
      const minutesAgo = new Date(Date.now() - 5 * 60_000);
      await utimes(join(kidDir, "v3"), minutesAgo, minutesAgo);
      const restarted = new FileKeyProvider({ directory, kek });
      expect(await restarted.listVersions(kid)).toEqual([1, 2]);
      expect((await restarted.rotateKey(kid)).version).toBe(4);
      expect((await readFile(join(kidDir, "v3"), "utf8")).split("\n")[0]).toContain('"type":"tombstone"');
      expect(await restarted.listVersions(kid)).toEqual([1, 2, 4]);
    });
  });

  describe("kids never reach a path unchecked (DESIGN §7.1)", () => {
    it("a kid that is not [A-Za-z0-9_-]{1,128} is KeyNotFoundError and touches no file", async () => {
      const { provider, directory } = await freshProvider();
      await provider.listKeys();
      const before = await snapshot(directory);
      for (const kid of ["../header", "..", "a/b", "keys", ".", "a".repeat(129), "x.1"]) {
        await expect(provider.getKey(kid)).rejects.toSatisfy(is(KeyNotFoundError));
        expect(await provider.destroyKey(kid)).toBe(false);
      }
      expect(await snapshot(directory)).toEqual(before);
      await mkdir(join(directory, "keys", "not-a-kid.txt"));
      expect(await provider.listKeys()).toEqual([]);
    });
  });
});
