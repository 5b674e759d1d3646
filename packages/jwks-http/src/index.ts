export { createJwksHandler, toNodeHandler } from "./jwks-handler.js";
export type { JwksHandler, JwksHandlerOptions } from "./jwks-handler.js";
