/** `picloud scripts ls | show <name> | rm <name> | versions <name> | rollback <name> <version>`. */
import { parseArgs } from "node:util";
import type { CliEnv } from "../config/cli.js";
import { adminClient, CliError } from "./api-client.js";
import { APP_LISTING_OPTIONS, appPath, resolveApp } from "./app-option.js";
import { type CliIo, parseOutputFormat, printList, printObject } from "./output.js";

interface Script {
  id: string;
  name: string;
  kind: string;
  isolation: string;
  limits: { timeMs?: number; memoryMb?: number };
  currentVersion: number | null;
  updatedAt: string;
}

interface Route {
  id: string;
  scriptName: string;
  methods: string[];
  path: string;
  host: string | null;
  dispatch: string;
}

interface Version {
  version: number;
  current: boolean;
  size: number;
  sourceHash: string;
  createdAt: string;
}

export const SCRIPTS_USAGE =
  "usage: picloud scripts ls | show <name> [--source] | rm <name> | versions <name> | rollback <name> <version>  [--app <slug>] [--output json]";

/** `GET,POST /posts` (`*` for any method), with the host when the route has one. */
export function routeText(r: Pick<Route, "methods" | "path" | "host" | "dispatch">): string {
  const methods = r.methods.length ? r.methods.join(",") : "*";
  return `${methods} ${r.host ?? ""}${r.path}${r.dispatch === "async" ? " (async)" : ""}`;
}

export async function scriptsCommand(args: string[], env: CliEnv, io: CliIo): Promise<void> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      ...APP_LISTING_OPTIONS,
      source: { type: "boolean" },
    },
  });
  const format = parseOutputFormat(values.output);
  const app = resolveApp(values.app);
  const client = adminClient(env);
  const name = () => {
    if (!positionals[0]) throw new CliError(SCRIPTS_USAGE, 2);
    return positionals[0];
  };
  const scriptPath = () => `${appPath(app)}/scripts/${encodeURIComponent(name())}`;

  switch (sub) {
    case "ls":
    case "list": {
      const { scripts } = await client.request<{ scripts: Script[] }>("GET", `${appPath(app)}/scripts`);
      const { routes } = await client.request<{ routes: Route[] }>("GET", `${appPath(app)}/routes`);
      const rows = scripts.map((s) => ({
        name: s.name,
        kind: s.kind,
        version: s.currentVersion,
        isolation: s.isolation,
        routes: routes.filter((r) => r.scriptName === s.name).map(routeText),
      }));
      printList(io, format, rows, ["name", "kind", "version", "isolation", "routes"], scripts, {
        stacked: ["routes"],
      });
      return;
    }
    case "show": {
      const answer = await client.request<{ script: Script; routes: Route[] }>("GET", scriptPath());
      const s = answer.script;
      let source: string | undefined;
      if (values.source && s.currentVersion) {
        const { version } = await client.request<{ version: { source: string } }>(
          "GET",
          `${scriptPath()}/versions/${s.currentVersion}`,
        );
        source = version.source;
      }
      if (format === "json") {
        io.out(JSON.stringify(source === undefined ? answer : { ...answer, source }, null, 2));
        return;
      }
      printObject(io, format, {
        app,
        name: s.name,
        id: s.id,
        kind: s.kind,
        version: s.currentVersion,
        isolation: s.isolation,
        limits: Object.keys(s.limits).length ? s.limits : "defaults",
        routes: answer.routes.length ? answer.routes.map(routeText).join(", ") : "-",
        updated: s.updatedAt,
      });
      if (source !== undefined) io.out(`\n${source}`);
      return;
    }
    case "rm":
    case "delete": {
      await client.request("DELETE", scriptPath());
      io.out(`Deleted script ${name()} from app ${app}`);
      return;
    }
    case "versions": {
      const { versions } = await client.request<{ versions: Version[] }>("GET", `${scriptPath()}/versions`);
      const rows = versions.map((v) => ({
        version: v.version,
        current: v.current ? "*" : "",
        size: v.size,
        sha256: v.sourceHash.slice(0, 12),
        created: v.createdAt,
      }));
      printList(io, format, rows, ["version", "current", "size", "sha256", "created"], versions);
      return;
    }
    case "rollback": {
      const version = Number(positionals[1]);
      if (!Number.isInteger(version) || version < 1) throw new CliError(SCRIPTS_USAGE, 2);
      const { script } = await client.request<{ script: Script }>("POST", `${scriptPath()}/rollback`, {
        version,
      });
      if (format === "json") io.out(JSON.stringify({ script }, null, 2));
      else io.out(`Script ${script.name} of app ${app} now runs version ${script.currentVersion}`);
      return;
    }
    default:
      throw new CliError(SCRIPTS_USAGE, 2);
  }
}
