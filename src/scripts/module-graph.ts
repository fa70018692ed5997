/**
 * Links a script to the app's modules (SPEC §1): `import { slugify } from
 * "lib/text"` names the app's module script `lib/text`. Resolved when a version
 * is created, transitively, inside the caller's transaction: the result pins
 * each module to the version that was current then. A missing module or an
 * import cycle fails the deploy with the import chain.
 */
import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { badRequest } from "../lib/errors.js";
import { importsOf } from "./imports.js";
import { scripts, scriptVersions } from "./schema.js";

/** module name → pinned script version id */
export type ModulePins = Record<string, string>;

export async function resolveModules(
  tx: DbOrTx,
  appId: string,
  scriptName: string,
  source: string,
): Promise<ModulePins> {
  const pins: ModulePins = {};
  const visit = async (name: string, src: string, chain: string[]) => {
    for (const spec of await importsOf(src, name)) {
      const path = [...chain, spec];
      if (chain.includes(spec)) throw badRequest(`import cycle: ${path.join(" → ")}`, { chain: path });
      if (pins[spec]) continue;
      const [row] = await tx
        .select({ kind: scripts.kind, versionId: scripts.currentVersionId, source: scriptVersions.source })
        .from(scripts)
        .leftJoin(scriptVersions, eq(scriptVersions.id, scripts.currentVersionId))
        .where(and(eq(scripts.appId, appId), eq(scripts.name, spec)));
      if (!row?.versionId || row.source === null) {
        throw badRequest(`module "${spec}" not found in this app (import chain: ${path.join(" → ")})`, {
          chain: path,
        });
      }
      if (row.kind !== "module") {
        throw badRequest(
          `"${spec}" is a handler script, not a module: only modules can be imported (import chain: ${path.join(" → ")})`,
          {
            chain: path,
          },
        );
      }
      pins[spec] = row.versionId;
      await visit(spec, row.source, path);
    }
  };
  await visit(scriptName, source, [scriptName]);
  return pins;
}

/** Same pins, whatever the key order. */
export function samePins(a: ModulePins, b: ModulePins): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
