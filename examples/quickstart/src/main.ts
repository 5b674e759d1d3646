import { pathToFileURL } from "node:url";
import { KeyNotFoundError, createRegistry } from "@keyprovider/core";
import inmemory from "@keyprovider/inmemory";
import local from "@keyprovider/local";
import { SignJWT, createLocalJWKSet, errors, importPKCS8, jwtVerify } from "jose";

/** The quickstart: sign tokens, publish a JWKS, rotate, retire. Every step prints one line through `log`. */
export async function main(log: (line: string) => void = console.log): Promise<void> {
  // 1. Find providers by name, as an application configured with `provider: "local"` would.
  const registry = createRegistry({ providers: [local, inmemory] });
  const provider = await registry.create("local");
  log(`providers: ${registry.list().join(", ")}`);

  // 2. Create an Ed25519 signing key; this service signs tokens itself, so it may export the key.
  const ref = await provider.createKey({
    klass: "asym",
    alg: "ED25519",
    uses: ["sign", "verify"],
    exportPolicy: "secret_when_allowed",
    label: "quickstart-signing",
  });
  log(`created ${ref.kid} v${ref.version} (${ref.alg}), fingerprint ${ref.fingerprint}`);

  // 3. Logging a KeyRef never prints the private key.
  const logged = JSON.parse(JSON.stringify(ref)) as { material?: string };
  log(`JSON.stringify(ref) shows material as ${JSON.stringify(logged.material)}; console.log(ref) likewise`);

  // 4. Sign a token; its kid header is "<kid>.<version>".
  const sign = async (version: number) => {
    const { material } = await provider.getKey(ref.kid, version, { includeSecret: true });
    const key = await importPKCS8(new TextDecoder().decode(material), "EdDSA");
    return new SignJWT({ sub: "user-1" })
      .setProtectedHeader({ alg: "EdDSA", kid: `${ref.kid}.${version}` })
      .sign(key);
  };
  const token = await sign(1);

  // 5. Publish the JWK Set and verify with it, as any verifier would.
  const jwks = await provider.jwks();
  const { payload } = await jwtVerify(token, createLocalJWKSet(jwks));
  log(
    `published ${jwks.keys.map((jwk) => `${jwk.kid} ${jwk.alg}/${jwk.use}`).join(", ")}; verified sub=${String(payload.sub)}`,
  );

  // 6. Rotate. Publish every live version while tokens signed by version 1 are still around.
  const rotated = await provider.rotateKey(ref.kid);
  const during = await provider.jwks({ allVersions: true });
  await jwtVerify(token, createLocalJWKSet(during));
  await jwtVerify(await sign(rotated.version), createLocalJWKSet(during));
  log(`rotated to v${rotated.version}; the JWKS has ${during.keys.length} keys and both tokens verify`);

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
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
