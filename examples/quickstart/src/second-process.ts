// The quickstart's "keys survive a restart" step, in another process: open the key store that the
// first process wrote, verify its token, and sign one with the same kid. Run as
// `node dist/second-process.js <directory> <kid> <token>` with the KEK, hex, in KEYPROVIDER_KEK (a
// secret belongs in the environment, never in arguments). Prints one JSON line.
import { Buffer } from "node:buffer";
import { FileKeyProvider } from "@keyprovider/file";
import { signJwt, verifyJwt } from "@keyprovider/jwt";

const [directory, kid, token] = process.argv.slice(2);
const kek = process.env["KEYPROVIDER_KEK"];
if (directory === undefined || kid === undefined || token === undefined || kek === undefined) {
  throw new TypeError("usage: KEYPROVIDER_KEK=<hex> node second-process.js <directory> <kid> <token>");
}
const provider = new FileKeyProvider({ directory, kek: { key: new Uint8Array(Buffer.from(kek, "hex")) } });
const { payload, key } = await verifyJwt(provider, token, { keys: [kid] });
const answer = await signJwt(provider, kid, { sub: "user-6" }, { expiresIn: "5m" });
console.log(JSON.stringify({ verified: `sub ${String(payload.sub)}, v${key.version}`, token: answer }));
