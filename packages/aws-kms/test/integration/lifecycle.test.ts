import { createPublicKey, verify as nodeVerify } from "node:crypto";
import { DescribeKeyCommand, ListAliasesCommand, ListResourceTagsCommand } from "@aws-sdk/client-kms";
import { algorithmInfo } from "@keyprovider/base";
import { KeyNotFoundError, type KeySpec } from "@keyprovider/core";
import { calculateJwkThumbprint, type JWK } from "jose";
import { expect, it } from "vitest";
import { describeKms, rawClient, target, text, useNamespace } from "./kms.js";

/**
 * One algorithm per KMS key spec the provider creates (ECC_NIST_P256/P384/P521,
 * ECC_NIST_EDWARDS25519 where the endpoint has it, RSA_2048, SYMMETRIC_DEFAULT, HMAC_256). RSA_3072
 * and RSA_4096 keys take seconds of CPU each to make, so they get one key each below; the other RSA
 * algorithms are in signing.test.ts and encryption.test.ts.
 */
const SPECS: readonly KeySpec[] = [
  { alg: "ES256" },
  { alg: "ES384" },
  { alg: "ES512" },
  ...(target?.ed25519 === true ? [{ alg: "EdDSA" } as const] : []),
  { alg: "PS256", sizeBits: 2048 },
  { alg: "A256GCM" },
  { alg: "HS256" },
];

const name = (spec: KeySpec) =>
  `${spec.alg}${"sizeBits" in spec && spec.sizeBits !== undefined ? `/${spec.sizeBits}` : ""}`;

