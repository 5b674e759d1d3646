/**
 * RFC 5869 Appendix A test cases 1–3 (HKDF-SHA256), hex-encoded. Every provider's `hkdf` must
 * reproduce them.
 *
 * @example
 * ```ts
 * import { RFC5869_VECTORS } from "@keyprovider/testkit";
 * for (const v of RFC5869_VECTORS) console.log(v.name, v.okm);
 * ```
 */
export const RFC5869_VECTORS: readonly {
  readonly name: string;
  readonly ikm: string;
  readonly salt: string;
  readonly info: string;
  readonly length: number;
  readonly okm: string;
}[] = Object.freeze([
  {
    name: "A.1 basic",
    ikm: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
    salt: "000102030405060708090a0b0c",
    info: "f0f1f2f3f4f5f6f7f8f9",
    length: 42,
    okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
  },
  {
    name: "A.2 longer inputs and outputs",
    ikm: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f",
    salt: "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
    info: "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
    length: 82,
    okm: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
  },
  {
    name: "A.3 empty salt and info",
    ikm: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
    salt: "",
    info: "",
    length: 42,
    okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
  },
]);

/**
 * An HKDF-SHA256 case beyond RFC 5869's: an `info` of 2000 bytes (0x00, 0x01, …, 0xff, 0x00, …), longer
 * than `node:crypto` accepts, so providers must expand per RFC 5869 §2.3 themselves. The output was
 * computed with @noble/hashes, an independent implementation.
 *
 * @example
 * ```ts
 * const info = new Uint8Array(LONG_INFO_VECTOR.infoLength).map((_, i) => i & 0xff);
 * ```
 */
export const LONG_INFO_VECTOR = Object.freeze({
  ikm: "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
  salt: "000102030405060708090a0b0c",
  infoLength: 2000,
  length: 100,
  okm: "296ee461eac6e2a8a7d31a22ccd36b9c5cfe88360c0d42d18ccc66aba16146d204599ea465a4f6b6362901acecfd3ce223d6b3f7089860f6a8d0aa3f0a8f516e045719854ce6e5ccea29443be5d505931fdac7f334127db2b73dcb6ef661f84b89847f38",
});
