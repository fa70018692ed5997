import { describe, expect, it } from "vitest";
import { apps } from "../apps/schema.js";
import { testDbKinds } from "../testing/database.js";
import { useHarness } from "../testing/harness.js";

describe.each(testDbKinds())("requests that arrive during shutdown [%s]", (kind) => {
  const h = useHarness(kind);

  it("get 503 with Retry-After and Connection: close once shutdown has begun, and change nothing", async () => {
    const owner = await h.user("owner");
    expect((await owner.get("/apps")).status).toBe(200);
    h.services.shutdown.abort();
    const res = await owner.post("/apps", { name: "Late" });
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: "shutting_down" });
    expect(res.headers.get("retry-after")).toBe("1");
    expect(res.headers.get("connection")).toBe("close");
    const slugs = (await h.services.database.db.select().from(apps)).map((a) => a.slug);
    expect(slugs).toEqual(["default"]);
  });
});
