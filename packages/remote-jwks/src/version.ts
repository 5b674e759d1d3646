import manifest from "../package.json" with { type: "json" };

/** The default `User-Agent`, so an identity provider can tell this client apart in its logs. */
export const USER_AGENT = `keyprovider-remote-jwks/${manifest.version}`;
