/**
 * Piece "codec": the value format of binding calls and event inputs — JSON
 * text where bytes travel beside it as ArrayBuffers ({"\u0000b": index}),
 * so binary data crosses the boundary without base64. Also turns a host
 * rejection ([name, message]) into a guest error of the right class.
 */
import { Op } from "../../ops.js";
import { guestError } from "../guest-error.js";
import type { Internals } from "../internals.js";
import type { CodecPiece } from "../piece-types.js";

const BYTES = "\u0000b";
const UNDEFINED = "\u0000u";

/** The scheduled controller's noRetry(): nothing to do, as cron runs are not retried. */
function noRetry(): void {}

export default function install(I: Internals): CodecPiece {
  I.share(noRetry);
  const encode = (value: unknown, what: string): [string, ArrayBuffer[]] => {
    const binaries: ArrayBuffer[] = [];
    const json = JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
      const raw = this[key];
      if (raw instanceof ArrayBuffer) return { [BYTES]: binaries.push(raw.slice(0)) - 1 };
      if (ArrayBuffer.isView(raw)) {
        const copy = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer;
        return { [BYTES]: binaries.push(copy) - 1 };
      }
      if (v === undefined) return Array.isArray(this) ? { [UNDEFINED]: 0 } : undefined;
      if (typeof v === "function" || typeof v === "symbol" || typeof v === "bigint")
        throw new TypeError(`${what}: a ${typeof v} cannot be passed to the host`);
      if (v !== null && typeof v === "object" && !Array.isArray(v) && !I.isPlain(v)) {
        const proto = Object.getPrototypeOf(v);
        const name = (proto as { constructor?: { name?: string } }).constructor?.name ?? "object";
        throw new TypeError(
          `${what}: a ${name} cannot be passed to the host (use plain objects, arrays and Uint8Array)`,
        );
      }
      return v;
    });
    return [json, binaries];
  };

  const decode = (json: string | undefined, binaries: ArrayBuffer[] | undefined): unknown => {
    if (json === undefined) return undefined;
    return JSON.parse(json, (_key, v: unknown) => {
      if (v !== null && typeof v === "object" && !Array.isArray(v)) {
        const keys = Object.keys(v);
        if (keys.length === 1 && keys[0] === BYTES) {
          const buffer = binaries?.[(v as Record<string, number>)[BYTES]!];
          return buffer === undefined ? v : new Uint8Array(buffer);
        }
        if (keys.length === 1 && keys[0] === UNDEFINED) return undefined;
      }
      return v;
    });
  };

  const call = (token: number, binding: string, method: string, args: unknown[]): Promise<unknown> => {
    let encoded: [string, ArrayBuffer[]];
    try {
      encoded = encode(args, `${binding}.${method}()`);
    } catch (e) {
      return Promise.reject(e);
    }
    const pending = I.host(Op.BindingCall, token, binding, method, encoded[0], encoded[1]) as Promise<
      [string | undefined, ArrayBuffer[]]
    >;
    return pending.then(
      ([json, binaries]) => decode(json, binaries),
      (reason) => {
        throw guestError(reason);
      },
    );
  };

  return {
    decode,
    call,
    bindEnv(env, names, token) {
      for (const name of names) {
        Object.defineProperty(env, name, {
          configurable: true,
          enumerable: true,
          get() {
            const factory = I.host(Op.BindingFactory, name) as (call: unknown) => unknown;
            const binding = factory((method: string, ...args: unknown[]) =>
              call(token, name, String(method), args),
            );
            Object.defineProperty(env, name, {
              value: binding,
              enumerable: true,
              configurable: true,
              writable: true,
            });
            return binding;
          },
        });
      }
    },
    input(entry, scheduled, json, binaries) {
      if (entry === "scheduled") {
        const controller = new Object() as Record<string, unknown>;
        controller.cron = scheduled![0];
        controller.scheduledTime = scheduled![1];
        controller.type = "scheduled";
        controller.noRetry = noRetry;
        return controller;
      }
      return decode(json, binaries);
    },
    output(entry, result) {
      let json: string | undefined;
      if (result !== undefined) {
        try {
          json = JSON.stringify(result);
        } catch (e) {
          I.log(3, `The ${entry}() return value was ignored: it is not JSON-serializable (${I.describe(e)})`);
        }
      }
      I.host(Op.ReturnValue, json);
    },
  };
}
