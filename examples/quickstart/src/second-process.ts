// Step 9 of the quickstart, in another process: open the key store that the first process wrote
// and verify its token. Run as `node dist/second-process.js <directory> <token> <kid>` with the KEK,
// hex, in KEYPROVIDER_KEK (a secret belongs in the environment, never in arguments).
import { Buffer } from "node:buffer";
import { FileKeyProvider } from "@keyprovider/file";
import { verifyJwt } from "@keyprovider/jwt";

const [directory, token, kid] = process.argv.slice(2);
const kek = process.env["KEYPROVIDER_KEK"];
if (directory === undefined || token === undefined || kid === undefined || kek === undefined) {
  throw new TypeError("usage: KEYPROVIDER_KEK=<hex> node second-process.js <directory> <token> <kid>");
}
const provider = new FileKeyProvider({ directory, kek: { key: new Uint8Array(Buffer.from(kek, "hex")) } });
const { payload, key } = await verifyJwt(provider, token, { keys: [kid] });
console.log(`sub=${String(payload.sub)}, signed by version ${key.version}`);
