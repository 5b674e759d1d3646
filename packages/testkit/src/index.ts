export { describeKeyProvider } from "./describe-key-provider.js";
export type { ConformanceCapabilities, ImportFixture } from "./describe-key-provider.js";
export { findSecretLeaks, renderings, secretNeedles } from "./secret-leaks.js";
export { LONG_INFO_VECTOR, RFC5869_VECTORS } from "./vectors.js";
