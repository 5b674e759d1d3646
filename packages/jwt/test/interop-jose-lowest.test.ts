import * as jose from "jose";
import * as lowest from "jose-lowest";
import { expect, it, vi } from "vitest";
import { describeInterop } from "./interop-suite.js";

// The lowest jose the peer range (^6.0.0) allows, in place of "jose" for this file's whole module
// graph: @keyprovider/jwt's source and the test's own jose calls alike.
vi.mock("jose", () => import("jose-lowest"));

it("runs against jose 6.0.0", () => {
  expect(jose.jwtVerify).toBe(lowest.jwtVerify);
  expect(jose.UnsecuredJWT).toBe(lowest.UnsecuredJWT);
});

describeInterop("jose 6.0.0 (lowest supported)");
