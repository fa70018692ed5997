/**
 * The values that cross the host⇄guest boundary, shared by the runtime, the
 * bindings (src/bindings/*) and the data plane. Plain data only: the runtime
 * turns these into guest Request/Response objects and back.
 */

/** An HTTP request as the host sees it (incoming to a script, or a script's outbound fetch). */
export interface HostRequest {
  method: string;
  url: string;
  /** Header pairs in order; names may repeat (e.g. set-cookie). */
  headers: [string, string][];
  body: Uint8Array | null;
  /** Outbound fetch only: the guest's `redirect` option. */
  redirect?: "follow" | "manual" | "error";
}

/** An HTTP response as the host sees it (a script's return value, or an outbound fetch's answer). */
export interface HostResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: Uint8Array;
  /** Outbound fetch only: the final URL after redirects. */
  url?: string;
  redirected?: boolean;
}

/** Which guest error class a host failure becomes (SPEC §3: TypeError/RangeError for bad arguments, Error otherwise). */
export type GuestErrorName = "TypeError" | "RangeError" | "Error" | "NotFoundError";

/**
 * Thrown by a host binding to make the guest's promise reject with a specific
 * error class and a message that is safe to show to the script. Any other
 * thrown value reaches the guest as a generic `Error` without internal details.
 */
export class HostCallError extends Error {
  constructor(
    readonly guestName: GuestErrorName,
    message: string,
  ) {
    super(message);
    this.name = "HostCallError";
  }
}

/** A value that may cross the host⇄guest boundary as a binding argument or result (JSON plus bytes). */
export type HostValue =
  | null
  | undefined
  | boolean
  | number
  | string
  | Uint8Array
  | HostValue[]
  | { [key: string]: HostValue };

/** A host method behind a binding; `signal` aborts when the execution ends. */
export type HostMethod = (args: HostValue[], signal: AbortSignal) => Promise<HostValue>;

/** One `env.<name>` binding: guest-side glue plus the host methods it may call. */
export interface BindingDefinition {
  /** env.<name> */
  name: string;
  /**
   * Guest JS source of a function expression `(call) => bindingObject`, evaluated
   * lazily the first time the script touches env.<name>. `call(method, ...args)`
   * returns a guest Promise of the host method's result.
   */
  guestSource: string;
  methods: Record<string, HostMethod>;
}
