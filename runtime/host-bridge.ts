/**
 * Promise-bridged host calls of one execution: env bindings and the guest's
 * fetch. Each call hands the guest a deferred promise, runs the host method
 * with the execution's AbortSignal, and settles the deferred (then pumps)
 * when the host promise settles — unless the execution ended meanwhile, in
 * which case close() has already disposed the deferred.
 */
import type { QuickJSContext, QuickJSDeferredPromise, QuickJSHandle } from "quickjs-emscripten-core";
import type { ExecutionJob, SandboxLogger } from "./execution-types.js";
import type { GuestContext } from "./guest-context.js";
import { GuestFacingError, newBytes } from "./host-ops.js";
import {
  type BindingDefinition,
  HostCallError,
  type HostRequest,
  type HostResponse,
  type HostValue,
} from "./host-types.js";
import { BoundaryError, decodeValue, encodeValue } from "./value-codec.js";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[^\0\r\n\u0100-\uFFFF]*$/;
const MAX_ARGUMENT_BYTES = 32 * 1024 * 1024;
const REDIRECTS = new Set(["follow", "manual", "error"]);

export interface Bridge {
  bindingFactory(name: string): QuickJSHandle;
  bindingCall(
    token: number,
    binding: string,
    method: string,
    json: string,
    binaries: Uint8Array[],
  ): QuickJSHandle;
  fetch(
    token: number,
    id: number,
    method: string,
    url: string,
    headersJson: string,
    body: Uint8Array | null,
    redirect: string,
  ): QuickJSHandle;
  fetchAbort(id: number): void;
  /** Aborts host work and disposes pending deferreds (skipped when the module crashed). */
  close(touchVm?: boolean): void;
}

export interface BridgeDeps {
  job: ExecutionJob;
  logger: SandboxLogger | undefined;
  deadline: number;
  afterSettle(): void;
  isDone(): boolean;
  context(): GuestContext | null;
  onFatal(error: unknown): boolean;
}

type Rejection = [name: string, message: string];

export class HostBridge implements Bridge {
  /** Aborts host work when the execution ends; made on first use (Node's AbortController is not free). */
  #abortController: AbortController | undefined;
  readonly #deferreds = new Set<QuickJSDeferredPromise>();
  readonly #fetches = new Map<number, AbortController>();
  readonly #bindings = new Map<string, BindingDefinition>();

  constructor(
    private readonly owner: { readonly token: number },
    private readonly deps: BridgeDeps,
  ) {
    for (const binding of deps.job.bindings ?? []) this.#bindings.set(binding.name, binding);
  }

