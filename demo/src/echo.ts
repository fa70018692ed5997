/** POST /api/echo with a JSON body → the same JSON back, with what PiCloud saw of the request. */
import { json } from "./json.js";

export default {
  async fetch(request: Request): Promise<Response> {
    const text = await request.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return json({ error: 'send a JSON body, e.g. -d \'{"hello":"pi"}\'' }, 400);
    }
    return json({
      echo: body,
      contentType: request.headers.get("content-type"),
      characters: text.length,
    });
  },
};
