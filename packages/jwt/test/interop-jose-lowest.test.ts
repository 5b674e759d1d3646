import * as jose from "jose";
import * as lowest from "jose-lowest";
import { LocalKeyProvider } from "@keyprovider/local";
import { expect, it, vi } from "vitest";
import { jwtKeyResolver, signJwt, verifyJwt } from "../src/index.js";
import { describeInterop } from "./interop-suite.js";

// The lowest jose the peer range (^6.0.1) allows, in place of "jose" for this file's whole module
// graph: @keyprovider/jwt's source and the test's own jose calls alike.
vi.mock("jose", () => import("jose-lowest"));

it("runs against jose 6.0.1, whose types accept the resolver too", async () => {
  expect(jose.jwtVerify).toBe(lowest.jwtVerify);
  expect(jose.UnsecuredJWT).toBe(lowest.UnsecuredJWT);
  const provider = new LocalKeyProvider();
  const { kid } = await provider.createKey({ alg: "ES512" });
  const token = await signJwt(provider, kid, { sub: "lowest" }, { expiresIn: "1m" });
  // Typed against jose-lowest's own declarations, so a type our API exposes that 6.0.1 lacks fails tsc.
  const { payload } = await lowest.jwtVerify(token, jwtKeyResolver(provider, { keys: [kid] }));
  const verified: lowest.JWTPayload = (await verifyJwt(provider, token, { keys: [kid] })).payload;
  expect([payload.sub, verified.sub]).toEqual(["lowest", "lowest"]);
});

describeInterop("jose 6.0.1 (lowest supported)");
