import { tracingChannel } from "node:diagnostics_channel";
import { ExportPolicy, type KeyProvider } from "@keyprovider/core";
import { describe, expect, it } from "vitest";
import { KEY_PROVIDER_METHODS } from "../fault-injector.js";
import { findSecretLeaks } from "../secret-leaks.js";
import { EXPECTED, algOf, klassOf } from "./algorithms.js";
import type { SuiteContext } from "./context.js";
import { parseEnvelope } from "./envelope.js";
import { utf8, withPolicy } from "./helpers.js";
import { fixtureOptions, fixtureSecrets } from "./imports.js";

type TraceEvent = "start" | "end" | "asyncStart" | "asyncEnd" | "error";
/** What a trace may carry (issue 15 §6): who, what, which key, how long, how it ended. */
const TRACE_FIELDS = ["provider", "operation", "kid", "version", "durationMs", "errorCode", "error"];

interface Published {
  readonly event: TraceEvent;
  readonly method: string;
  /** The fields as they were when the event was published. */
  readonly snapshot: Readonly<Record<string, unknown>>;
  /** The object itself, as a subscriber keeps it. */
  readonly message: object;
}

/** Subscribe to every `keyprovider:<method>` tracing channel until `stop()`. */
function recordTraces(): { readonly published: Published[]; stop(): void } {
  const published: Published[] = [];
  const stops = KEY_PROVIDER_METHODS.map((method) => {
    const channel = tracingChannel<unknown, object>(`keyprovider:${method}`);
    const record = (event: TraceEvent) => (message: object) => {
      published.push({ event, method, snapshot: { ...message }, message });
    };
    const subscribers = {
      start: record("start"),
      end: record("end"),
      asyncStart: record("asyncStart"),
      asyncEnd: record("asyncEnd"),
      error: record("error"),
    };
    channel.subscribe(subscribers);
    return () => channel.unsubscribe(subscribers);
  });
  return { published, stop: () => stops.forEach((stop) => stop()) };
}

