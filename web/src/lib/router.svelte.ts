/**
 * A small history router under /admin: the daemon answers every /admin path
 * with index.html, so deep links and reloads land on the right page.
 */
const BASE = "/admin";

function current(): string {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return p === "" ? "/" : p;
}

export const route = $state({ path: current(), search: location.search });

export function navigate(to: string, replace = false): void {
  const url = new URL(BASE + to, location.origin);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  route.path = current();
  route.search = url.search;
  window.scrollTo(0, 0);
}

addEventListener("popstate", () => {
  route.path = current();
  route.search = location.search;
});

/** Internal links: plain <a href="/admin/…"> clicks become navigations without a reload. */
export function handleLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest?.("a");
  if (!a || a.target || a.hasAttribute("download")) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(`${BASE}/`)) return;
  e.preventDefault();
  navigate(url.pathname.slice(BASE.length) + url.search);
}

/** `/apps/:app/scripts/:script` against a path: the params, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const ps = pattern.split("/");
  const xs = path.replace(/\/$/, "").split("/");
  if (ps.length !== xs.length) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    const x = xs[i]!;
    if (p.startsWith(":")) {
      if (!x) return null;
      out[p.slice(1)] = decodeURIComponent(x);
    } else if (p !== x) return null;
  }
  return out;
}

export const href = (to: string) => BASE + to;
