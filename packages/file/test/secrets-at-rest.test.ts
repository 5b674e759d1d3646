// Nothing secret is ever written in a form that can be read back without the KEK: every file of a
// store is scanned for every secret (and the KEK itself) as raw bytes, DER, PEM, hex, base64 and
// base64url, whole and in fragments.
import { Buffer } from "node:buffer";
import {
  createDecipheriv,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { KeySpec } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { FileKeyProvider } from "../src/index.js";
import { passphraseKek, storeDirectory } from "./helpers.js";

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi"] as const;

/**
 * The byte strings and texts whose presence in a file would reveal `secret`: the whole of it and,
 * with `fragments`, 12-byte windows at its start, middle and end (a partial leak), each as raw
 * bytes, hex, base64 and base64url at every alignment.
 */
function needles(secret: Uint8Array, fragments = true): { bytes: Buffer[]; texts: string[] } {
  const raw = Buffer.from(secret);
  const bytes = [raw];
  if (fragments && raw.length >= 24) {
    for (const start of [0, Math.floor((raw.length - 12) / 2), raw.length - 12])
      bytes.push(raw.subarray(start, start + 12));
  }
  const texts = new Set<string>();
  for (const piece of bytes) {
    texts.add(piece.toString("hex"));
    texts.add(piece.toString("hex").toUpperCase());
    // Base64 of a fragment depends on its alignment in a longer stream: try all three.
    for (let shift = 0; shift < 3 && shift < piece.length; shift += 1) {
      const aligned = piece.subarray(shift);
      for (const encoding of ["base64", "base64url"] as const) {
        const encoded = aligned.toString(encoding).replace(/=+$/, "");
        if (encoded.length > 8) texts.add(encoded.slice(0, -2));
      }
    }
  }
  return { bytes, texts: [...texts].filter((text) => text.length >= 12) };
}

/**
 * Everything that reveals a private key: its PKCS#8 DER and PEM (whole: they also hold the public
 * key, which records publish), and each private member (d, p, q, …) whole and in fragments.
 */
function privateKeyNeedles(key: KeyObject): { bytes: Buffer[]; texts: string[] } {
  const der = key.export({ type: "pkcs8", format: "der" });
  const pem = key.export({ type: "pkcs8", format: "pem" }) as string;
  const jwk = key.export({ format: "jwk" }) as Record<string, string | undefined>;
  const parts = [needles(der, false)];
  for (const member of PRIVATE_MEMBERS) {
    const value = jwk[member];
    if (value !== undefined) parts.push(needles(Buffer.from(value, "base64url")));
  }
  return {
    bytes: parts.flatMap((part) => part.bytes),
    texts: [
      ...parts.flatMap((part) => part.texts),
      pem,
      pem.replace(/-----[^-]+-----|\n/g, ""),
      "PRIVATE KEY",
    ],
  };
}

async function everyFile(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    out.push(...(entry.isDirectory() ? await everyFile(path) : [path]));
  }
  return out;
}

/** Files that contain any needle, as "file: which secret". */
async function findings(
  directory: string,
  secrets: Map<string, { bytes: Buffer[]; texts: string[] }>,
  minimumFiles: number,
): Promise<string[]> {
  const found: string[] = [];
  const files = await everyFile(directory);
  expect(files.length).toBeGreaterThanOrEqual(minimumFiles);
  for (const path of files) {
    const content = await readFile(path);
    const asText = content.toString("latin1");
    for (const [name, { bytes, texts }] of secrets) {
      if (
        bytes.some((needle) => content.includes(needle)) ||
        texts.some((needle) => asText.includes(needle))
      ) {
        found.push(`${path.slice(directory.length + 1)}: ${name}`);
      }
    }
  }
  return found;
}

// One RSA key serves the three RSA imports; only RS256 is also created and rotated (RSA is slow).
const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
const pairs: [string, KeySpec, () => KeyObject, boolean][] = [
  ["ED25519", { alg: "ED25519" }, () => generateKeyPairSync("ed25519").privateKey, true],
  ["X25519", { alg: "X25519" }, () => generateKeyPairSync("x25519").privateKey, true],
  ["ES256", { alg: "ES256" }, () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey, true],
  ["ES384", { alg: "ES384" }, () => generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey, true],
  ["ES512", { alg: "ES512" }, () => generateKeyPairSync("ec", { namedCurve: "P-521" }).privateKey, true],
  ["RS256", { alg: "RS256", sizeBits: 2048 }, () => rsa, true],
  ["PS256", { alg: "PS256", sizeBits: 2048 }, () => rsa, false],
  ["RSA-OAEP-256", { alg: "RSA-OAEP-256", sizeBits: 2048 }, () => rsa, false],
];

