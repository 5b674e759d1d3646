import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateMacCommand,
  GenerateRandomCommand,
  GetPublicKeyCommand,
  KMSClient,
  ListAliasesCommand,
  ListResourceTagsCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  UpdateAliasCommand,
  VerifyMacCommand,
  type AliasListEntry,
  type CreateKeyCommandInput,
  type DecryptCommandInput,
  type EncryptCommandInput,
  type GenerateDataKeyCommandInput,
  type GenerateMacCommandInput,
  type KeyMetadata,
  type SignCommandInput,
  type Tag,
  type VerifyMacCommandInput,
} from "@aws-sdk/client-kms";
import { mapKmsError, type KmsCallContext } from "./kms-errors.js";

/**
 * What the provider needs of a KMS client: the `send` of `@aws-sdk/client-kms`'s `KMSClient`, typed
 * structurally so an application's own SDK version (or a test double) fits. The provider passes
 * the SDK's command objects and `{ abortSignal }`.
 *
 * @example
 * ```ts
 * import { KMSClient } from "@aws-sdk/client-kms";
 * const client: KmsClient = new KMSClient({ region: "eu-west-1" });
 * ```
 */
export interface KmsClient {
  send(command: object, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/**
 * AWS credentials, or a function that resolves them (any credential provider of the SDK), for the
 * client the provider builds.
 *
 * @example
 * ```ts
 * const credentials: KmsCredentials = { accessKeyId: "AKIA…", secretAccessKey: process.env.SECRET! };
 * ```
 */
export type KmsCredentials =
  | {
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly sessionToken?: string;
      readonly expiration?: Date;
    }
  | (() => Promise<{
      readonly accessKeyId: string;
      readonly secretAccessKey: string;
      readonly sessionToken?: string;
      readonly expiration?: Date;
    }>);

/** Where a client comes from. */
export interface KmsClientSource {
  readonly client: KmsClient | undefined;
  readonly region: string;
  readonly endpoint: string | undefined;
  readonly credentials: KmsCredentials | undefined;
}

/** One page of `ListAliases`. */
export interface AliasPage {
  readonly aliases: readonly AliasListEntry[];
  readonly nextMarker: string | undefined;
}

/**
 * The KMS operations the provider uses, each one request: the caller's signal goes to
 * `send(command, { abortSignal })`, and failures come back as keyprovider's typed errors (an abort
 * as the signal's reason).
 */
export class KmsApi {
  readonly #client: KmsClient;

  constructor(source: KmsClientSource) {
    this.#client =
      source.client ??
      new KMSClient({
        region: source.region,
        ...(source.endpoint === undefined ? {} : { endpoint: source.endpoint }),
        ...(source.credentials === undefined ? {} : { credentials: source.credentials }),
      });
  }

  async #send<O>(
    operation: string,
    command: object,
    context: KmsCallContext,
    signal: AbortSignal | undefined,
  ): Promise<O> {
    signal?.throwIfAborted();
    try {
      return (await this.#client.send(
        command,
        signal === undefined ? undefined : { abortSignal: signal },
      )) as O;
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      throw mapKmsError(operation, error, context);
    }
  }

