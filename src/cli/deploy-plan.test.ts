import { describe, expect, it } from "vitest";
import { changeLine, planLines } from "./deploy-plan.js";

describe("the deploy plan as printed", () => {
  it.each([
    [{ action: "create", kind: "app", name: "blog" }, "+ app blog"],
    [
      { action: "create", kind: "script", name: "api", detail: "handler, version 1" },
      "+ script api (handler, version 1)",
    ],
    [{ action: "update", kind: "script", name: "api", detail: "version 3" }, "~ script api (version 3)"],
    [{ action: "delete", kind: "route", name: "GET /old", detail: "api" }, "- route GET /old (api)"],
    [{ action: "create", kind: "route", name: "GET /posts", detail: "api" }, "+ route GET /posts (api)"],
    [{ action: "update", kind: "vars", name: "vars", detail: "+TITLE" }, "~ vars (+TITLE)"],
  ] as const)("%j → %s", (change, line) => {
    expect(changeLine(change)).toBe(line);
  });

  const changes = [
    { action: "update", kind: "script", name: "api", detail: "version 2" },
    { action: "create", kind: "route", name: "GET /posts", detail: "api" },
  ] as const;

  it("lists the changes and counts them", () => {
    expect(
      planLines({ app: { slug: "blog", created: false }, dryRun: false, changes: [...changes] }),
    ).toEqual(["~ script api (version 2)", "+ route GET /posts (api)", "Deployed app blog: 2 changes."]);
  });

  it("says what a dry run would do", () => {
    expect(planLines({ app: { slug: "blog", created: false }, dryRun: true, changes: [changes[0]] })).toEqual(
      ["Would make 1 change to app blog (dry run: nothing was changed):", "~ script api (version 2)"],
    );
  });

  it("says when there is nothing to do", () => {
    expect(planLines({ app: { slug: "blog", created: false }, dryRun: false, changes: [] })).toEqual([
      "No changes: app blog is up to date.",
    ]);
  });
});