describe("secrets at rest", () => {
  it("no file holds a private key, a secret or the KEK in any encoding", async () => {
    const directory = await storeDirectory();
    const passphrase = "a passphrase that must never be written";
    const provider = new FileKeyProvider({ directory, kek: passphraseKek(passphrase) });
    const secrets = new Map<string, { bytes: Buffer[]; texts: string[] }>();
    secrets.set("the passphrase", {
      bytes: [Buffer.from(passphrase)],
      texts: [passphrase, ...needles(Buffer.from(passphrase)).texts],
    });

    for (const [name, spec, generate, create] of pairs) {
      // Imported under exportPolicy "none": known material the provider may never give back.
      const privateKey = generate();
      const { kid } = await provider.importKey({ ...spec, exportPolicy: "none" }, privateKey);
      secrets.set(`imported ${name}`, privateKeyNeedles(privateKey));
      await provider.destroyKey(kid); // tombstones must not keep anything either
      if (!create) continue;
      // Created and rotated with an exportable policy, so the test can read the material it must not find.
      const created = await provider.createKey({ ...spec, exportPolicy: "secret_when_allowed" });
      const rotated = await provider.rotateKey(created.kid);
      for (const ref of [created, rotated]) {
        const exported = await provider.exportKey(ref.kid, {
          format: "pem",
          private: true,
          version: ref.version,
        });
        secrets.set(`created ${name} v${ref.version}`, privateKeyNeedles(createPrivateKey(exported)));
      }
    }
    for (const alg of ["AES256_GCM", "HMAC_SHA256"] as const) {
      const secret = new Uint8Array(randomBytes(32));
      await provider.importKey({ alg }, secret);
      secrets.set(`imported ${alg}`, needles(secret));
      const created = await provider.createKey({ alg, exportPolicy: "secret_when_allowed" });
      secrets.set(
        `created ${alg}`,
        needles((await provider.getKey(created.kid, 1, { includeSecret: true })).material!),
      );
    }
    expect(secrets.size).toBe(1 + pairs.length + pairs.filter((pair) => pair[3]).length * 2 + 4);
    expect(await findings(directory, secrets, 40)).toEqual([]);
  }, 120_000);

  it("a raw KEK is never written, nor a KEK provider's key", async () => {
    const directory = await storeDirectory();
    const key = new Uint8Array(randomBytes(32));
    const provider = new FileKeyProvider({ directory, kek: { key } });
    const { kid } = await provider.createKey({ alg: "ED25519" });
    await provider.rotateKey(kid);
    const secrets = new Map([["the raw KEK", needles(key)]]);
    // The store's data key, unwrapped here as the README's format section says (AES-256-GCM under
    // the raw KEK, nonce ‖ ciphertext ‖ tag, the label and the metadata line as associated data).
    const [metaLine, seal] = (await readFile(join(directory, "header"), "utf8")).split("\n") as [
      string,
      string,
    ];
    const sealed = Buffer.from(seal, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(`keyprovider/file-store\n${metaLine}`));
    decipher.setAuthTag(sealed.subarray(-16));
    const dataKey = Buffer.concat([decipher.update(sealed.subarray(12, -16)), decipher.final()]);
    expect(dataKey).toHaveLength(32);
    secrets.set("the data key", needles(dataKey));
    expect(await findings(directory, secrets, 4)).toEqual([]);

    const { LocalKeyProvider } = await import("@keyprovider/local");
    const local = new LocalKeyProvider();
    const kekSecret = new Uint8Array(randomBytes(32));
    const { kid: kekKid } = await local.importKey({ alg: "AES256_GCM" }, kekSecret);
    await provider.rekey({ kek: { provider: local, kid: kekKid }, rotateDataKey: true });
    secrets.set("the KEK provider's key", needles(kekSecret));
    expect(await findings(directory, secrets, 4)).toEqual([]);
    // The scan itself finds what it looks for, wherever it is.
    await writeFile(
      join(directory, "tmp", "leak"),
      `key=${Buffer.from(kekSecret.subarray(8, 24)).toString("base64")}\n`,
    );
    expect(await findings(directory, secrets, 4)).toEqual(["tmp/leak: the KEK provider's key"]);
  });
});
