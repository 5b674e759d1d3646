import type { KeyStore } from "../lib/key-store.js";
import type { RequestBody } from "../lib/request.js";

/** One KMS operation: the decoded request body in, the response body out (or a thrown KmsError). */
export type OperationHandler = (
  store: KeyStore,
  body: RequestBody,
) => Record<string, unknown> | Promise<Record<string, unknown>>;