/** Secrets never leak: refs, errors, traces and the provider object, rendered every way they can be. */
export function describeLeaks(ctx: SuiteContext): void {
  const { keys, imports, invalidImports, exportPolicies } = ctx.caps;

  describe("secret leaks", () => {
    it("no ref, error, trace or the provider itself renders secret material, under any policy", async () => {
      const traces = recordTraces();
      try {
        const features = await ctx.features();
        const provider = await ctx.provider();
        const providers = new Set<KeyProvider>([provider]);
        const secrets: Uint8Array[] = [];
        const shown: unknown[] = [];
        // Errors, refs and JWKs are what applications log; results such as signatures are not kept.
        const collect = async (call: () => Promise<unknown>, keepResult = false) => {
          try {
            const result = await call();
            if (keepResult) shown.push(result);
          } catch (error) {
            shown.push(error);
          }
        };
        const data = utf8("data to sign or seal");
        const exercise = async (
          holder: KeyProvider,
          kid: string,
          alg: ReturnType<typeof algOf>,
          uses: readonly string[],
        ) => {
          const expected = EXPECTED[alg];
          await collect(() => holder.getKey(kid, 1, { includeSecret: true }), true);
          await collect(() => holder.getKey(kid, 9));
          await collect(() => holder.listVersions(kid));
          if (ctx.publishesJwks) await collect(() => holder.getPublicJwk(kid), true);
          if (features.has("export")) {
            await collect(() => holder.exportKey(kid, { format: "xml" } as never));
            await collect(() => holder.exportKey(kid, { format: "jwk", version: 9, private: true }));
            await collect(() => holder.exportKey(kid, { format: "pem" }), true);
          }
          if (features.has("sign")) {
            await collect(() => holder.sign(kid, data));
            await collect(() => holder.sign(kid, data, { version: 9 }));
            await collect(() => holder.verify(kid, data, new Uint8Array(expected.signature?.length ?? 64)));
          }
          if (features.has("encrypt")) {
            await collect(() => holder.decrypt(kid, utf8("not an envelope at all")));
            if (expected.envelopeId !== undefined && uses.includes("encrypt")) {
              const ciphertext = await holder.encrypt(kid, data).catch(() => undefined);
              if (ciphertext !== undefined) {
                const changed = ciphertext.slice();
                changed[changed.length - 1]! ^= 1;
                await collect(() => holder.decrypt(kid, changed));
                await collect(() => holder.decrypt(kid, ciphertext, { aad: data }));
                expect(parseEnvelope(ciphertext).kid).toBe(kid);
              }
            }
          }
          if (features.has("derive")) {
            await collect(() => holder.deriveSharedSecret(kid, new Uint8Array(32)));
            await collect(() => holder.deriveSharedSecret(kid, 42 as never));
          }
        };

        if (exportPolicies.includes(ExportPolicy.SECRET_WHEN_ALLOWED)) {
          for (const spec of keys) {
            const { provider: pool, ref } = await ctx.pooled(spec, ExportPolicy.SECRET_WHEN_ALLOWED);
            providers.add(pool);
            secrets.push(ref.material!);
            shown.push(ref);
            if (features.has("import")) {
              await collect(() =>
                pool.importKey(withPolicy(spec, ExportPolicy.SECRET_WHEN_ALLOWED), ref.material, {
                  kid: ref.kid,
                  version: 1,
                }),
              );
            }
            if (klassOf(spec) !== "opaque") await exercise(pool, ref.kid, algOf(spec), ref.uses);
          }
        }
        const exercised = new Set<string>();
        for (const fixture of imports) {
          secrets.push(...fixtureSecrets(fixture));
          for (const policy of exportPolicies.filter((p) => p !== ExportPolicy.SECRET_WHEN_ALLOWED)) {
            const ref = await provider.importKey(
              withPolicy(fixture.spec, policy),
              fixture.material,
              fixtureOptions(fixture),
            );
            expect(ref.material).toBeUndefined();
            shown.push(ref);
            if (features.has("export"))
              await collect(() => provider.exportKey(ref.kid, { format: "jwk", private: true }));
            // The operations' errors once per algorithm and kind of import (with or without the secret).
            const kind = `${fixture.spec.alg}/${fixture.material === undefined}`;
            if (klassOf(fixture.spec) !== "opaque" && !exercised.has(kind)) {
              exercised.add(kind);
              await exercise(provider, ref.kid, algOf(fixture.spec), ref.uses);
            }
          }
        }
        for (const fixture of invalidImports) {
          secrets.push(...fixtureSecrets(fixture));
          await collect(() => provider.importKey(fixture.spec, fixture.material, fixtureOptions(fixture)));
        }
        if (ctx.publishesJwks)
          for (const holder of providers) await collect(() => holder.jwks({ allVersions: true }), true);
        for (const holder of providers) shown.push(ctx.raw(holder));

        if (
          exportPolicies.includes(ExportPolicy.SECRET_WHEN_ALLOWED) ||
          imports.some((f) => f.material !== undefined)
        ) {
          expect(secrets.length).toBeGreaterThan(0);
        }
        expect(findSecretLeaks(shown, secrets)).toEqual([]);
        expect(traces.published.length).toBeGreaterThan(0);
        expect(findSecretLeaks([...new Set(traces.published.map((p) => p.message))], secrets)).toEqual([]);
      } finally {
        traces.stop();
      }
    });

    it("every call publishes keyprovider:<method> traces with provider, kid, version, durationMs and errorCode, never a result", async () => {
      const provider = await ctx.provider();
      const name = ctx.raw(provider).name;
      const features = await ctx.features();
      const traces = recordTraces();
      let kid: string;
      try {
        ({ kid } = await provider.createKey(keys[0]!));
        await provider.rotateKey(kid);
        await provider.getKey(kid, 1);
        await provider.getKey(kid, 9).catch(() => undefined);
        await provider.listVersions(kid);
        await provider.destroyKey(kid, 1);
        if (features.has("random")) await provider.randomBytes(8);
      } finally {
        traces.stop();
      }
      const mine = traces.published.filter((p) => p.snapshot["provider"] === name);
      const find = (
        method: string,
        event: Published["event"],
        where: (s: Readonly<Record<string, unknown>>) => boolean = () => true,
      ) => mine.find((p) => p.method === method && p.event === event && where(p.snapshot));
      for (const method of ["createKey", "rotateKey", "getKey", "listVersions", "destroyKey"]) {
        const start = find(method, "start");
        const end = find(method, "asyncEnd");
        expect(start, `${method} start`).toBeDefined();
        expect(end, `${method} asyncEnd`).toBeDefined();
        expect(end!.snapshot["operation"]).toBe(method);
        expect(typeof end!.snapshot["durationMs"]).toBe("number");
        expect(end!.snapshot["durationMs"] as number).toBeGreaterThanOrEqual(0);
      }
      expect(find("createKey", "asyncEnd")!.snapshot).toMatchObject({
        kid,
        version: 1,
        errorCode: undefined,
      });
      expect(find("rotateKey", "asyncEnd")!.snapshot).toMatchObject({
        kid,
        version: 2,
        errorCode: undefined,
      });
      expect(find("getKey", "asyncEnd", (s) => s["version"] === 1)!.snapshot).toMatchObject({
        kid,
        errorCode: undefined,
      });
      const failed = find("getKey", "asyncEnd", (s) => s["version"] === 9);
      expect(failed?.snapshot).toMatchObject({ kid, version: 9, errorCode: "ERR_KEY_NOT_FOUND" });
      expect(find("getKey", "error", (s) => s["version"] === 9)?.snapshot["errorCode"]).toBe(
        "ERR_KEY_NOT_FOUND",
      );
      expect(find("destroyKey", "asyncEnd")!.snapshot).toMatchObject({
        kid,
        version: 1,
        errorCode: undefined,
      });
      for (const { method, snapshot } of mine) {
        expect(
          Object.keys(snapshot).filter((field) => !TRACE_FIELDS.includes(field)),
          method,
        ).toEqual([]);
      }
      if (features.has("random"))
        expect(find("randomBytes", "asyncEnd")!.snapshot).toMatchObject({
          kid: undefined,
          errorCode: undefined,
        });
    });
  });
}