  get #signal(): AbortSignal {
    this.#abortController ??= new AbortController();
    return this.#abortController.signal;
  }

  #vm(): QuickJSContext {
    const context = this.deps.context();
    if (!context) throw new GuestFacingError("no execution is running");
    return context.vm;
  }

  bindingFactory(name: string): QuickJSHandle {
    const binding = this.#bindings.get(name);
    if (!binding) throw new GuestFacingError(`env.${name} is not a binding`);
    const vm = this.#vm();
    const result = vm.evalCode(`(${binding.guestSource})`, `binding:${name}`, {
      type: "global",
      strict: true,
    });
    if (result.error) {
      const detail = vm.dump(result.error);
      result.error.dispose();
      this.deps.logger?.error(
        { executionId: this.deps.job.executionId, binding: name, err: JSON.stringify(detail) },
        "sandbox: a binding's guest source failed to evaluate",
      );
      throw new GuestFacingError(`internal error in binding ${name}`);
    }
    return result.value;
  }

  bindingCall(
    token: number,
    binding: string,
    method: string,
    json: string,
    binaries: Uint8Array[],
  ): QuickJSHandle {
    const vm = this.#vm();
    const deferred = vm.newPromise();
    this.#deferreds.add(deferred);
    const where = `${binding}.${method}`;
    const definition = this.#bindings.get(binding);
    const fn =
      definition && Object.hasOwn(definition.methods, method) ? definition.methods[method] : undefined;
    let size = json.length;
    for (const bytes of binaries) size += bytes.byteLength;
    if (token !== this.owner.token)
      this.#reject(deferred, ["Error", `env.${binding} was used after its execution ended`]);
    else if (!fn) this.#reject(deferred, ["TypeError", `env.${where} is not a function`]);
    else if (size > MAX_ARGUMENT_BYTES)
      this.#reject(deferred, [
        "RangeError",
        `env.${where}: the arguments exceed ${MAX_ARGUMENT_BYTES} bytes`,
      ]);
    else {
      let args: HostValue;
      try {
        args = decodeValue(json, binaries);
      } catch {
        args = undefined;
      }
      if (!Array.isArray(args)) this.#reject(deferred, ["TypeError", `env.${where}: invalid arguments`]);
      else {
        const signal = this.#signal;
        Promise.resolve()
          .then(() => fn(args as HostValue[], signal))
          .then(
            (value) => this.#resolveValue(deferred, value, where),
            (error) => this.#rejectError(deferred, error, where),
          );
      }
    }
    return deferred.handle;
  }

  fetch(
    token: number,
    id: number,
    method: string,
    url: string,
    headersJson: string,
    body: Uint8Array | null,
    redirect: string,
  ): QuickJSHandle {
    const vm = this.#vm();
    const deferred = vm.newPromise();
    this.#deferreds.add(deferred);
    const hostFetch = this.deps.job.fetch;
    const request =
      token === this.owner.token ? this.#request(method, url, headersJson, body, redirect) : undefined;
    if (token !== this.owner.token)
      this.#reject(deferred, ["Error", "fetch() was used after its execution ended"]);
    else if (!hostFetch) this.#reject(deferred, ["TypeError", "fetch is not available"]);
    else if (typeof request === "string") this.#reject(deferred, ["TypeError", request]);
    else {
      const controller = new AbortController();
      this.#fetches.set(id, controller);
      const signal = AbortSignal.any([controller.signal, this.#signal]);
      Promise.resolve()
        .then(() => hostFetch(request!, signal))
        .then(
          (response) => {
            this.#fetches.delete(id);
            this.#resolveResponse(deferred, response);
          },
          (error) => {
            this.#fetches.delete(id);
            if (signal.aborted) this.#reject(deferred, ["AbortError", "The fetch was aborted"]);
            else this.#rejectError(deferred, error, "fetch", ["TypeError", "fetch failed"]);
          },
        );
    }
    return deferred.handle;
  }

  fetchAbort(id: number): void {
    this.#fetches.get(id)?.abort();
    this.#fetches.delete(id);
  }

  close(touchVm = true): void {
    this.#abortController?.abort();
    for (const controller of this.#fetches.values()) controller.abort();
    this.#fetches.clear();
    if (touchVm) for (const deferred of this.#deferreds) if (deferred.alive) deferred.dispose();
    this.#deferreds.clear();
  }

  #request(
    method: string,
    url: string,
    headersJson: string,
    body: Uint8Array | null,
    redirect: string,
  ): HostRequest | string {
    if (!TOKEN.test(method)) return `fetch: invalid method ${method}`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return `fetch: invalid URL ${url}`;
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      return `fetch: unsupported URL scheme ${parsed.protocol}`;
    let flat: unknown;
    try {
      flat = JSON.parse(headersJson);
    } catch {
      return "fetch: invalid headers";
    }
    if (!Array.isArray(flat) || flat.length % 2 !== 0) return "fetch: invalid headers";
    const headers: [string, string][] = [];
    for (let i = 0; i < flat.length; i += 2) {
      const [name, value] = [flat[i], flat[i + 1]];
      if (
        typeof name !== "string" ||
        !TOKEN.test(name) ||
        typeof value !== "string" ||
        !HEADER_VALUE.test(value)
      )
        return "fetch: invalid header";
      headers.push([name, value]);
    }
    if (!REDIRECTS.has(redirect)) return `fetch: invalid redirect mode ${redirect}`;
    return { method, url: parsed.href, headers, body, redirect: redirect as HostRequest["redirect"] };
  }

  /** Runs `build` against the live context and resolves or rejects the deferred with its result. */
  #settle(deferred: QuickJSDeferredPromise, ok: boolean, build: (vm: QuickJSContext) => QuickJSHandle): void {
    if (this.deps.isDone() || !deferred.alive) return;
    const context = this.deps.context();
    if (!context) return;
    try {
      context.slot.enter(() => {
        const handle = build(context.vm);
        if (ok) deferred.resolve(handle);
        else deferred.reject(handle);
        handle.dispose();
      });
      this.#deferreds.delete(deferred);
    } catch (error) {
      if (this.deps.onFatal(error)) return;
      this.deps.logger?.error(
        { executionId: this.deps.job.executionId, err: String(error) },
        "sandbox: could not hand a host result to the script",
      );
      if (ok && deferred.alive) {
        this.#reject(deferred, ["RangeError", "The host result could not be delivered"]);
        return;
      }
    }
    this.deps.afterSettle();
  }

  #reject(deferred: QuickJSDeferredPromise, [name, message]: Rejection): void {
    // Rejections are settled on a later tick, like every host call, so guests never see sync re-entrancy.
    queueMicrotask(() =>
      this.#settle(deferred, false, (vm) => {
        const array = vm.newArray();
        for (const [i, text] of [name, message].entries()) {
          const handle = vm.newString(text);
          vm.setProp(array, i, handle);
          handle.dispose();
        }
        return array;
      }),
    );
  }

  #rejectError(deferred: QuickJSDeferredPromise, error: unknown, where: string, fallback?: Rejection): void {
    if (error instanceof HostCallError) {
      this.#reject(deferred, [error.guestName, error.message]);
      return;
    }
    this.deps.logger?.error(
      {
        executionId: this.deps.job.executionId,
        call: where,
        err: error instanceof Error ? error.stack : String(error),
      },
      "sandbox: host call failed",
    );
    this.#reject(deferred, fallback ?? ["Error", `internal error in ${where}`]);
  }

  #resolveValue(deferred: QuickJSDeferredPromise, value: HostValue, where: string): void {
    let encoded: [string | undefined, Uint8Array[]];
    try {
      encoded = encodeValue(value);
    } catch (error) {
      this.#rejectError(
        deferred,
        error instanceof BoundaryError ? new Error(`${where} returned ${error.message}`) : error,
        where,
      );
      return;
    }
    const [json, binaries] = encoded;
    this.#settle(deferred, true, (vm) => {
      const array = vm.newArray();
      const jsonHandle = json === undefined ? vm.undefined : vm.newString(json);
      vm.setProp(array, 0, jsonHandle);
      jsonHandle.dispose();
      const list = vm.newArray();
      binaries.forEach((bytes, i) => {
        const handle = newBytes(vm, bytes);
        vm.setProp(list, i, handle);
        handle.dispose();
      });
      vm.setProp(array, 1, list);
      list.dispose();
      return array;
    });
  }

  #resolveResponse(deferred: QuickJSDeferredPromise, response: HostResponse): void {
    const valid =
      response !== null &&
      typeof response === "object" &&
      Number.isInteger(response.status) &&
      response.status >= 100 &&
      response.status <= 599 &&
      Array.isArray(response.headers) &&
      response.headers.every(
        (h) => Array.isArray(h) && typeof h[0] === "string" && typeof h[1] === "string",
      ) &&
      response.body instanceof Uint8Array;
    if (!valid) {
      this.#rejectError(deferred, new Error("the host fetch returned an invalid response"), "fetch", [
        "TypeError",
        "fetch failed",
      ]);
      return;
    }
    const flat: string[] = [];
    for (const [name, value] of response.headers) flat.push(name.toLowerCase(), value);
    this.#settle(deferred, true, (vm) => {
      const result = vm.newArray();
      const head = vm.newArray();
      const parts = [
        vm.newNumber(response.status),
        vm.newString(typeof response.statusText === "string" ? response.statusText : ""),
        vm.newString(JSON.stringify(flat)),
        vm.newString(typeof response.url === "string" ? response.url : ""),
        response.redirected === true ? vm.true : vm.false,
      ];
      parts.forEach((handle, i) => {
        vm.setProp(head, i, handle);
        handle.dispose();
      });
      vm.setProp(result, 0, head);
      head.dispose();
      const body = newBytes(vm, response.body);
      vm.setProp(result, 1, body);
      body.dispose();
      return result;
    });
  }
}
