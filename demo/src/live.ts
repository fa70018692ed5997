/**
 * GET /live → a page that subscribes to the `demo` topic with the browser's
 * own EventSource and lists every message; the form publishes through
 * POST /api/publish. Reconnects resume with Last-Event-ID, so a dropped
 * connection loses nothing.
 */
const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>PiCloud live</title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #1d2433; }
    #status { font-size: 0.9rem; color: #5a6378; }
    #messages li { border-bottom: 1px solid #e3e6ee; padding: 0.3rem 0; }
    form { display: flex; gap: 0.5rem; }
    input { flex: 1; padding: 0.4rem; }
  </style>
</head>
<body>
  <h1>Live messages</h1>
  <p id="status">connecting…</p>
  <form id="send"><input id="text" placeholder="Say something" autocomplete="off"><button>Publish</button></form>
  <ul id="messages"></ul>
  <script>
    const list = document.getElementById("messages");
    const status = document.getElementById("status");
    const seen = new Set();
    const source = new EventSource("/realtime/topics/demo");
    source.onopen = () => { status.textContent = "connected"; };
    source.onerror = () => { status.textContent = "reconnecting…"; };
    source.addEventListener("message", (e) => {
      if (seen.has(e.lastEventId)) return;
      seen.add(e.lastEventId);
      const { message } = JSON.parse(e.data);
      const li = document.createElement("li");
      li.dataset.id = e.lastEventId;
      li.textContent = typeof message === "object" && message && "text" in message ? message.text : JSON.stringify(message);
      list.append(li);
    });
    document.getElementById("send").addEventListener("submit", async (e) => {
      e.preventDefault();
      const input = document.getElementById("text");
      await fetch("/api/publish", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: input.value }) });
      input.value = "";
    });
  </script>
</body>
</html>
`;

export default {
  fetch(): Response {
    return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
  },
};