  /** Send, and return one member of the output that KMS always sets on success. */
  async #member<T>(
    operation: string,
    command: object,
    member: string,
    context: KmsCallContext,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    const output = await this.#send<Record<string, unknown>>(operation, command, context, signal);
    const value = output[member];
    if (value === undefined)
      throw mapKmsError(operation, new Error(`the response has no ${member}`), context);
    return value as T;
  }

  async createKey(input: CreateKeyCommandInput, context: KmsCallContext): Promise<KeyMetadata> {
    // Never aborted in flight: KMS may make the key even if the client stops waiting, and a key
    // whose id never came back could not be rolled back.
    const metadata = await this.#member<KeyMetadata>(
      "CreateKey",
      new CreateKeyCommand(input),
      "KeyMetadata",
      context,
      undefined,
    );
    if (metadata.KeyId === undefined) throw mapKmsError("CreateKey", new Error("the response has no KeyId"));
    return metadata;
  }

  describeKey(keyId: string, context: KmsCallContext, signal?: AbortSignal): Promise<KeyMetadata> {
    return this.#member(
      "DescribeKey",
      new DescribeKeyCommand({ KeyId: keyId }),
      "KeyMetadata",
      context,
      signal,
    );
  }

  async listResourceTags(keyId: string, context: KmsCallContext, signal?: AbortSignal): Promise<Tag[]> {
    const tags: Tag[] = [];
    let marker: string | undefined;
    do {
      const output = await this.#send<{ Tags?: Tag[]; NextMarker?: string; Truncated?: boolean }>(
        "ListResourceTags",
        new ListResourceTagsCommand({
          KeyId: keyId,
          Limit: 50,
          ...(marker === undefined ? {} : { Marker: marker }),
        }),
        context,
        signal,
      );
      tags.push(...(output.Tags ?? []));
      marker = output.Truncated === true ? output.NextMarker : undefined;
    } while (marker !== undefined);
    return tags;
  }

  async tagResource(
    keyId: string,
    tags: Tag[],
    context: KmsCallContext,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#send("TagResource", new TagResourceCommand({ KeyId: keyId, Tags: tags }), context, signal);
  }

  getPublicKey(keyId: string, context: KmsCallContext, signal?: AbortSignal): Promise<Uint8Array> {
    return this.#member(
      "GetPublicKey",
      new GetPublicKeyCommand({ KeyId: keyId }),
      "PublicKey",
      context,
      signal,
    );
  }

  async listAliases(
    marker: string | undefined,
    signal: AbortSignal | undefined,
    keyId?: string,
  ): Promise<AliasPage> {
    const output = await this.#send<{ Aliases?: AliasListEntry[]; NextMarker?: string; Truncated?: boolean }>(
      "ListAliases",
      new ListAliasesCommand({
        Limit: 100,
        ...(marker === undefined ? {} : { Marker: marker }),
        ...(keyId === undefined ? {} : { KeyId: keyId }),
      }),
      {},
      signal,
    );
    return {
      aliases: output.Aliases ?? [],
      nextMarker: output.Truncated === true ? output.NextMarker : undefined,
    };
  }

  /**
   * Point an alias at a key: `"create"` a new alias (fails with `KeyExistsError` when the name is
   * taken, which is how version numbers are claimed) or `"update"` an existing one.
   */
  async pointAlias(
    how: "create" | "update",
    name: string,
    keyId: string,
    context: KmsCallContext,
    signal?: AbortSignal,
  ): Promise<void> {
    const input = { AliasName: name, TargetKeyId: keyId };
    const command = how === "create" ? new CreateAliasCommand(input) : new UpdateAliasCommand(input);
    await this.#send(how === "create" ? "CreateAlias" : "UpdateAlias", command, context, signal);
  }

  async deleteAlias(name: string, context: KmsCallContext, signal?: AbortSignal): Promise<void> {
    await this.#send("DeleteAlias", new DeleteAliasCommand({ AliasName: name }), context, signal);
  }

  async scheduleKeyDeletion(
    keyId: string,
    days: number,
    context: KmsCallContext,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#send(
      "ScheduleKeyDeletion",
      new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: days }),
      context,
      signal,
    );
  }

  sign(input: SignCommandInput, context: KmsCallContext, signal?: AbortSignal): Promise<Uint8Array> {
    return this.#member("Sign", new SignCommand(input), "Signature", context, signal);
  }

  generateMac(
    input: GenerateMacCommandInput,
    context: KmsCallContext,
    signal?: AbortSignal,
  ): Promise<Uint8Array> {
    return this.#member("GenerateMac", new GenerateMacCommand(input), "Mac", context, signal);
  }

  /** `true` for a valid MAC; `false` when KMS says `KMSInvalidMacException`. */
  async verifyMac(
    input: VerifyMacCommandInput,
    context: KmsCallContext,
    signal?: AbortSignal,
  ): Promise<boolean> {
    try {
      return (
        (await this.#member("VerifyMac", new VerifyMacCommand(input), "MacValid", context, signal)) === true
      );
    } catch (error) {
      if ((error as { cause?: { errorName?: unknown } }).cause?.errorName === "KMSInvalidMacException")
        return false;
      throw error;
    }
  }

  encrypt(input: EncryptCommandInput, context: KmsCallContext, signal?: AbortSignal): Promise<Uint8Array> {
    return this.#member("Encrypt", new EncryptCommand(input), "CiphertextBlob", context, signal);
  }

  decrypt(input: DecryptCommandInput, context: KmsCallContext, signal?: AbortSignal): Promise<Uint8Array> {
    return this.#member("Decrypt", new DecryptCommand(input), "Plaintext", context, signal);
  }

  async generateDataKey(
    input: GenerateDataKeyCommandInput,
    context: KmsCallContext,
    signal?: AbortSignal,
  ): Promise<{ readonly plaintext: Uint8Array; readonly ciphertextBlob: Uint8Array }> {
    const command = new GenerateDataKeyCommand(input);
    const output = await this.#send<{ Plaintext?: Uint8Array; CiphertextBlob?: Uint8Array }>(
      "GenerateDataKey",
      command,
      context,
      signal,
    );
    if (output.Plaintext === undefined || output.CiphertextBlob === undefined) {
      throw mapKmsError("GenerateDataKey", new Error("the response has no data key"), context);
    }
    return { plaintext: output.Plaintext, ciphertextBlob: output.CiphertextBlob };
  }

  async generateRandom(numberOfBytes: number, signal?: AbortSignal): Promise<Uint8Array> {
    const command = new GenerateRandomCommand({ NumberOfBytes: numberOfBytes });
    const random = await this.#member<Uint8Array>("GenerateRandom", command, "Plaintext", {}, signal);
    if (random.byteLength !== numberOfBytes) {
      throw mapKmsError(
        "GenerateRandom",
        new Error(`expected ${numberOfBytes} bytes, got ${random.byteLength}`),
      );
    }
    return random;
  }
}
