import { describe, expect, it } from "vitest";
import { GroupCommit } from "./group-commit.js";

/** A write that holds until `release()` is called, recording each batch it was given. */
function gatedWriter() {
  const batches: number[][] = [];
  let release: () => void = () => {};
  const write = async (items: number[]) => {
    batches.push(items);
    await new Promise<void>((resolve) => {
      release = resolve;
    });
  };
  return { batches, write, release: () => release() };
}

describe("GroupCommit", () => {
  it("writes the first item at once and everything added meanwhile in the next write", async () => {
    const w = gatedWriter();
    const group = new GroupCommit(w.write);
    const first = group.add(1);
    await expect.poll(() => w.batches.length).toBe(1);
    const rest = [group.add(2), group.add(3), group.add(4)];
    w.release();
    await first;
    await expect.poll(() => w.batches.length).toBe(2);
    w.release();
    await Promise.all(rest);
    expect(w.batches).toEqual([[1], [2, 3, 4]]);
  });

  it("splits a backlog into batches of at most maxBatch", async () => {
    const batches: number[][] = [];
    const group = new GroupCommit<number>(async (items) => {
      batches.push(items);
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map((i) => group.add(i)));
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("rejects exactly the items of a failed write, and goes on with the next ones", async () => {
    let calls = 0;
    const group = new GroupCommit<number>(async (items) => {
      if (++calls === 1) throw new Error(`lost ${items.join(",")}`);
    }, 2);
    const results = await Promise.allSettled([1, 2, 3].map((i) => group.add(i)));
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "fulfilled"]);
    expect((results[0] as PromiseRejectedResult).reason.message).toBe("lost 1,2");
    await expect(group.add(4)).resolves.toBeUndefined();
  });
});
