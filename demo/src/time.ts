/** GET /api/time → the server's clock, as ISO 8601 and as epoch milliseconds. */
import { json } from "./json.js";

export default {
  fetch(): Response {
    const now = new Date();
    return json({ iso: now.toISOString(), epochMs: now.getTime() });
  },
};
