import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { RemoteJwksSource, type FetchFunction, type RemoteJwksSourceOptions } from "../../src/index.js";
import {
  ManualClock,
  httpsFetchTrusting,
  selfSignedCertificate,
  startServer,
  type TestServer,
} from "./server.js";

/** What a test file gets from {@link useJwksServer}: a fresh server and clock for every test. */
export interface JwksTestContext {
  readonly server: TestServer;
  readonly clock: ManualClock;
  /**
   * A source of `<server>/jwks` unless `options` names a URL or an issuer (http allowed, the manual clock, no refresh-ahead timer, the file's
   * defaults) with `options` on top; closed after the test.
   */
  readonly source: (options?: Partial<RemoteJwksSourceOptions>) => RemoteJwksSource;
}

/** Start a real node:http server on 127.0.0.1 and a manual clock before each test of the file. */
export function useJwksServer(defaults: Partial<RemoteJwksSourceOptions> = {}): JwksTestContext {
  let server: TestServer | undefined;
  let clock = new ManualClock();
  const sources: RemoteJwksSource[] = [];
  beforeEach(async () => {
    server = await startServer();
    clock = new ManualClock();
  });
  afterEach(async () => {
    for (const source of sources.splice(0)) source.close();
    await server?.close();
  });
  return {
    get server() {
      return server!;
    },
    get clock() {
      return clock;
    },
    source: (options = {}) => {
      const located = options.jwksUrl !== undefined || options.issuer !== undefined;
      const created = new RemoteJwksSource({
        ...(located ? {} : { jwksUrl: `${server!.origin}/jwks` }),
        allowInsecureHttp: true,
        clock,
        refreshAheadMs: 0,
        ...defaults,
        ...options,
      });
      sources.push(created);
      return created;
    },
  };
}

/** An HTTPS server (self-signed for 127.0.0.1) for the describe block, and a fetch that trusts it. */
export interface TlsTestContext {
  readonly server: TestServer;
  /** A real HTTPS client that trusts the server's certificate. */
  readonly fetch: FetchFunction;
}

/** Start an HTTPS test server once for the enclosing describe block. */
export function useTlsServer(): TlsTestContext {
  let server: TestServer | undefined;
  let fetch: FetchFunction | undefined;
  beforeAll(async () => {
    const tls = selfSignedCertificate();
    fetch = httpsFetchTrusting(tls.cert);
    server = await startServer(tls);
  });
  afterAll(() => server?.close());
  return {
    get server() {
      return server!;
    },
    get fetch() {
      return fetch!;
    },
  };
}
