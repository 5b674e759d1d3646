// Issue 12, item 8 (JWTs): signJwt against jose's SignJWT signing with the KeyObject, and verifyJwt
// against jose's jwtVerify with a local JWK set (createLocalJWKSet of the provider's jwks()), on the
// same keys and the same claims.
import { createSecretKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { signJwt, verifyJwt } from "@keyprovider/jwt";
import { LocalKeyProvider } from "@keyprovider/local";
import { SignJWT, createLocalJWKSet, jwtVerify } from "jose";
import { targets } from "../harness.js";

const KEYS = [
  { alg: "ED25519", jose: "EdDSA", generate: () => generateKeyPairSync("ed25519").privateKey },
  {
    alg: "ECDSA_P256_SHA256",
    jose: "ES256",
    generate: () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey,
  },
  {
    alg: "RSA_PKCS1_SHA256",
    jose: "RS256",
    generate: () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey,
  },
  { alg: "HMAC_SHA256", jose: "HS256", generate: () => createSecretKey(randomBytes(32)) },
];
const CLAIMS = { sub: "user-1", scope: "read:orders" };

export default async function jwtCases(bench) {
  const section = bench.section({
    id: "jwt",
    title: "JWTs: signJwt and verifyJwt against jose",
    items: [8],
  });
  const provider = new LocalKeyProvider();
  const imported = [];
  for (const key of KEYS) {
    const secret = key.generate();
    const { kid } = await provider.importKey({ alg: key.alg }, secret);
    imported.push({ ...key, secret, kid });
  }
  const localSet = createLocalJWKSet(await provider.jwks());
  for (const { alg, jose, secret, kid } of imported) {
    await section.compare({
      operation: `signJwt ${jose}`,
      ours: () => signJwt(provider, kid, CLAIMS, { issuer: "https://id.example", expiresIn: "5m" }),
      baseline: () =>
        new SignJWT(CLAIMS)
          .setProtectedHeader({ alg: jose, kid: `${kid}.1` })
          .setIssuer("https://id.example")
          .setExpirationTime("5m")
          .sign(secret),
      baselineName: "jose SignJWT.sign(KeyObject)",
      target: targets.atMost(1),
    });
    const token = await signJwt(provider, kid, CLAIMS, { issuer: "https://id.example", expiresIn: "1h" });
    const symmetric = alg === "HMAC_SHA256";
    await section.compare({
      operation: `verifyJwt ${jose}`,
      ours: () => verifyJwt(provider, token, { keys: [kid], issuer: "https://id.example" }),
      baseline: symmetric
        ? () => jwtVerify(token, secret, { issuer: "https://id.example" })
        : () => jwtVerify(token, localSet, { issuer: "https://id.example" }),
      baselineName: symmetric ? "jose jwtVerify(KeyObject)" : "jose jwtVerify(createLocalJWKSet)",
      target: targets.atMost(1),
    });
  }
}
