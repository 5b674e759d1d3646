import { pathToFileURL } from "node:url";
import { KeyNotFoundError, createRegistry } from "@keyprovider/core";
import inmemory from "@keyprovider/inmemory";

/** The quickstart: every step prints one line through `log`. */
export async function main(log: (line: string) => void = console.log): Promise<void> {
  // 1. Find a provider by name, as an application configured with `provider: "inmemory"` would.
  const registry = createRegistry({ providers: [inmemory] });
  const provider = await registry.create("inmemory");
  log(`provider: ${registry.list().join(", ")}`);

  // 2. Create a key. Its secret is returned because the policy allows it.
  const ref = await provider.createKey({
    klass: "sym",
    alg: "AES256_GCM",
    uses: ["encrypt", "decrypt"],
    exportPolicy: "secret_when_allowed",
    label: "quickstart",
  });
  log(
    `created ${ref.kid} v${ref.version}, ${ref.material?.length ?? 0}-byte secret, fingerprint ${ref.fingerprint}`,
  );

  // 3. Logging a KeyRef never prints the secret.
  log(`logged: ${JSON.stringify(ref)}`);

  // 4. Rotate, and list versions.
  const rotated = await provider.rotateKey(ref.kid);
  log(`rotated to v${rotated.version}; versions ${JSON.stringify(await provider.listVersions(ref.kid))}`);

  // 5. Derive a subkey with HKDF-SHA256 from the secret of the latest version.
  const latest = await provider.getKey(ref.kid, undefined, { includeSecret: true });
  const subkey = await provider.hkdf(latest.material!, {
    salt: await provider.randomBytes(32),
    info: new TextEncoder().encode("quickstart/session"),
    length: 32,
  });
  log(`derived a ${subkey.length}-byte subkey`);

  // 6. Destroy version 1; reading it now is a typed error.
  await provider.destroyKey(ref.kid, 1);
  try {
    await provider.getKey(ref.kid, 1);
  } catch (err) {
    if (!KeyNotFoundError.isInstance(err)) throw err;
    log(`v1 is gone: ${err.code}`);
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
