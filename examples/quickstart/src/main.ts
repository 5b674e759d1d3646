import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { KeyNotFoundError, createRegistry } from "@keyprovider/core";
import file from "@keyprovider/file";
import inmemory from "@keyprovider/inmemory";
import local from "@keyprovider/local";
import { signJwt, verifyJwt } from "@keyprovider/jwt";
import { createLocalJWKSet, errors, jwtVerify } from "jose";

/** The quickstart: sign tokens, publish a JWKS, rotate, retire. Every step prints one line through `log`. */
export async function main(log: (line: string) => void = console.log): Promise<void> {
  // 1. Find providers by name, as an application configured with `provider: "local"` would.
  const registry = createRegistry({ providers: [local, inmemory, file] });
  const provider = await registry.create("local");
  log(`providers: ${registry.list().join(", ")}`);

  // 2. Create an Ed25519 signing key. Its private half never leaves the provider (exportPolicy "none").
  const ref = await provider.createKey({ alg: "ED25519", exportPolicy: "none", label: "quickstart-signing" });
  log(`created ${ref.kid} v${ref.version} (${ref.alg}), fingerprint ${ref.fingerprint}`);

  // 3. The private key never leaves the provider, and logging a KeyRef never prints one anyway.
  log(
    `private key returned: ${ref.material === undefined ? "no" : "yes"}; JSON.stringify(ref) has "material": ${"material" in JSON.parse(JSON.stringify(ref))}`,
  );

  // 4. Sign a token inside the provider; its kid header is "<kid>.<version>".
  const sign = () => signJwt(provider, ref.kid, { sub: "user-1" }, { expiresIn: "5m" });
  const token = await sign();

  // 5. Publish the JWK Set and verify with it, as any verifier would.
  const jwks = await provider.jwks();
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks));
  log(
    `published ${jwks.keys.map((jwk) => `${jwk.kid} ${jwk.alg}/${jwk.use}`).join(", ")}; verified sub=${String(payload.sub)}`,
  );

  // 6. Rotate without breaking verifiers: stage v2 (published, not signing), then activate it.
  // Publish every live version while tokens signed by version 1 are still around.
  const rotated = await provider.rotateKey(ref.kid, { activate: false });
  await provider.activateVersion(ref.kid, rotated.version);
  const during = await provider.jwks({ allVersions: true });
  await jwtVerify(token, createLocalJWKSet(during));
  const newer = await sign();
  const verified = await verifyJwt(provider, newer, { keys: [ref.kid] });
  log(`rotated to v${verified.key.version}; the JWKS has ${during.keys.length} keys and both tokens verify`);

  // 7. Retire version 1: its tokens stop verifying, and reading it is a typed error.
  await provider.destroyKey(ref.kid, 1);
  const after = createLocalJWKSet(await provider.jwks({ allVersions: true }));
  const outcome = await jwtVerify(token, after).then(
    () => "still verifies",
    (err: unknown) => (err instanceof errors.JWKSNoMatchingKey ? "no longer verifies" : String(err)),
  );
  const read = await provider
    .getKey(ref.kid, 1)
    .catch((err: unknown) => (KeyNotFoundError.isInstance(err) ? err.code : err));
  log(`retired v1: its token ${outcome}; getKey(v1) -> ${String(read)}`);

  // 8. Random bytes and HKDF-SHA256 come with every provider.
  const okm = await provider.hkdf(await provider.randomBytes(32), {
    info: new TextEncoder().encode("quickstart/session"),
    length: 32,
  });
  log(`derived a ${okm.length}-byte key with HKDF-SHA256`);

  // 9. Keys that survive a restart: a FileKeyProvider store on disk, encrypted at rest. This process
  // makes a key and signs a token; a second process opens the same directory and verifies it.
  const directory = join(await mkdtemp(join(tmpdir(), "keyprovider-quickstart-")), "keys");
  const kek = randomBytes(32).toString("hex"); // in production: from a secret manager, or a KMS key
  try {
    const store = await registry.create("file", { directory, kek: { key: kek } });
    const stored = await store.createKey({ alg: "ES256" });
    const storedToken = await signJwt(store, stored.kid, { sub: "user-2" }, { expiresIn: "5m" });
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        fileURLToPath(new URL("../dist/second-process.js", import.meta.url)),
        directory,
        storedToken,
        stored.kid,
      ],
      { env: { ...process.env, KEYPROVIDER_KEK: kek } },
    );
    log(`a second process opened ${stored.kid} from disk and verified the token: ${stdout.trim()}`);
  } finally {
    await rm(join(directory, ".."), { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
