/**
 * A plain Hono app, exactly as it would be written for Cloudflare Workers or
 * Bun: `picloud deploy` bundles it (with Hono from node_modules) into one
 * script, and PiCloud sends every request of the app to it (route `/*`).
 */
import { Hono } from "hono";

type Bindings = { APP_TITLE: string };

interface Book {
  id: number;
  title: string;
  author: string;
}

const books: Book[] = [
  { id: 1, title: "The Left Hand of Darkness", author: "Ursula K. Le Guin" },
  { id: 2, title: "Kindred", author: "Octavia E. Butler" },
  { id: 3, title: "Solaris", author: "Stanisław Lem" },
];

const app = new Hono<{ Bindings: Bindings }>();

app.get("/", (c) => c.text(`${c.env.APP_TITLE}: try /books, /books/1, /search?q=kin or POST /books`));

// Path parameters
app.get("/books/:id", (c) => {
  const id = Number(c.req.param("id"));
  const book = books.find((b) => b.id === id);
  if (!book) return c.json({ error: `no book ${c.req.param("id")}` }, 404);
  return c.json(book);
});

app.get("/books", (c) => c.json(books));

// Query strings (repeated keys too: ?tag=a&tag=b)
app.get("/search", (c) => {
  const q = (c.req.query("q") ?? "").toLowerCase();
  const limit = Number(c.req.query("limit") ?? "10");
  const hits = books.filter((b) => b.title.toLowerCase().includes(q)).slice(0, limit);
  return c.json({ q, limit, tags: c.req.queries("tag") ?? [], hits });
});

// JSON bodies and status codes
app.post("/books", async (c) => {
  const body = await c.req.json<Partial<Book>>().catch(() => null);
  if (!body || typeof body.title !== "string" || typeof body.author !== "string") {
    return c.json({ error: "send {title, author} as JSON" }, 400);
  }
  // Each request runs in a fresh sandbox: nothing is stored between requests.
  const book: Book = { id: books.length + 1, title: body.title, author: body.author };
  c.header("location", `/books/${book.id}`);
  return c.json(book, 201);
});

// Request and response headers
app.get("/headers", (c) => {
  c.header("x-powered-by", "hono-on-picloud");
  c.header("cache-control", "no-store");
  return c.json({
    userAgent: c.req.header("user-agent") ?? null,
    requestId: c.req.header("x-request-id") ?? null,
  });
});

app.get("/teapot", (c) => c.text("I'm a teapot", 418));

app.get("/boom", () => {
  throw new Error("something broke");
});

app.notFound((c) => c.json({ error: "not found", path: c.req.path }, 404));

app.onError((err, c) => {
  console.error(`error on ${c.req.path}: ${err.message}`);
  return c.json({ error: err.message }, 500);
});

export default app;
