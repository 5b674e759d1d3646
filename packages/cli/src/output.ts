import {
  InvalidKeyMaterialError,
  PRIVATE_JWK_MEMBERS,
  jwsAlgorithm,
  versionedKid,
  type Jwk,
  type KeyRef,
} from "@keyprovider/core";

/**
 * One version of a key as the command prints it: an allow-list of public fields, so that no secret
 * a `KeyRef` may carry (`material`) can reach the output, whatever the ref's own JSON does.
 */
export interface KeyVersionJson {
  readonly kid: string;
  readonly version: number;
  /** `"<kid>.<version>"`, the `kid` of its JWK and of JWTs it signs. */
  readonly jwkKid: string;
  readonly status: string;
  readonly alg: string;
  /** The JOSE name of `alg`: `ES256`, `EdDSA`, `RS256`, … */
  readonly jose: string;
  readonly type: string;
  readonly uses: readonly string[];
  readonly exportPolicy: string;
  readonly fingerprint: string;
  readonly label?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly uri?: string;
}

export function keyVersionJson(ref: KeyRef): KeyVersionJson {
  const tags = { ...ref.tags };
  const label = tags["label"];
  return {
    kid: ref.kid,
    version: ref.version,
    jwkKid: versionedKid(ref.kid, ref.version),
    status: ref.status,
    alg: ref.alg,
    jose: jwsAlgorithm(ref.alg),
    type: ref.type,
    uses: [...ref.uses],
    exportPolicy: ref.exportPolicy,
    fingerprint: ref.fingerprint,
    ...(label === undefined ? {} : { label }),
    tags,
    ...(ref.uri === undefined ? {} : { uri: ref.uri }),
  };
}

/** Name/value lines, names padded to one column. */
export function fieldLines(fields: readonly (readonly [string, string | undefined])[]): string {
  const shown = fields.filter((field): field is readonly [string, string] => field[1] !== undefined);
  const width = Math.max(0, ...shown.map(([name]) => name.length));
  return shown.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join("\n");
}

/** The human form of one key version. */
export function keyVersionText(key: KeyVersionJson): string {
  const tags = Object.entries(key.tags).filter(([name]) => name !== "label");
  return fieldLines([
    ["kid", key.kid],
    ["version", `${key.version} (${key.status})`],
    ["jwk kid", key.jwkKid],
    ["alg", `${key.alg} (${key.jose})`],
    ["type", key.type],
    ["uses", key.uses.join(", ")],
    ["export policy", key.exportPolicy],
    ["fingerprint", key.fingerprint],
    ["label", key.label],
    ["tags", tags.length === 0 ? undefined : tags.map(([name, value]) => `${name}=${value}`).join(", ")],
    ["uri", key.uri],
  ]);
}

/** A table with a header row, columns aligned with two spaces, no trailing blanks. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  return [headers, ...rows]
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** "1, 2, 3" → "1-3"; "1, 3, 4, 5" → "1, 3-5". */
export function versionRanges(versions: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < versions.length;) {
    let j = i;
    while (j + 1 < versions.length && versions[j + 1] === versions[j]! + 1) j += 1;
    parts.push(j === i ? `${versions[i]}` : `${versions[i]}-${versions[j]}`);
    i = j + 1;
  }
  return parts.join(", ");
}

/**
 * A public JWK, or the keys of a JWK Set, as a provider returned them: checked before printing, so
 * that a provider which put private members in a public key (a bug, or a third-party provider's)
 * does not get them printed or written to a file that a web server serves.
 */
export function assertPublicJwks(keys: readonly Jwk[], provider: string): void {
  const members = new Set(
    keys.flatMap((key) => PRIVATE_JWK_MEMBERS.filter((member) => Object.hasOwn(key, member))),
  );
  if (members.size > 0) {
    throw new InvalidKeyMaterialError(
      `Provider ${provider} returned private key members (${[...members].join(", ")}) where a public key was asked for; keyprovider does not print or write them`,
    );
  }
}
