import { createHash } from "node:crypto";
import {
  ExportPolicy,
  InvalidKeySpecError,
  KeyClass,
  LIMITS,
  displayValue,
  type KeySpec,
  type NormalizedKeySpec,
} from "@keyprovider/core";
import { ALGORITHMS, b64url, validateKeySpec } from "@keyprovider/base";
import type { Tag } from "@aws-sdk/client-kms";

/** The aliases of one kid as `ListAliases` showed them: primary target and version targets (key ids). */
export interface KidAliases {
  primary: string | undefined;
  readonly versions: Map<number, string>;
}

/** `alias/<prefix>/<kid>`: the primary version of a kid. */
export function primaryAlias(prefix: string, kid: string): string {
  return `alias/${prefix}/${kid}`;
}

/** `alias/<prefix>/<kid>/v<N>`: one version of a kid. */
export function versionAlias(prefix: string, kid: string, version: number): string {
  return `alias/${prefix}/${kid}/v${version}`;
}

const KID = "[A-Za-z0-9_-]{1,128}";
const ALIAS_REST = new RegExp(`^(${KID})(?:/v([1-9][0-9]{0,9}))?$`);

/**
 * Read one alias name under `alias/<prefix>/`: a kid's primary, or a version. Anything else in the
 * namespace (a longer path, a leading zero, a version beyond the limit) is not ours and is ignored.
 */
export function parseAlias(
  prefix: string,
  name: string,
): { readonly kid: string; readonly version: number | undefined } | undefined {
  const head = `alias/${prefix}/`;
  if (!name.startsWith(head)) return undefined;
  const match = ALIAS_REST.exec(name.slice(head.length));
  if (match === null) return undefined;
  if (match[2] === undefined) return { kid: match[1]!, version: undefined };
  const version = Number(match[2]);
  return version <= LIMITS.maxKeyVersion ? { kid: match[1]!, version } : undefined;
}

/** The highest version alias of a kid, or 0. */
export function highestVersion(aliases: KidAliases | undefined): number {
  let highest = 0;
  for (const version of aliases?.versions.keys() ?? []) highest = Math.max(highest, version);
  return highest;
}

/** KMS allows 50 tags per key. */
const MAX_TAGS = 50;
const DEFAULT_FORMATS = { encoding: "PEM", publicFormat: "SubjectPublicKeyInfo" } as const;

/** The tag keys the provider writes, under its prefix. */
export function tagKeys(prefix: string) {
  return {
    kid: `${prefix}kid`,
    version: `${prefix}version`,
    alg: `${prefix}alg`,
    size: `${prefix}size`,
    label: `${prefix}label`,
    uses: `${prefix}uses`,
    exportPolicy: `${prefix}export-policy`,
    formats: `${prefix}formats`,
    /** The highest version number ever issued for the kid, kept on its newest key when a newer one is destroyed. */
    issued: `${prefix}issued`,
  } as const;
}

function refuse(message: string): never {
  throw new InvalidKeySpecError("tags", `KeySpec.tags: ${message}`);
}

/**
 * The tags of a new key: kid, version, alg, RSA size, label, and (where not the default) uses,
 * export policy and encodings, so the spec can be read back from KMS; then the caller's tags as
 * they are. Refused before any KMS call: caller tags under our prefix or `aws:`, and more than the
 * 50 tags KMS allows.
 */
