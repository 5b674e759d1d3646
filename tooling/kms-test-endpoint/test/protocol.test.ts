import {
  CreateKeyCommand,
  DescribeKeyCommand,
  KMSInternalException,
  KMSServiceException,
  ListKeysCommand,
  NotFoundException,
} from "@aws-sdk/client-kms";
import { describe, expect, it } from "vitest";
import { startKmsTestEndpoint, type KmsFault } from "../src/index.js";
import { clientFor, rejection, useKms } from "./kms.js";

const ctx = useKms();

function post(target: string | undefined, body: string, contentType = "application/x-amz-json-1.1") {
  return fetch(ctx.kms.endpoint, {
    method: "POST",
    headers: { "Content-Type": contentType, ...(target === undefined ? {} : { "X-Amz-Target": target }) },
    body,
  });
}

describe("the AWS JSON 1.1 wire format", () => {
  it("answers success with the JSON content type, a request id, base64 blobs and epoch-second dates", async () => {
    const response = await post("TrentService.CreateKey", JSON.stringify({ KeySpec: "SYMMETRIC_DEFAULT" }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    expect(response.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    const { KeyMetadata } = (await response.json()) as {
      KeyMetadata: { CreationDate: unknown; KeyId: string };
    };
    expect(typeof KeyMetadata.CreationDate).toBe("number");
    const random = await post("TrentService.GenerateRandom", JSON.stringify({ NumberOfBytes: 3 }));
    const { Plaintext } = (await random.json()) as { Plaintext: string };
    expect(Buffer.from(Plaintext, "base64").length).toBe(3);
  });

  it("answers errors with 400, __type, message and the x-amzn-ErrorType header", async () => {
    const response = await post("TrentService.DescribeKey", JSON.stringify({ KeyId: "alias/missing" }));
    expect(response.status).toBe(400);
    expect(response.headers.get("x-amzn-errortype")).toBe("NotFoundException");
    expect(response.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toEqual({
      __type: "NotFoundException",
      message: "Alias arn:aws:kms:us-east-1:000000000000:alias/missing is not found.",
    });
  });

  it("refuses requests that are not KMS JSON 1.1 calls", async () => {
    const unknown = await post("TrentService.CreateGrant", "{}");
    expect(((await unknown.json()) as { __type: string }).__type).toBe("UnknownOperationException");
    const noTarget = await post(undefined, "{}");
    expect(((await noTarget.json()) as { __type: string }).__type).toBe("UnknownOperationException");
    const wrongType = await post("TrentService.ListKeys", "{}", "application/json");
    expect(((await wrongType.json()) as { __type: string }).__type).toBe("UnknownOperationException");
    const badJson = await post("TrentService.ListKeys", "{");
    expect(((await badJson.json()) as { __type: string }).__type).toBe("SerializationException");
    const wrongShape = await post("TrentService.DescribeKey", JSON.stringify({ KeyId: 7 }));
    expect(((await wrongShape.json()) as { __type: string }).__type).toBe("SerializationException");
    const get = await fetch(ctx.kms.endpoint);
    expect(get.status).toBe(404);
  });

  it("reports a missing required member as ValidationException", async () => {
    const response = await post("TrentService.DescribeKey", "{}");
    expect(await response.json()).toEqual({
      __type: "ValidationException",
      message:
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    });
  });

  it("reaches the SDK as its exception classes with name, $fault and $metadata.requestId", async () => {
    const error = await rejection(ctx.client.send(new DescribeKeyCommand({ KeyId: "alias/missing" })));
    expect(error).toBeInstanceOf(NotFoundException);
    expect(error).toBeInstanceOf(KMSServiceException);
    expect(error.name).toBe("NotFoundException");
    expect(error.$fault).toBe("client");
    expect(error.$metadata).toMatchObject({
      httpStatusCode: 400,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });
});

describe("test control", () => {
  it("counts calls per operation, and resets the counts", async () => {
    ctx.kms.resetCalls();
    await ctx.client.send(new ListKeysCommand({}));
    await ctx.client.send(new ListKeysCommand({}));
    await rejection(ctx.client.send(new DescribeKeyCommand({ KeyId: "alias/none" })));
    expect(ctx.kms.calls()).toEqual({ ListKeys: 2, DescribeKey: 1 });
    ctx.kms.resetCalls();
    expect(ctx.kms.calls()).toEqual({});
  });

  it("injects AWS-shaped client and server errors, once or several times", async () => {
    ctx.kms.failNext("ListKeys", { name: "ThrottlingException", message: "Rate exceeded" });
    const throttled = await rejection(ctx.client.send(new ListKeysCommand({})));
    expect(throttled.name).toBe("ThrottlingException");
    expect(throttled.message).toBe("Rate exceeded");
    expect(throttled.$fault).toBe("client");
    await expect(ctx.client.send(new ListKeysCommand({}))).resolves.toBeDefined();

    ctx.kms.failNext("ListKeys", { name: "KMSInternalException", times: 2 });
    for (let i = 0; i < 2; i++) {
      const internal = await rejection(ctx.client.send(new ListKeysCommand({})));
      expect(internal).toBeInstanceOf(KMSInternalException);
      expect(internal.$fault).toBe("server");
      expect(internal.$metadata!.httpStatusCode).toBe(500);
    }
    await expect(ctx.client.send(new ListKeysCommand({}))).resolves.toBeDefined();

    ctx.kms.failNext("ListKeys", { name: "AccessDeniedException", status: 403 });
    const denied = await rejection(ctx.client.send(new ListKeysCommand({})));
    expect(denied.name).toBe("AccessDeniedException");
    expect(denied.$metadata!.httpStatusCode).toBe(403);
  });

  it("lets the SDK's retries get through an injected transient failure", async () => {
    const retrying = clientFor(ctx.kms, 3);
    ctx.kms.resetCalls();
    ctx.kms.failNext("CreateKey", { name: "KMSInternalException", times: 2 });
    const { KeyMetadata, $metadata } = await retrying.send(new CreateKeyCommand({}));
    expect(KeyMetadata!.KeyState).toBe("Enabled");
    expect($metadata.attempts).toBe(3);
    expect(ctx.kms.calls()).toEqual({ CreateKey: 3 });
    retrying.destroy();
  });

  it("hangs a call until the client gives up", async () => {
    ctx.kms.resetCalls();
    ctx.kms.failNext("DescribeKey", { hang: true });
    const abort = new AbortController();
    const pending = rejection(
      ctx.client.send(new DescribeKeyCommand({ KeyId: "alias/any" }), { abortSignal: abort.signal }),
    );
    while (ctx.kms.calls().DescribeKey !== 1) await new Promise((resolve) => setTimeout(resolve, 5));
    abort.abort();
    expect((await pending).name).toBe("AbortError");
    // The hang was used up: the next call is answered.
    expect((await rejection(ctx.client.send(new DescribeKeyCommand({ KeyId: "alias/any" })))).name).toBe(
      "NotFoundException",
    );
  });

  it("close() ends hanging requests too", async () => {
    const kms = await startKmsTestEndpoint();
    const client = clientFor(kms);
    kms.failNext("ListKeys", { hang: true });
    const pending = rejection(client.send(new ListKeysCommand({})));
    while (kms.calls().ListKeys !== 1) await new Promise((resolve) => setTimeout(resolve, 5));
    await kms.close();
    expect((await pending).message).toMatch(/socket hang up|ECONNRESET/);
    client.destroy();
  });

  it("validates its options and faults with TypeError", async () => {
    await expect(startKmsTestEndpoint({ port: -1 })).rejects.toThrow(TypeError);
    await expect(startKmsTestEndpoint({ region: "Mars" })).rejects.toThrow(TypeError);
    await expect(startKmsTestEndpoint({ accountId: "123" })).rejects.toThrow(TypeError);
    for (const fault of [{}, { name: "" }, { name: "X", times: 0 }, { name: "X", status: 200 }]) {
      expect(() => ctx.kms.failNext("Sign", fault as KmsFault)).toThrow(TypeError);
    }
    expect(() => ctx.kms.failNext("TrentService.Sign", { name: "X" })).toThrow(TypeError);
  });

  it("puts its region and account into ARNs", async () => {
    const kms = await startKmsTestEndpoint({ region: "eu-central-1", accountId: "111122223333" });
    const client = clientFor(kms);
    const { KeyMetadata } = await client.send(new CreateKeyCommand({}));
    expect(KeyMetadata).toMatchObject({
      AWSAccountId: "111122223333",
      Arn: `arn:aws:kms:eu-central-1:111122223333:key/${KeyMetadata!.KeyId}`,
    });
    expect(kms.keys()).toEqual([
      { keyId: KeyMetadata!.KeyId, arn: KeyMetadata!.Arn, state: "Enabled", keySpec: "SYMMETRIC_DEFAULT" },
    ]);
    client.destroy();
    await kms.close();
  });
});
