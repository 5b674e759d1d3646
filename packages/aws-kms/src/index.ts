import { defineProvider } from "@keyprovider/core";
import { AwsKmsKeyProvider } from "./aws-kms-key-provider.js";
import type { AwsKmsKeyProviderOptions } from "./lib/options.js";

export { AwsKmsKeyProvider } from "./aws-kms-key-provider.js";
export type { AwsKmsKeyProviderOptions } from "./lib/options.js";
export type { KmsClient, KmsCredentials } from "./lib/kms-client.js";
export { KmsRequestError } from "./lib/kms-errors.js";

/**
 * The registry definition of {@link AwsKmsKeyProvider}: name `AwsKmsKeyProvider`, alias `aws-kms`.
 *
 * @example
 * ```ts
 * import { createRegistry } from "@keyprovider/core";
 * import awsKms from "@keyprovider/aws-kms";
 *
 * const provider = await createRegistry({ providers: [awsKms] }).create("aws-kms", { region: "eu-west-1" });
 * ```
 */
const awsKms = defineProvider({
  name: "AwsKmsKeyProvider",
  aliases: ["aws-kms"],
  apiVersion: 1,
  create: (options: AwsKmsKeyProviderOptions) => new AwsKmsKeyProvider(options),
});
export default awsKms;