export function tagsForSpec(prefix: string, spec: NormalizedKeySpec, kid: string, version: number): Tag[] {
  const keys = tagKeys(prefix);
  const info = ALGORITHMS[spec.alg];
  const tags: Tag[] = [
    { TagKey: keys.kid, TagValue: kid },
    { TagKey: keys.version, TagValue: String(version) },
    { TagKey: keys.alg, TagValue: spec.alg },
  ];
  if (spec.sizeBits !== undefined && info.sizes.length > 1) {
    tags.push({ TagKey: keys.size, TagValue: String(spec.sizeBits) });
  }
  if (spec.label !== undefined) tags.push({ TagKey: keys.label, TagValue: spec.label });
  const defaultUses = info.defaultUses;
  if (spec.uses.length !== defaultUses.length || spec.uses.some((use, i) => use !== defaultUses[i])) {
    tags.push({ TagKey: keys.uses, TagValue: spec.uses.join(",") });
  }
  if (spec.exportPolicy !== ExportPolicy.NONE)
    tags.push({ TagKey: keys.exportPolicy, TagValue: spec.exportPolicy });
  const defaultPrivate = spec.klass === KeyClass.asymmetric ? "PKCS8" : "Raw";
  if (
    spec.encoding !== DEFAULT_FORMATS.encoding ||
    spec.publicFormat !== DEFAULT_FORMATS.publicFormat ||
    spec.privateFormat !== defaultPrivate
  ) {
    tags.push({
      TagKey: keys.formats,
      TagValue: `${spec.encoding},${spec.publicFormat},${spec.privateFormat}`,
    });
  }
  for (const [key, value] of Object.entries(spec.tags)) {
    if (key === "label" && spec.label !== undefined) continue; // written as the label tag
    if (key.startsWith(prefix) || key.toLowerCase().startsWith("aws:")) {
      refuse(
        `${displayValue(key)} is reserved: keys starting with ${JSON.stringify(prefix)} or "aws:" are not allowed`,
      );
    }
    tags.push({ TagKey: key, TagValue: value });
  }
  if (tags.length > MAX_TAGS) {
    refuse(
      `a KMS key holds at most ${MAX_TAGS} tags and ${tags.length - Object.keys(spec.tags).length} are the provider's; got ${Object.keys(spec.tags).length}`,
    );
  }
  return tags;
}

/** A tag list as a record. */
export function tagRecord(tags: readonly Tag[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (const { TagKey, TagValue } of tags) if (TagKey !== undefined) record[TagKey] = TagValue ?? "";
  return record;
}

/**
 * The identity and spec a key's tags claim: kid, version and the validated spec, or `undefined`
 * when the tags are not a keyprovider key's (missing, malformed, an unknown algorithm).
 */
export function specFromTags(
  prefix: string,
  tags: Readonly<Record<string, string>>,
): { readonly kid: string; readonly version: number; readonly spec: NormalizedKeySpec } | undefined {
  const keys = tagKeys(prefix);
  const kid = tags[keys.kid];
  const versionText = tags[keys.version];
  const alg = tags[keys.alg];
  if (kid === undefined || versionText === undefined || alg === undefined) return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(versionText) || Number(versionText) > LIMITS.maxKeyVersion) return undefined;
  if (!Object.hasOwn(ALGORITHMS, alg)) return undefined;
  const userTags: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags)) if (!key.startsWith(prefix)) userTags[key] = value;
  const input: Record<string, unknown> = { alg, tags: userTags };
  const size = tags[keys.size];
  if (size !== undefined) input["sizeBits"] = Number(size);
  if (tags[keys.label] !== undefined) input["label"] = tags[keys.label];
  if (tags[keys.uses] !== undefined) input["uses"] = tags[keys.uses]!.split(",").filter(Boolean);
  if (tags[keys.exportPolicy] !== undefined) input["exportPolicy"] = tags[keys.exportPolicy];
  const formats = tags[keys.formats]?.split(",");
  if (formats !== undefined) {
    [input["encoding"], input["publicFormat"], input["privateFormat"]] = formats;
  }
  try {
    return { kid, version: Number(versionText), spec: validateKeySpec(input as unknown as KeySpec) };
  } catch {
    return undefined;
  }
}

/**
 * The `EncryptionContext` of a ciphertext: kid, version, how it was made, and a SHA-256 of the
 * caller's aad — never the aad itself, because CloudTrail logs the context.
 */
export function encryptionContext(
  kid: string,
  version: number,
  mode: "direct" | "data-key",
  aad: Uint8Array | undefined,
): Record<string, string> {
  return {
    "keyprovider:kid": kid,
    "keyprovider:version": String(version),
    "keyprovider:mode": mode,
    "keyprovider:aad-sha256": b64url(
      createHash("sha256")
        .update(aad ?? new Uint8Array(0))
        .digest(),
    ),
  };
}
