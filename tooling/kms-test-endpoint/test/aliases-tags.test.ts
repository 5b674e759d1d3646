import {
  AlreadyExistsException,
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  ListAliasesCommand,
  ListResourceTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  type AliasListEntry,
} from "@aws-sdk/client-kms";
import { beforeAll, describe, expect, it } from "vitest";
import { rejection, useKms } from "./kms.js";

const ctx = useKms();

async function newKey(input: ConstructorParameters<typeof CreateKeyCommand>[0] = {}): Promise<string> {
  const { KeyMetadata } = await ctx.client.send(new CreateKeyCommand(input));
  return KeyMetadata!.KeyId!;
}

describe("aliases", () => {
  let first: string;
  let second: string;
  beforeAll(async () => {
    [first, second] = await Promise.all([newKey(), newKey()]);
  });

  it("CreateAlias names a key; a taken name is AlreadyExistsException", async () => {
    await ctx.client.send(new CreateAliasCommand({ AliasName: "alias/app/main", TargetKeyId: first }));
    const { KeyMetadata } = await ctx.client.send(new DescribeKeyCommand({ KeyId: "alias/app/main" }));
    expect(KeyMetadata!.KeyId).toBe(first);
    const taken = await rejection(
      ctx.client.send(new CreateAliasCommand({ AliasName: "alias/app/main", TargetKeyId: second })),
    );
    expect(taken).toBeInstanceOf(AlreadyExistsException);
    expect(taken.$fault).toBe("client");
  });

  it("checks alias names as KMS does", async () => {
    const create = (AliasName: string, TargetKeyId = first) =>
      rejection(ctx.client.send(new CreateAliasCommand({ AliasName, TargetKeyId })));
    expect((await create("app-key")).name).toBe("InvalidAliasNameException");
    expect((await create("alias/aws/reserved")).name).toBe("InvalidAliasNameException");
    expect((await create("alias/with space")).name).toBe("ValidationException");
    expect((await create(`alias/${"x".repeat(251)}`)).name).toBe("ValidationException");
    expect((await create("alias/to-an-alias", "alias/app/main")).name).toBe("NotFoundException");
    expect((await create("alias/to-nothing", "00000000-0000-4000-8000-000000000000")).name).toBe(
      "NotFoundException",
    );
  });

  it("UpdateAlias moves an alias between keys of the same type and usage only", async () => {
    await ctx.client.send(new CreateAliasCommand({ AliasName: "alias/moving", TargetKeyId: first }));
    await ctx.client.send(new UpdateAliasCommand({ AliasName: "alias/moving", TargetKeyId: second }));
    const { KeyMetadata } = await ctx.client.send(new DescribeKeyCommand({ KeyId: "alias/moving" }));
    expect(KeyMetadata!.KeyId).toBe(second);
    const hmac = await newKey({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" });
    const error = await rejection(
      ctx.client.send(new UpdateAliasCommand({ AliasName: "alias/moving", TargetKeyId: hmac })),
    );
    expect(error.name).toBe("ValidationException");
    const missing = await rejection(
      ctx.client.send(new UpdateAliasCommand({ AliasName: "alias/absent", TargetKeyId: first })),
    );
    expect(missing.name).toBe("NotFoundException");
  });

  it("DeleteAlias removes an alias, and answers NotFoundException for an unknown one", async () => {
    await ctx.client.send(new CreateAliasCommand({ AliasName: "alias/short-lived", TargetKeyId: first }));
    await ctx.client.send(new DeleteAliasCommand({ AliasName: "alias/short-lived" }));
    expect(
      (await rejection(ctx.client.send(new DescribeKeyCommand({ KeyId: "alias/short-lived" })))).name,
    ).toBe("NotFoundException");
    expect(
      (await rejection(ctx.client.send(new DeleteAliasCommand({ AliasName: "alias/short-lived" })))).name,
    ).toBe("NotFoundException");
  });

  it("ListAliases pages with Limit and NextMarker, and filters by KeyId", async () => {
    const paged = await newKey();
    const names = ["alias/page/a", "alias/page/b", "alias/page/c", "alias/page/d", "alias/page/e"];
    for (const AliasName of names)
      await ctx.client.send(new CreateAliasCommand({ AliasName, TargetKeyId: paged }));

    const seen: AliasListEntry[] = [];
    let Marker: string | undefined;
    const truncated: boolean[] = [];
    do {
      const answer = await ctx.client.send(
        new ListAliasesCommand({ KeyId: paged, Limit: 2, ...(Marker === undefined ? {} : { Marker }) }),
      );
      seen.push(...answer.Aliases!);
      truncated.push(answer.Truncated!);
      Marker = answer.NextMarker;
    } while (Marker !== undefined);
    expect(truncated).toEqual([true, true, false]);
    expect(seen.map((alias) => alias.AliasName)).toEqual(names);
    expect(seen[0]).toEqual({
      AliasName: "alias/page/a",
      AliasArn: "arn:aws:kms:us-east-1:000000000000:alias/page/a",
      TargetKeyId: paged,
      CreationDate: expect.any(Date),
      LastUpdatedDate: expect.any(Date),
    });

    const all = await ctx.client.send(new ListAliasesCommand({}));
    expect(all.Aliases!.map((alias) => alias.AliasName)).toEqual(
      expect.arrayContaining([...names, "alias/app/main"]),
    );
    const byArn = await ctx.client.send(
      new ListAliasesCommand({ KeyId: `arn:aws:kms:us-east-1:000000000000:key/${paged}` }),
    );
    expect(byArn.Aliases!.length).toBe(5);
    for (const Limit of [0, 101]) {
      expect((await rejection(ctx.client.send(new ListAliasesCommand({ Limit })))).name).toBe(
        "ValidationException",
      );
    }
    expect((await rejection(ctx.client.send(new ListAliasesCommand({ Marker: "nope" })))).name).toBe(
      "InvalidMarkerException",
    );
  });

  it("defaults ListAliases to 50 per page", async () => {
    const many = await newKey();
    for (let i = 0; i < 51; i++) {
      await ctx.client.send(
        new CreateAliasCommand({ AliasName: `alias/many/${String(i).padStart(2, "0")}`, TargetKeyId: many }),
      );
    }
    const page = await ctx.client.send(new ListAliasesCommand({ KeyId: many }));
    expect(page.Aliases!.length).toBe(50);
    expect(page.Truncated).toBe(true);
  });
});

describe("tags", () => {
  it("CreateKey, TagResource, UntagResource and ListResourceTags", async () => {
    const keyId = await newKey({ Tags: [{ TagKey: "team", TagValue: "platform" }] });
    await ctx.client.send(
      new TagResourceCommand({
        KeyId: keyId,
        Tags: [
          { TagKey: "env", TagValue: "test" },
          { TagKey: "team", TagValue: "security" },
          { TagKey: "empty", TagValue: "" },
        ],
      }),
    );
    const listed = await ctx.client.send(new ListResourceTagsCommand({ KeyId: keyId }));
    expect(listed.Truncated).toBe(false);
    expect(listed.Tags).toEqual(
      expect.arrayContaining([
        { TagKey: "team", TagValue: "security" },
        { TagKey: "env", TagValue: "test" },
        { TagKey: "empty", TagValue: "" },
      ]),
    );
    expect(listed.Tags!.length).toBe(3);
    await ctx.client.send(new UntagResourceCommand({ KeyId: keyId, TagKeys: ["env", "not-there"] }));
    const after = await ctx.client.send(new ListResourceTagsCommand({ KeyId: keyId, Limit: 1 }));
    expect(after.Tags!.length).toBe(1);
    expect(after.Truncated).toBe(true);
    const rest = await ctx.client.send(
      new ListResourceTagsCommand({ KeyId: keyId, Marker: after.NextMarker! }),
    );
    expect([...after.Tags!, ...rest.Tags!].map((tag) => tag.TagKey).sort()).toEqual(["empty", "team"]);
    expect(rest.Truncated).toBe(false);
  });

  it("refuses reserved tag keys (TagException), aliases as KeyId, and more than 50 tags", async () => {
    const keyId = await newKey();
    const reserved = await rejection(
      ctx.client.send(
        new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: "aws:owner", TagValue: "x" }] }),
      ),
    );
    expect(reserved.name).toBe("TagException");
    const noTags = await rejection(ctx.client.send(new TagResourceCommand({ KeyId: keyId } as never)));
    expect(noTags.name).toBe("ValidationException");
    await ctx.client.send(new CreateAliasCommand({ AliasName: "alias/tagged", TargetKeyId: keyId }));
    const viaAlias = await rejection(
      ctx.client.send(
        new TagResourceCommand({ KeyId: "alias/tagged", Tags: [{ TagKey: "a", TagValue: "b" }] }),
      ),
    );
    expect(viaAlias.name).toBe("NotFoundException");
    const tooMany = Array.from({ length: 51 }, (_, i) => ({ TagKey: `k${i}`, TagValue: "v" }));
    expect(
      (await rejection(ctx.client.send(new TagResourceCommand({ KeyId: keyId, Tags: tooMany })))).name,
    ).toBe("LimitExceededException");
  });
});
