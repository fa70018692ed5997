/** How a deploy's changes read: `+ script api (handler, version 1)`, `~ vars (+TITLE)`, `- route GET /old (api)`. */

import type { PlannedChange } from "../scripts/deploy.js";

/** One line of a deploy plan, as the server computes it. */
export type DeployChange = PlannedChange;

export interface DeployAnswer {
  app: { id?: string; slug: string; created: boolean };
  dryRun: boolean;
  changes: DeployChange[];
}

const SYMBOL = { create: "+", update: "~", delete: "-" } as const;

export function changeLine(c: DeployChange): string {
  const subject = c.kind === "vars" ? "vars" : `${c.kind} ${c.name}`;
  return `${SYMBOL[c.action]} ${subject}${c.detail ? ` (${c.detail})` : ""}`;
}

const plural = (n: number) => `${n} change${n === 1 ? "" : "s"}`;

/** The lines `picloud deploy` prints for a server answer. */
export function planLines(answer: DeployAnswer): string[] {
  const slug = answer.app.slug;
  if (answer.changes.length === 0) return [`No changes: app ${slug} is up to date.`];
  const lines = answer.changes.map(changeLine);
  if (answer.dryRun)
    return [
      `Would make ${plural(answer.changes.length)} to app ${slug} (dry run: nothing was changed):`,
      ...lines,
    ];
  return [...lines, `Deployed app ${slug}: ${plural(answer.changes.length)}.`];
}
