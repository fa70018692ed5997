/** POST /api/publish → publishes the JSON body to the `demo` topic; every open /live page (and any @picloud/client subscriber) gets it. */
import { json } from "./json";

interface Env {
  pubsub: { publish(topic: string, message: unknown): Promise<{ id: string }> };
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    let body: unknown;
    try {
      body = await request.json();
    } catch {
      return json({ error: 'send a JSON body, e.g. {"text": "hello"}' }, 400);
    }
    const { id } = await env.pubsub.publish("demo", body);
    return json({ ok: true, id });
  },
};
