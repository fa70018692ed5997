/** GET /api/count → counts visits in env.kv (durable across restarts). */
import { json } from "./json";

interface Env {
  kv: {
    collection(name: string): {
      get(key: string): Promise<unknown>;
      set(key: string, value: unknown): Promise<void>;
    };
  };
}

export default {
  async fetch(_request: Request, env: Env): Promise<Response> {
    const counters = env.kv.collection("counters");
    const visits = Number((await counters.get("visits")) ?? 0) + 1;
    await counters.set("visits", visits);
    return json({ visits });
  },
};
