/**
 * Piece "crypto": crypto.getRandomValues/randomUUID and the part of
 * crypto.subtle WinterTC scripts rely on most: digest (SHA-1/256/384/512) and
 * HMAC keys (importKey raw/jwk, generateKey, exportKey, sign, verify). The
 * host supplies random bytes, digests and MACs from node:crypto.
 */
import { Op } from "../../ops.js";
import type { Internals } from "../internals.js";

const HASHES = ["SHA-1", "SHA-256", "SHA-384", "SHA-512"];
const INTEGER_ARRAYS = [
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "BigInt64Array",
  "BigUint64Array",
];
const KEY = Symbol("key");

interface KeyState {
  bytes: ArrayBuffer;
  hash: string;
}

export default function install(I: Internals): object {
  const host = I.host;
  let constructing = false;

  const notSupported = (what: string): Error => I.domError(`${what} is not supported`, "NotSupportedError");

  /** A promise of the execution's realm for `work()`'s value (or what it throws), like an async method. */
  const settle = <T>(work: () => T): Promise<T> => {
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error);
    }
  };

  const bufferSource = (data: unknown, what: string): ArrayBuffer => {
    if (data instanceof ArrayBuffer) return data.slice(0);
    if (ArrayBuffer.isView(data))
      return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    throw new TypeError(`${what} must be an ArrayBuffer or ArrayBufferView`);
  };

  const algorithmName = (algorithm: unknown): string => {
    const name =
      typeof algorithm === "string"
        ? algorithm
        : algorithm !== null && typeof algorithm === "object"
          ? (algorithm as { name?: unknown }).name
          : undefined;
    if (typeof name !== "string") throw new TypeError("Algorithm must be a string or an object with a name");
    return name.toUpperCase();
  };

  const hashName = (algorithm: unknown): string => {
    const name = algorithmName(algorithm);
    if (!HASHES.includes(name)) throw notSupported(`Algorithm "${name}"`);
    return name;
  };

  const base64url = (bytes: ArrayBuffer): string => {
    let latin1 = "";
    for (const b of new Uint8Array(bytes)) latin1 += String.fromCharCode(b);
    return I.fromHost(host(Op.Base64, ...I.toHost(latin1), false))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  };

  const fromBase64url = (text: string): ArrayBuffer => {
    const latin1 = I.fromHost(host(Op.Base64, text.replace(/-/g, "+").replace(/_/g, "/"), false, true));
    const out = new Uint8Array(latin1.length);
    for (let i = 0; i < latin1.length; i++) out[i] = latin1.charCodeAt(i);
    return out.buffer;
  };

  class CryptoKey {
    declare [KEY]: KeyState;
    declare readonly type: string;
    declare readonly extractable: boolean;
    declare readonly algorithm: { name: string; hash: { name: string }; length: number };
    declare readonly usages: string[];

    constructor() {
      if (!constructing) throw new TypeError("Illegal constructor");
    }

    get [Symbol.toStringTag](): string {
      return "CryptoKey";
    }
  }

  const newKey = (bytes: ArrayBuffer, hash: string, extractable: boolean, usages: string[]): CryptoKey => {
    for (const usage of usages)
      if (usage !== "sign" && usage !== "verify")
        throw I.domError(`Invalid key usage "${usage}"`, "SyntaxError");
    if (usages.length === 0) throw I.domError("A secret key needs at least one usage", "SyntaxError");
    constructing = true;
    const key = new CryptoKey();
    constructing = false;
    // Objects a script sees are made by the execution's JSON.parse/Array, not as shared-realm literals.
    const algorithm = JSON.parse(
      JSON.stringify({ name: "HMAC", hash: { name: hash }, length: bytes.byteLength * 8 }),
    ) as { hash: object };
    Object.freeze(algorithm.hash);
    Object.defineProperties(key, {
      type: { value: "secret", enumerable: true },
      extractable: { value: extractable, enumerable: true },
      algorithm: { value: Object.freeze(algorithm), enumerable: true },
      usages: { value: Object.freeze(Array.from(usages)), enumerable: true },
      [KEY]: { value: { bytes, hash } },
    });
    return key;
  };

  const keyState = (key: unknown, usage: string): KeyState => {
    const s = key !== null && typeof key === "object" ? (key as CryptoKey)[KEY] : undefined;
    if (!s) throw new TypeError("Expected a CryptoKey");
    if (!(key as CryptoKey).usages.includes(usage))
      throw I.domError(`The key does not allow "${usage}"`, "InvalidAccessError");
    return s;
  };

  const hmacAlgorithm = (algorithm: unknown): { hash: string; length?: number } => {
    if (algorithmName(algorithm) !== "HMAC") throw notSupported(`Algorithm "${algorithmName(algorithm)}"`);
    const options = (typeof algorithm === "object" ? algorithm : {}) as { hash?: unknown; length?: unknown };
    if (options.hash === undefined) throw new TypeError("HMAC algorithm needs a hash");
    const length = options.length === undefined ? undefined : Number(options.length);
    return length === undefined ? { hash: hashName(options.hash) } : { hash: hashName(options.hash), length };
  };

  const usagesOf = (usages: unknown): string[] => {
    if (!Array.isArray(usages)) throw new TypeError("Key usages must be an array");
    return usages.map(String);
  };

  class SubtleCrypto {
    get [Symbol.toStringTag](): string {
      return "SubtleCrypto";
    }

    constructor() {
      if (!constructing) throw new TypeError("Illegal constructor");
    }

    digest(algorithm: unknown, data: unknown): Promise<ArrayBuffer> {
      return settle(
        () => host(Op.Digest, hashName(algorithm), bufferSource(data, "digest data")) as ArrayBuffer,
      );
    }

    importKey(
      format: unknown,
      keyData: unknown,
      algorithm: unknown,
      extractable: unknown,
      usages: unknown,
    ): Promise<CryptoKey> {
      return settle(() => importKey(format, keyData, algorithm, extractable, usages));
    }

    generateKey(algorithm: unknown, extractable: unknown, usages: unknown): Promise<CryptoKey> {
      return settle(() => {
        const { hash, length } = hmacAlgorithm(algorithm);
        const bits = length ?? (hash === "SHA-384" || hash === "SHA-512" ? 1024 : 512);
        if (bits % 8 !== 0 || bits <= 0) throw notSupported("HMAC key lengths that are not whole bytes");
        return newKey(host(Op.Random, bits / 8) as ArrayBuffer, hash, Boolean(extractable), usagesOf(usages));
      });
    }

    exportKey(format: unknown, key: unknown): Promise<unknown> {
      return settle(() => exportKey(format, key));
    }

    sign(algorithm: unknown, key: unknown, data: unknown): Promise<ArrayBuffer> {
      return settle(() => {
        if (algorithmName(algorithm) !== "HMAC")
          throw notSupported(`Algorithm "${algorithmName(algorithm)}"`);
        const s = keyState(key, "sign");
        return host(Op.Hmac, s.hash, s.bytes, bufferSource(data, "Data")) as ArrayBuffer;
      });
    }

    verify(algorithm: unknown, key: unknown, signature: unknown, data: unknown): Promise<boolean> {
      return settle(() => {
        if (algorithmName(algorithm) !== "HMAC")
          throw notSupported(`Algorithm "${algorithmName(algorithm)}"`);
        const s = keyState(key, "verify");
        const mac = host(Op.Hmac, s.hash, s.bytes, bufferSource(data, "Data")) as ArrayBuffer;
        return host(Op.TimingSafeEqual, mac, bufferSource(signature, "Signature")) as boolean;
      });
    }
  }

  function importKey(
    format: unknown,
    keyData: unknown,
    algorithm: unknown,
    extractable: unknown,
    usages: unknown,
  ): CryptoKey {
    const { hash, length } = hmacAlgorithm(algorithm);
    let bytes: ArrayBuffer;
    if (format === "raw") bytes = bufferSource(keyData, "Key data");
    else if (format === "jwk") {
      const jwk = keyData as { kty?: unknown; k?: unknown };
      if (jwk === null || typeof jwk !== "object" || jwk.kty !== "oct" || typeof jwk.k !== "string")
        throw I.domError("Invalid JWK for an HMAC key", "DataError");
      bytes = fromBase64url(jwk.k);
    } else throw notSupported(`Key format "${String(format)}"`);
    if (bytes.byteLength === 0) throw I.domError("HMAC key data must not be empty", "DataError");
    if (length !== undefined && (length > bytes.byteLength * 8 || length <= (bytes.byteLength - 1) * 8))
      throw I.domError("HMAC key length does not match the key data", "DataError");
    return newKey(bytes, hash, Boolean(extractable), usagesOf(usages));
  }

  function exportKey(format: unknown, key: unknown): unknown {
    const s = key !== null && typeof key === "object" ? (key as CryptoKey)[KEY] : undefined;
    if (!s) throw new TypeError("Expected a CryptoKey");
    if (!(key as CryptoKey).extractable) throw I.domError("The key is not extractable", "InvalidAccessError");
    if (format === "raw") return s.bytes.slice(0);
    if (format === "jwk")
      return JSON.parse(
        JSON.stringify({
          kty: "oct",
          k: base64url(s.bytes),
          alg: `HS${s.hash.slice(4)}`,
          ext: true,
          key_ops: (key as CryptoKey).usages,
        }),
      );
    throw notSupported(`Key format "${String(format)}"`);
  }

  for (const name of ["encrypt", "decrypt", "deriveBits", "deriveKey", "wrapKey", "unwrapKey"])
    I.define(SubtleCrypto.prototype, name, () =>
      settle(() => {
        throw notSupported(`crypto.subtle.${name}`);
      }),
    );

  class Crypto {
    constructor() {
      if (!constructing) throw new TypeError("Illegal constructor");
    }

    get subtle(): SubtleCrypto {
      return subtle;
    }

    getRandomValues<T>(array: T): T {
      if (
        !ArrayBuffer.isView(array) ||
        !INTEGER_ARRAYS.includes((array as unknown as { [Symbol.toStringTag]: string })[Symbol.toStringTag])
      )
        throw I.domError("getRandomValues needs an integer typed array", "TypeMismatchError");
      if (array.byteLength > 65536)
        throw I.domError("getRandomValues can fill at most 65536 bytes", "QuotaExceededError");
      const bytes = new Uint8Array(host(Op.Random, array.byteLength) as ArrayBuffer);
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(bytes);
      return array;
    }

    randomUUID(): string {
      const b = new Uint8Array(host(Op.Random, 16) as ArrayBuffer);
      b[6] = (b[6]! & 0x0f) | 0x40;
      b[8] = (b[8]! & 0x3f) | 0x80;
      let hex = "";
      for (const byte of b) hex += byte.toString(16).padStart(2, "0");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }

    get [Symbol.toStringTag](): string {
      return "Crypto";
    }
  }

  constructing = true;
  const subtle = new SubtleCrypto();
  const crypto = new Crypto();
  constructing = false;

  I.expose("crypto", crypto);
  I.expose("Crypto", Crypto);
  I.expose("CryptoKey", CryptoKey);
  I.expose("SubtleCrypto", SubtleCrypto);
  return {};
}
