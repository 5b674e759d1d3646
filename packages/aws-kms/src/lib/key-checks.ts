import type { KeyMetadata } from "@aws-sdk/client-kms";
import type { NormalizedKeySpec } from "@keyprovider/core";
import { ALGORITHMS } from "@keyprovider/base";

/**
 * Why a version cannot be used (`KeyUnavailableError.reason`): someone else's key or tags that do
 * not match its alias (`identity_mismatch`), a key spec or usage that does not fit the algorithm
 * (`spec_mismatch`), or a key state other than `Enabled` (`disabled`, `pending_deletion`, …).
 */
export type UnusableReason = string;

/** What the checks of DESIGN §7.5 read. */
export interface CheckedKey {
  readonly metadata: KeyMetadata;
  /** What the key's tags claim, or `undefined` when they are not a keyprovider key's. */
  readonly claimed:
    { readonly kid: string; readonly version: number; readonly spec: NormalizedKeySpec } | undefined;
}

/** `PendingDeletion` → `pending_deletion`. */
function snake(state: string): string {
  return state.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/**
 * DESIGN §7.5: a version is used only when KMS shows the configured account (when one is
 * configured), a customer key of KMS's own material whose tags name this kid and version, a key
 * spec and usage that fit the algorithm the tags name, and state `Enabled`. Identity first, so a
 * foreign key is reported as such whatever its state. Returns `undefined` when usable.
 */
export function unusableReason(
  key: CheckedKey,
  kid: string,
  version: number,
  expectedAccountId: string | undefined,
): UnusableReason | undefined {
  const { metadata, claimed } = key;
  if (expectedAccountId !== undefined && metadata.AWSAccountId !== expectedAccountId)
    return "identity_mismatch";
  if (claimed === undefined || claimed.kid !== kid || claimed.version !== version) return "identity_mismatch";
  // Keys of imported material (EXTERNAL) have a copy outside KMS; AWS managed keys are not ours.
  if (metadata.Origin !== undefined && metadata.Origin !== "AWS_KMS") return "identity_mismatch";
  if (metadata.KeyManager !== undefined && metadata.KeyManager !== "CUSTOMER") return "identity_mismatch";
  const kms = ALGORITHMS[claimed.spec.alg].kms;
  const keySpec = metadata.KeySpec ?? metadata.CustomerMasterKeySpec;
  if (keySpec !== kms.keySpec(claimed.spec.sizeBits) || metadata.KeyUsage !== kms.keyUsage)
    return "spec_mismatch";
  const listed =
    kms.signingAlgorithm !== undefined
      ? [kms.signingAlgorithm, metadata.SigningAlgorithms]
      : kms.macAlgorithm !== undefined
        ? [kms.macAlgorithm, metadata.MacAlgorithms]
        : [kms.encryptionAlgorithm, metadata.EncryptionAlgorithms];
  const [needed, offered] = listed as [string | undefined, readonly string[] | undefined];
  if (needed !== undefined && offered !== undefined && !offered.includes(needed)) return "spec_mismatch";
  const state = metadata.KeyState ?? (metadata.Enabled === false ? "Disabled" : "Enabled");
  return state === "Enabled" ? undefined : snake(state);
}
