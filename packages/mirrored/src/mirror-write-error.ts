// MirrorWriteError lives in @keyprovider/core with the rest of the error family, so
// `switch (err.code)` over AnyKeyProviderError narrows to it; it is re-exported here for
// callers who import it from this package.
export { MirrorWriteError } from "@keyprovider/core";
