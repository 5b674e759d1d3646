import type { KeyMaterial } from "./key-material.js";
import type { KeySpec, KeyUsage } from "./key-specs.js";
import { KmsError } from "./kms-error.js";

/** The key states this endpoint models (KMS also has Creating, PendingImport, Unavailable, …). */
export type KeyState = "Enabled" | "Disabled" | "PendingDeletion";

/** One KMS key held by the endpoint. */
export interface KmsKey {
  readonly keyId: string;
  readonly arn: string;
  readonly spec: KeySpec;
  readonly usage: KeyUsage;
  readonly creationDate: Date;
  readonly material: KeyMaterial;
  readonly description: string;
  readonly policy: string | undefined;
  readonly tags: Map<string, string>;
  state: KeyState;
  deletionDate: Date | undefined;
}

/** One alias: a name that points at a key. */
export interface KmsAlias {
  readonly name: string;
  targetKeyId: string;
  readonly creationDate: Date;
  lastUpdatedDate: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ARN = /^arn:([^:]+):kms:([^:]*):([^:]*):(key|alias)\/(.+)$/;

/** The ARN partition of a region, as AWS names them. */
function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** The keys and aliases of one account in one region, with the lookups and state rules KMS applies. */
export class KeyStore {
  readonly region: string;
  readonly accountId: string;
  readonly #keys = new Map<string, KmsKey>();
  readonly #aliases = new Map<string, KmsAlias>();

  constructor(region: string, accountId: string) {
    this.region = region;
    this.accountId = accountId;
  }

  /** The ARN of a resource (`key/<id>` or `alias/<name>`) in this account and region. */
  arn(resource: string): string {
    return `arn:${partitionOf(this.region)}:kms:${this.region}:${this.accountId}:${resource}`;
  }

  add(key: KmsKey): void {
    this.#keys.set(key.keyId, key);
  }

  /** Every key, oldest first. */
  keys(): KmsKey[] {
    return [...this.#keys.values()];
  }

  /** Every alias, sorted by name. */
  aliases(): KmsAlias[] {
    return [...this.#aliases.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  alias(name: string): KmsAlias | undefined {
    return this.#aliases.get(name);
  }

  setAlias(alias: KmsAlias): void {
    this.#aliases.set(alias.name, alias);
  }

  deleteAlias(name: string): boolean {
    return this.#aliases.delete(name);
  }

  /**
   * The key a `KeyId` parameter names: a key id or key ARN, and where the operation accepts them
   * (`aliases: true`), an alias name or alias ARN. Anything else is NotFoundException.
   */
  resolve(identifier: string, { aliases }: { aliases: boolean }): KmsKey {
    let keyId = identifier;
    let aliasName: string | undefined = identifier.startsWith("alias/") ? identifier : undefined;
    if (identifier.startsWith("arn:")) {
      const match = ARN.exec(identifier);
      if (match === null) throw new KmsError("NotFoundException", `Invalid arn ${identifier}`);
      const [, partition, region, account, type, resource] = match as unknown as [string, ...string[]];
      if (partition !== partitionOf(this.region) || region !== this.region || account !== this.accountId) {
        throw new KmsError(
          "NotFoundException",
          `${type === "alias" ? "Alias" : "Key"} '${identifier}' does not exist`,
        );
      }
      if (type === "alias") aliasName = `alias/${resource}`;
      else keyId = resource ?? "";
    }
    if (aliasName !== undefined) {
      if (!aliases) throw new KmsError("NotFoundException", `Invalid keyId ${identifier}`);
      const alias = this.#aliases.get(aliasName);
      const key = alias === undefined ? undefined : this.#keys.get(alias.targetKeyId);
      if (key === undefined)
        throw new KmsError("NotFoundException", `Alias ${this.arn(aliasName)} is not found.`);
      return key;
    }
    if (!UUID.test(keyId)) throw new KmsError("NotFoundException", `Invalid keyId ${identifier}`);
    const key = this.#keys.get(keyId);
    if (key === undefined)
      throw new KmsError("NotFoundException", `Key '${this.arn(`key/${keyId}`)}' does not exist`);
    return key;
  }

  /** The key by id, for a ciphertext that names it. */
  byId(keyId: string): KmsKey | undefined {
    return this.#keys.get(keyId);
  }
}

/** Refuse a key that is pending deletion (every operation but the read-only ones and CancelKeyDeletion). */
export function requireNotPendingDeletion(key: KmsKey): void {
  if (key.state === "PendingDeletion") {
    throw new KmsError("KMSInvalidStateException", `${key.arn} is pending deletion.`);
  }
}

/** Refuse a key a cryptographic operation cannot use: disabled, or pending deletion. */
export function requireEnabled(key: KmsKey): void {
  requireNotPendingDeletion(key);
  if (key.state === "Disabled") throw new KmsError("DisabledException", `${key.arn} is disabled.`);
}

/** Refuse a key whose KeyUsage is not the one an operation needs. */
export function requireUsage(key: KmsKey, usage: KeyUsage, operation: string): void {
  if (key.usage !== usage) {
    throw new KmsError(
      "InvalidKeyUsageException",
      `${key.arn} key usage is ${key.usage} which is not valid for ${operation}.`,
    );
  }
}

/** Refuse an algorithm the key's spec does not offer, in the words KMS uses. */
export function requireAlgorithm(
  key: KmsKey,
  algorithm: string,
  offered: readonly string[] | undefined,
): void {
  if (offered === undefined || !offered.includes(algorithm)) {
    throw new KmsError(
      "InvalidKeyUsageException",
      `Algorithm ${algorithm} is incompatible with key spec ${key.spec}.`,
    );
  }
}
