import { KeyAlg, KeyClass, ProviderFeature, type ProviderSupports } from "@keyprovider/core";
import { InProcessKeyProvider } from "@keyprovider/base";

const SUPPORTS: ProviderSupports = Object.freeze({
  class: [KeyClass.symmetric, KeyClass.asymmetric, KeyClass.opaque],
  algs: [KeyAlg.ED25519, KeyAlg.X25519, KeyAlg.ECDSA_P256_SHA256, KeyAlg.AES256_GCM, KeyAlg.HMAC_SHA256],
  features: Object.values(ProviderFeature).filter(
    (feature) => !["mirror", "failover", "remote", "persist"].includes(feature),
  ),
});

/** A test-only in-process provider of quick keys (no RSA), as a delegate for the fault injector. */
export class VolatileKeyProvider extends InProcessKeyProvider {
  readonly name = "VolatileKeyProvider";

  supports(): ProviderSupports {
    return SUPPORTS;
  }
}
