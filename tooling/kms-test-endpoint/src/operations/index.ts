import { CreateAlias, DeleteAlias, ListAliases, UpdateAlias } from "./aliases.js";
import { Decrypt, Encrypt, GenerateDataKey, GenerateRandom } from "./encryption.js";
import type { OperationHandler } from "./handler.js";
import {
  CancelKeyDeletion,
  CreateKey,
  DescribeKey,
  DisableKey,
  EnableKey,
  GetPublicKey,
  ListKeys,
  ScheduleKeyDeletion,
} from "./keys.js";
import { GenerateMac, Sign, Verify, VerifyMac } from "./signing.js";
import { ListResourceTags, TagResource, UntagResource } from "./tags.js";

/** The KMS operations this endpoint implements, by the name in `X-Amz-Target: TrentService.<name>`. */
export const OPERATIONS: Readonly<Record<string, OperationHandler>> = {
  CreateKey,
  DescribeKey,
  GetPublicKey,
  ListKeys,
  EnableKey,
  DisableKey,
  ScheduleKeyDeletion,
  CancelKeyDeletion,
  CreateAlias,
  UpdateAlias,
  DeleteAlias,
  ListAliases,
  TagResource,
  UntagResource,
  ListResourceTags,
  Sign,
  Verify,
  GenerateMac,
  VerifyMac,
  Encrypt,
  Decrypt,
  GenerateDataKey,
  GenerateRandom,
};

/** Operations that take `DryRun`; all of them are free of side effects here, so a dry run is the real run, answered with DryRunOperationException. */
export const DRY_RUN_OPERATIONS: ReadonlySet<string> = new Set([
  "Sign",
  "Verify",
  "GenerateMac",
  "VerifyMac",
  "Encrypt",
  "Decrypt",
  "GenerateDataKey",
]);
