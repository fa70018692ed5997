import { describe, expect, it } from "vitest";
import { type CliIo, printList } from "./output.js";

function capture(): CliIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(l) };
}

describe("printList", () => {
  const rows = [
    { name: "api", version: 3, routes: ["GET /posts", "POST /posts", "GET /posts/:id"] },
    { name: "cron", version: 1, routes: [] as string[] },
  ];

  it("prints a stacked column one item per line, the other columns blank on continuation lines", () => {
    const io = capture();
    printList(io, "table", rows, ["name", "version", "routes"], rows, { stacked: ["routes"] });
    expect(io.lines).toEqual([
      "NAME  VERSION  ROUTES",
      "api   3        GET /posts",
      "               POST /posts",
      "               GET /posts/:id",
      "cron  1        -",
    ]);
  });

  it("joins array cells with commas when the column is not stacked", () => {
    const io = capture();
    printList(io, "table", rows.slice(0, 1), ["name", "routes"]);
    expect(io.lines[1]).toBe("api   GET /posts,POST /posts,GET /posts/:id");
  });

  it("prints the raw value as JSON with --output json", () => {
    const io = capture();
    printList(io, "json", rows, ["name"], { scripts: rows }, { stacked: ["routes"] });
    expect(JSON.parse(io.lines.join("\n"))).toEqual({ scripts: rows });
  });
});
