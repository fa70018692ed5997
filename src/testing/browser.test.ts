import { describe, expect, it } from "vitest";
import { browserSkipReason, chromiumPath } from "./browser.js";

describe("whether the browser tests run", () => {
  const nowhere = () => false;
  const everywhere = () => true;

  it("skips off CI when Chromium is missing, naming the browser, the path and how to get it", () => {
    const reason = browserSkipReason({}, nowhere);
    expect(reason).toContain("Chromium not found at /usr/bin/chromium");
    expect(reason).toContain("apt-get install chromium");
    expect(reason).toContain("PICLOUD_CHROMIUM");
  });

  it("always runs under CI=true, even without Chromium (CI installs it; a loss must fail)", () => {
    expect(browserSkipReason({ CI: "true" }, nowhere)).toBeNull();
  });

  it("runs when Chromium is there, at the default or at PICLOUD_CHROMIUM", () => {
    expect(browserSkipReason({}, everywhere)).toBeNull();
    const seen: string[] = [];
    browserSkipReason({ PICLOUD_CHROMIUM: "/opt/chrome/chrome" }, (f) => {
      seen.push(f);
      return true;
    });
    expect(seen).toEqual(["/opt/chrome/chrome"]);
    expect(chromiumPath({ PICLOUD_CHROMIUM: "/opt/chrome/chrome" })).toBe("/opt/chrome/chrome");
  });
});
