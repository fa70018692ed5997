/**
 * Framework-neutral call state for an async function (usually an endpoint):
 * data, error, loading, where only the latest call may change the state.
 */

export interface EndpointState<Res> {
  data: Res | undefined;
  error: Error | undefined;
  loading: boolean;
}

export interface EndpointRunner<Args extends unknown[], Res> {
  readonly state: EndpointState<Res>;
  /** Resolves with the result, or with undefined when the call failed (see `state.error`); never rejects. */
  call(...args: Args): Promise<Res | undefined>;
  /** Back to the initial state; results of calls still in flight are ignored. */
  reset(): void;
  subscribe(listener: (state: EndpointState<Res>) => void): () => void;
}

export function createEndpointRunner<Args extends unknown[], Res>(
  fn: (...args: Args) => Promise<Res>,
): EndpointRunner<Args, Res> {
  const listeners = new Set<(state: EndpointState<Res>) => void>();
  let state: EndpointState<Res> = { data: undefined, error: undefined, loading: false };
  let latest = 0;

  const set = (next: EndpointState<Res>) => {
    state = next;
    for (const listener of listeners) listener(state);
  };

  return {
    get state() {
      return state;
    },
    async call(...args) {
      const id = ++latest;
      set({ ...state, loading: true, error: undefined });
      try {
        const data = await fn(...args);
        if (id === latest) set({ data, error: undefined, loading: false });
        return data;
      } catch (cause) {
        const error = cause instanceof Error ? cause : new Error(String(cause));
        if (id === latest) set({ ...state, error, loading: false });
        return undefined;
      }
    },
    reset() {
      latest++;
      set({ data: undefined, error: undefined, loading: false });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
