/**
 * The page behind the one-time setup URL printed at first start: a form that
 * creates the first owner through POST /api/v1/admin/auth/setup. Plain HTML so
 * it works before the dashboard is built.
 */
export function setupPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>PiCloud setup</title>
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.5rem;box-sizing:border-box}button{margin-top:1rem;padding:.6rem 1.2rem}#msg{margin-top:1rem}</style>
</head><body>
<h1>Create the owner account</h1>
<p>This link works once. The account you create here owns this PiCloud instance.</p>
<form id="f">
<label for="email">E-mail</label><input id="email" type="email" required autocomplete="username">
<label for="password">Password (at least 10 characters)</label><input id="password" type="password" minlength="10" required autocomplete="new-password">
<button type="submit">Create owner</button>
</form>
<p id="msg" role="status"></p>
<script>
const token = new URLSearchParams(location.search).get("token") || "";
document.getElementById("f").addEventListener("submit", async (e) => {
  e.preventDefault();
  const msg = document.getElementById("msg");
  const res = await fetch("/api/v1/admin/auth/setup", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, email: document.getElementById("email").value, password: document.getElementById("password").value }) });
  const body = await res.json().catch(() => ({}));
  msg.textContent = res.ok ? "Owner created. You are logged in; use the CLI: picloud login" : (body.error && body.error.message) || "Setup failed";
});
</script>
</body></html>`;
}