describeKms.concurrent("every key spec: create, rotate twice, list, publish, use, destroy", () => {
  const namespace = useNamespace();

  it.each(SPECS.map((spec) => [name(spec), spec] as const))(
    "%s",
    async (_name, spec) => {
      const { provider } = namespace.provider();
      const info = algorithmInfo(spec.alg)!;
      const created = await provider.createKey({ ...spec, label: "lifecycle", tags: { team: "identity" } });
      expect(created).toMatchObject({ version: 1, status: "primary", alg: info.alg, exportPolicy: "none" });
      expect(created.material).toBeUndefined();
      expect(created.uri).toMatch(/^arn:aws:kms:[a-z0-9-]+:\d{12}:key\//);
      expect(created.tags).toMatchObject({
        label: "lifecycle",
        team: "identity",
        "kms:region": target!.region,
      });
      expect(created.uri).toContain(created.tags["kms:key_id"]);

      const second = await provider.rotateKey(created.kid);
      const third = await provider.rotateKey(created.kid);
      expect([second.version, third.version]).toEqual([2, 3]);
      expect(third.spec.label).toBe("lifecycle");
      expect(third.spec.sizeBits).toBe(created.spec.sizeBits);
      expect(await provider.listVersions(created.kid)).toEqual([1, 2, 3]);
      expect(await provider.listKeys()).toContain(created.kid);
      expect((await provider.getKey(created.kid)).version).toBe(3);
      expect((await provider.getKey(created.kid, 1)).status).toBe("active");

      const message = text("the message");
      if (info.jwk !== undefined) {
        const jwk = await provider.getPublicJwk(created.kid, 1);
        expect(jwk).toMatchObject({ kid: `${created.kid}.1`, alg: info.jwk.alg, use: info.jwk.use });
        expect(created.fingerprint).toBe(await calculateJwkThumbprint(jwk as JWK));
        const published = (await provider.jwks({ prefixKids: created.kid })).keys.map((k) => k.kid);
        expect(published).toEqual([`${created.kid}.3`]);
        const all = (await provider.jwks({ prefixKids: created.kid, allVersions: true })).keys.map(
          (k) => k.kid,
        );
        expect(all).toEqual([1, 2, 3].map((v) => `${created.kid}.${v}`));
      } else {
        expect(created.public).toBeUndefined();
        expect(created.fingerprint).toBe((await provider.getKey(created.kid, 1)).fingerprint);
        expect((await provider.jwks({ prefixKids: created.kid })).keys).toEqual([]);
      }

      if (created.uses.includes("sign")) {
        const signature = await provider.sign(created.kid, message);
        if (info.signature?.length !== undefined) expect(signature.byteLength).toBe(info.signature.length);
        expect(await provider.verify(created.kid, message, signature)).toBe(true);
        expect(await provider.verify(created.kid, text("another message"), signature)).toBe(false);
        expect(await provider.verify(created.kid, message, signature, { version: 2 })).toBe(false);
        if (info.jwk !== undefined && info.signature!.scheme !== "eddsa") {
          // Independent check with node:crypto against the published key.
          const key = createPublicKey({
            key: (await provider.getPublicJwk(created.kid)) as never,
            format: "jwk",
          });
          const options =
            info.signature!.scheme === "ecdsa"
              ? { key, dsaEncoding: "ieee-p1363" as const }
              : info.signature!.scheme === "rsa-pss"
                ? { key, padding: 6, saltLength: info.signature!.saltLength! }
                : key;
          expect(nodeVerify(info.signature!.hash, message, options, signature)).toBe(true);
        }
      } else {
        const aad = text("context");
        const ciphertext = await provider.encrypt(created.kid, message, { aad });
        expect(await provider.decrypt(created.kid, ciphertext, { aad })).toEqual(message);
      }

      expect(await provider.destroyKey(created.kid, 2)).toBe(true);
      expect(await provider.destroyKey(created.kid, 2)).toBe(false);
      expect(await provider.listVersions(created.kid)).toEqual([1, 3]);
      // The primary goes: the pointer moves to the newest older version.
      expect(await provider.destroyKey(created.kid, 3)).toBe(true);
      expect((await provider.getKey(created.kid)).version).toBe(1);
      // A destroyed number is never issued again (checked where keys are quick to make).
      if (created.type !== "rsa") expect((await provider.rotateKey(created.kid)).version).toBe(4);

      const raw = rawClient();
      const { KeyMetadata } = await raw.send(new DescribeKeyCommand({ KeyId: second.tags["kms:key_id"]! }));
      expect(KeyMetadata?.KeyState).toBe("PendingDeletion");

      expect(await provider.destroyKey(created.kid)).toBe(true);
      expect(await provider.destroyKey(created.kid)).toBe(false);
      expect(await provider.listKeys()).not.toContain(created.kid);
      await expect(provider.getKey(created.kid)).rejects.toSatisfy((e) => KeyNotFoundError.isInstance(e));
      const states = await Promise.all(
        [created, third].map((ref) => raw.send(new DescribeKeyCommand({ KeyId: ref.tags["kms:key_id"]! }))),
      );
      expect(states.map((s) => s.KeyMetadata?.KeyState)).toEqual(["PendingDeletion", "PendingDeletion"]);
      raw.destroy();
    },
    60_000,
  );
});

describeKms.concurrent("RSA_3072 and RSA_4096", () => {
  const namespace = useNamespace();

  it.each([
    [{ alg: "RS256" } as const, 3072], // the default size
    [{ alg: "RSA-OAEP-256", sizeBits: 4096 } as const, 4096],
  ])("%o: created as RSA_%i, published, used and destroyed", async (spec, bits) => {
    const { provider } = namespace.provider();
    const ref = await provider.createKey(spec);
    const raw = rawClient();
    const { KeyMetadata } = await raw.send(new DescribeKeyCommand({ KeyId: ref.tags["kms:key_id"]! }));
    expect(KeyMetadata).toMatchObject({ KeySpec: `RSA_${bits}` });
    expect(ref.spec.sizeBits).toBe(bits);
    const jwk = await provider.getPublicJwk(ref.kid);
    expect(Buffer.from(jwk.n!, "base64url").length * 8).toBe(bits);
    if (ref.uses.includes("sign")) {
      expect(await provider.verify(ref.kid, text("m"), await provider.sign(ref.kid, text("m")))).toBe(true);
    } else {
      expect(await provider.decrypt(ref.kid, await provider.encrypt(ref.kid, text("m")))).toEqual(text("m"));
    }
    expect(await provider.destroyKey(ref.kid)).toBe(true);
    raw.destroy();
  });
});

describeKms("what the provider writes into KMS", () => {
  const namespace = useNamespace();

  it("aliases alias/<prefix>/<kid> and alias/<prefix>/<kid>/v<N>, and tags kid, version, alg, size, label", async () => {
    const { provider } = namespace.provider();
    const ref = await provider.createKey({
      alg: "PS256",
      sizeBits: 2048,
      label: "payments",
      tags: { team: "id" },
    });
    const next = await provider.rotateKey(ref.kid, { activate: false });
    const raw = rawClient();
    const aliases = [];
    let Marker: string | undefined;
    do {
      const page = await raw.send(new ListAliasesCommand({ Limit: 100, ...(Marker ? { Marker } : {}) }));
      aliases.push(...(page.Aliases ?? []));
      Marker = page.Truncated === true ? page.NextMarker : undefined;
    } while (Marker !== undefined);
    const ours = aliases
      .filter((a) => a.AliasName?.startsWith(`alias/${namespace.aliasPrefix}/`))
      .map((a) => [a.AliasName, a.TargetKeyId])
      .sort();
    const [v1, v2] = [ref.tags["kms:key_id"], next.tags["kms:key_id"]];
    expect(ours).toEqual([
      [`alias/${namespace.aliasPrefix}/${ref.kid}`, v1], // staged: the primary stays on version 1
      [`alias/${namespace.aliasPrefix}/${ref.kid}/v1`, v1],
      [`alias/${namespace.aliasPrefix}/${ref.kid}/v2`, v2],
    ]);
    const { Tags } = await raw.send(new ListResourceTagsCommand({ KeyId: v2! }));
    expect(Object.fromEntries((Tags ?? []).map((t) => [t.TagKey, t.TagValue]))).toEqual({
      "keyprovider:kid": ref.kid,
      "keyprovider:version": "2",
      "keyprovider:alg": "RSA_PSS_SHA256",
      "keyprovider:size": "2048",
      "keyprovider:label": "payments",
      team: "id",
    });
    const { KeyMetadata } = await raw.send(new DescribeKeyCommand({ KeyId: v2! }));
    expect(KeyMetadata).toMatchObject({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY", KeyState: "Enabled" });
    await provider.activateVersion(ref.kid, 2);
    const { Aliases } = await raw.send(new ListAliasesCommand({ KeyId: v2! }));
    expect(Aliases?.map((a) => a.AliasName).sort()).toEqual([
      `alias/${namespace.aliasPrefix}/${ref.kid}`,
      `alias/${namespace.aliasPrefix}/${ref.kid}/v2`,
    ]);
    raw.destroy();
  });
});
