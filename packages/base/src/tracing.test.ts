import { tracingChannel } from "node:diagnostics_channel";
import { KeyNotFoundError } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { traced, type OperationTrace } from "./index.js";

describe("traced", () => {
  it("publishes start, end, asyncStart and asyncEnd with duration and no result", async () => {
    const events: [string, OperationTrace][] = [];
    const channel = tracingChannel<object, OperationTrace>("keyprovider:testOperation");
    const handlers = {
      start: (t: OperationTrace) => events.push(["start", { ...t }]),
      end: (t: OperationTrace) => events.push(["end", { ...t }]),
      asyncStart: (t: OperationTrace) => events.push(["asyncStart", { ...t }]),
      asyncEnd: (t: OperationTrace) => events.push(["asyncEnd", { ...t }]),
      error: (t: OperationTrace) => events.push(["error", { ...t }]),
    };
    channel.subscribe(handlers);
    try {
      const secret = new Uint8Array([1, 2, 3]);
      const result = await traced("TestProvider", "testOperation", "k1", undefined, async (trace) => {
        trace.version = 4;
        return secret;
      });
      expect(result).toBe(secret);
      expect(events.map(([name]) => name)).toEqual(["start", "end", "asyncStart", "asyncEnd"]);
      const done = events.at(-1)![1];
      expect(done).toMatchObject({
        provider: "TestProvider",
        operation: "testOperation",
        kid: "k1",
        version: 4,
      });
      expect(done.durationMs).toBeGreaterThanOrEqual(0);
      expect(Object.values(done)).not.toContain(secret);

      events.length = 0;
      await expect(
        traced("TestProvider", "testOperation", "k2", 1, async () => {
          throw new KeyNotFoundError("k2", 1);
        }),
      ).rejects.toThrow(KeyNotFoundError);
      expect(events.map(([name]) => name)).toEqual(["start", "end", "error", "asyncStart", "asyncEnd"]);
      expect(events.at(-1)![1].errorCode).toBe("ERR_KEY_NOT_FOUND");
    } finally {
      channel.unsubscribe(handlers);
    }
  });

  it("costs nothing but a check without subscribers", async () => {
    expect(
      await traced("P", "unobserved", undefined, undefined, async (trace) => trace.durationMs),
    ).toBeUndefined();
  });
});
