export { describeKeyProvider } from "./describe-key-provider.js";
export type { ConformanceCapabilities, ImportFixture } from "./capabilities.js";
export { KEY_PROVIDER_METHODS, createFaultInjector } from "./fault-injector.js";
export type {
  FaultInjector,
  FaultInjectorOptions,
  FaultOptions,
  FaultTarget,
  KeyProviderMethod,
} from "./fault-injector.js";
export { findSecretLeaks, renderings, secretNeedles } from "./secret-leaks.js";
export { LONG_INFO_VECTOR, RFC5869_VECTORS } from "./vectors.js";
