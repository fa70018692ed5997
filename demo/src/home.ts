/** GET / → a small page introducing PiCloud and the demo endpoints. */

/** The demo's endpoints, as the page lists them; add a line when you add a route. */
const ENDPOINTS: { method: string; path: string; about: string; curl: string }[] = [
  {
    method: "GET",
    path: "/api/hello?name=Ada",
    about: "a JSON greeting (the word comes from [vars] in picloud.toml)",
    curl: "curl 'http://HOST/api/hello?name=Ada'",
  },
  {
    method: "POST",
    path: "/api/echo",
    about: "sends your JSON body back",
    curl: `curl -X POST http://HOST/api/echo -H 'content-type: application/json' -d '{"hello":"pi"}'`,
  },
  {
    method: "GET",
    path: "/api/time",
    about: "the server's clock",
    curl: "curl http://HOST/api/time",
  },
  {
    method: "GET",
    path: "/api/count",
    about: "a visit counter kept in env.kv",
    curl: "curl http://HOST/api/count",
  },
  {
    method: "GET",
    path: "/live",
    about: "a page that streams the demo topic live (open it in two tabs)",
    curl: `curl -N http://HOST/realtime/topics/demo   # the raw Server-Sent Events`,
  },
  {
    method: "POST",
    path: "/api/publish",
    about: "publishes your JSON body to the demo topic",
    curl: `curl -X POST http://HOST/api/publish -H 'content-type: application/json' -d '{"text":"hi"}'`,
  },
];

const html = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function page(host: string): string {
  const rows = ENDPOINTS.map(
    (e) => `
      <li>
        <p><span class="method">${e.method}</span> ${
          e.method === "GET"
            ? `<a href="${html(e.path)}">${html(e.path)}</a>`
            : `<code>${html(e.path)}</code>`
        } — ${html(e.about)}</p>
        <pre>${html(e.curl.replaceAll("HOST", host))}</pre>
      </li>`,
  ).join("");
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>PiCloud</title>
  <style>
    body { font: 16px/1.5 system-ui, sans-serif; max-width: 44rem; margin: 3rem auto; padding: 0 1rem; color: #1d2433; }
    h1 { font-size: 2rem; margin-bottom: 0.2rem; }
    .tagline { color: #5a6378; margin-top: 0; }
    ul { list-style: none; padding: 0; }
    li { border: 1px solid #e3e6ee; border-radius: 8px; padding: 0.2rem 1rem; margin: 0.8rem 0; }
    .method { font: 600 0.8rem ui-monospace, monospace; background: #1d2433; color: #fff; border-radius: 4px; padding: 0.1rem 0.4rem; }
    pre { background: #f5f6fa; padding: 0.6rem; border-radius: 6px; overflow-x: auto; font-size: 0.85rem; }
    code { font-family: ui-monospace, monospace; }
    a { color: #2457d6; }
  </style>
</head>
<body>
  <h1>PiCloud is running</h1>
  <p class="tagline">A self-hosted serverless runtime small enough for a Raspberry Pi.</p>
  <p>This page is a script: <code>demo/src/home.ts</code>, deployed from <code>picloud.toml</code>.
    Each request runs in a fresh QuickJS sandbox. Try the demo endpoints:</p>
  <ul>${rows}
  </ul>
  <h2>Make it yours</h2>
  <p>Edit a handler in <code>demo/src/</code> or add one to <code>picloud.toml</code>, then:</p>
  <pre>picloud login
picloud deploy
picloud tail      # live logs of every request</pre>
  <p>The admin API lives under <code>/api/v1/admin</code>; see <code>docs/deploy.md</code> and <code>docs/cli.md</code>.</p>
</body>
</html>
`;
}

export default {
  fetch(request: Request): Response {
    const host = request.headers.get("host") ?? new URL(request.url).host;
    return new Response(page(host), { headers: { "content-type": "text/html; charset=utf-8" } });
  },
};
