import { createJwksHandler, toNodeHandler, type JwksHandlerOptions } from "@keyprovider/jwks-http";
import { LocalKeyProvider } from "@keyprovider/local";
import { afterEach, beforeEach } from "vitest";
import { RemoteJwksKeyProvider, type RemoteJwksKeyProviderOptions } from "../../src/index.js";
import { useJwksServer } from "./context.js";
import type { ManualClock, TestServer } from "./server.js";

/**
 * An identity provider on 127.0.0.1: a LocalKeyProvider whose JWK Set `@keyprovider/jwks-http`
 * serves at `/jwks`, on the test clock. Tests add a discovery document or other routes themselves.
 */
export interface IssuerContext {
  readonly server: TestServer;
  readonly clock: ManualClock;
  /** The identity provider's keys (they sign; their JWK Set is served). */
  readonly issuer: LocalKeyProvider;
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Requests the JWK Set endpoint received. */
  jwksRequests(): number;
  /** A provider of the served set (http allowed, the test clock, no refresh-ahead timer) with `options` on top. */
  provider(options?: Partial<RemoteJwksKeyProviderOptions>): RemoteJwksKeyProvider;
}

/** Start an identity provider (fresh keys, server and clock) before every test of the file. */
export function useIssuer(handlerOptions: JwksHandlerOptions = {}): IssuerContext {
  const env = useJwksServer();
  let issuer = new LocalKeyProvider();
  const providers: RemoteJwksKeyProvider[] = [];
  beforeEach(() => {
    issuer = new LocalKeyProvider();
    const now = () => env.clock.now();
    env.server.route("/jwks", toNodeHandler(createJwksHandler(issuer, { now, ...handlerOptions })));
  });
  afterEach(() => {
    for (const provider of providers.splice(0)) provider.close();
  });
  return {
    get server() {
      return env.server;
    },
    get clock() {
      return env.clock;
    },
    get issuer() {
      return issuer;
    },
    get origin() {
      return env.server.origin;
    },
    jwksRequests: () => env.server.count("/jwks"),
    provider: (options = {}) => {
      const located = options.jwksUrl !== undefined || options.issuer !== undefined;
      const provider = new RemoteJwksKeyProvider({
        ...(located ? {} : { jwksUrl: `${env.server.origin}/jwks` }),
        allowInsecureHttp: true,
        clock: env.clock,
        refreshAheadMs: 0,
        backoffJitter: false,
        ...options,
      });
      providers.push(provider);
      return provider;
    },
  };
}
