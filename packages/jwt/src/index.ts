export { signJwt } from "./sign-jwt.js";
export type { SignJwtOptions } from "./sign-jwt.js";
export { verifyJwt } from "./verify-jwt.js";
export type { VerifiedJwtKey, VerifyJwtOptions, VerifyJwtResult } from "./verify-jwt.js";
export { jwtKeyResolver } from "./jwt-key-resolver.js";
export type { JwtKeyResolver, JwtKeyResolverOptions } from "./jwt-key-resolver.js";
export type { JwtKeys } from "./lib/allowed-keys.js";
export type { JwtVerificationHints } from "./lib/provider.js";
