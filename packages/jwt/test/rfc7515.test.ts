import { readFileSync } from "node:fs";
import { InvalidTokenError, keyAlgFromJws, type Jwk, type KeyAlg } from "@keyprovider/core";
import { LocalKeyProvider } from "@keyprovider/local";
import { errors } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyJwt } from "../src/index.js";
import { readAllowedKeys } from "../src/lib/allowed-keys.js";
import { checkClaims } from "../src/lib/claims.js";
import { parseCompactJws } from "../src/lib/compact.js";
import { resolveTokenKey, verifyTokenSignature } from "../src/lib/token-key.js";

/**
 * RFC 7515 Appendix A.2 (RS256), A.3 (ES256) and A.4 (ES512) as known answers. The RFC's tokens
 * have no kid (and A.4's payload is not a claims set), so they cannot pass verifyJwt's header rule;
 * everything after that rule is verifyJwt's own code, run step by step on the RFC's exact bytes:
 * the compact parser, the allow-list, the key lookup with its alg check, the signature check with
 * the provider's published key, and jose's claim checks.
 */
interface Vector {
  readonly name: string;
  readonly publicJwk: Jwk;
  readonly compact: string;
}
const { cases } = JSON.parse(readFileSync(new URL("vectors/rfc7515-jws.json", import.meta.url), "utf8")) as {
  cases: Vector[];
};
const RFC_CLAIMS = { iss: "joe", exp: 1300819380, "http://example.com/is_root": true };
const BEFORE_EXP = new Date("2011-03-22T18:00:00Z");

describe.each(cases)("RFC 7515 $name", (vector) => {
  const provider = new LocalKeyProvider();
  const kid = `rfc7515-${vector.name.split(" ")[0]!.replace(".", "")}`;
  const jose = vector.name.split(" ")[1]!;
  const allowed = readAllowedKeys([kid], "keys");

  beforeAll(async () => {
    await provider.importKey({ alg: jose } as never, undefined, { public: vector.publicJwk, kid });
  });

  async function verifySignature(compact: string) {
    const jws = parseCompactJws(compact);
    expect(jws.header).toEqual({ alg: jose });
    const name = { alg: keyAlgFromJws(jose) as KeyAlg, kid, version: 1 };
    const key = await resolveTokenKey(provider, name, allowed, undefined);
    await verifyTokenSignature(provider, key, jws, undefined);
    return jws;
  }

  it("the signature verifies with the imported public key", async () => {
    const jws = await verifySignature(vector.compact);
    if (jose === "ES512") {
      // A.4 signs the bytes "Payload": a JWS, not a JWT, so the claims step refuses it.
      expect(Buffer.from(jws.encodedPayload, "base64url").toString()).toBe("Payload");
      expect(() => checkClaims(jws.header, jws.encodedPayload, {})).toThrow(
        expect.objectContaining({ code: "ERR_INVALID_TOKEN", reason: "malformed" }),
      );
      return;
    }
    const options = { currentDate: BEFORE_EXP, requiredClaims: ["exp"] };
    expect(checkClaims(jws.header, jws.encodedPayload, options)).toEqual(RFC_CLAIMS);
    expect(() => checkClaims(jws.header, jws.encodedPayload, { currentDate: new Date() })).toThrow(
      errors.JWTExpired,
    );
  });

  it("one changed signature byte is refused", async () => {
    const [h, p, s] = vector.compact.split(".") as [string, string, string];
    const signature = Buffer.from(s, "base64url");
    signature[10]! ^= 1;
    await expect(verifySignature(`${h}.${p}.${signature.toString("base64url")}`)).rejects.toMatchObject({
      reason: "signature",
    });
  });

  it("another algorithm's key of the same family is refused", async () => {
    const swapped = jose === "RS256" ? "PS256" : jose === "ES256" ? "ES384" : "ES256";
    const name = { alg: keyAlgFromJws(swapped) as KeyAlg, kid, version: 1 };
    await expect(resolveTokenKey(provider, name, allowed, undefined)).rejects.toMatchObject({
      reason: "alg",
    });
  });

  it('verifyJwt refuses the token as it is: it has no kid ("kid")', async () => {
    const error = await verifyJwt(provider, vector.compact, {
      keys: "any",
      requireExpiration: false,
      currentDate: BEFORE_EXP,
    }).catch((e: unknown) => e);
    expect(InvalidTokenError.isInstance(error) && error.reason).toBe("kid");
  });
});
