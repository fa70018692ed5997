/**
 * Builds the one Hono app of the process: health, the admin API (one mount line
 * per area), the setup page, and the data plane for everything else — split by
 * host into the admin origin and the apps' origins (origin-split.ts).
 */
import { getConnInfo } from "@hono/node-server/conninfo";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { appRoutes } from "../apps/routes.js";
import { apiKeyRoutes } from "../auth/api-key-routes.js";
import { crossOriginGuard } from "../auth/csrf.js";
import { type AdminContext, type AdminEnv, authenticate } from "../auth/http.js";
import { sessionRoutes } from "../auth/session-routes.js";
import { userRoutes } from "../auth/user-routes.js";
import { docsRoutes } from "../bindings/docs/routes.js";
import { emailRoutes } from "../bindings/email/routes.js";
import { fileRoutes } from "../bindings/files/routes.js";
import { kvRoutes } from "../bindings/kv/routes.js";
import { secretKeyRoutes, secretRoutes } from "../bindings/secrets/routes.js";
import { authEndpoints, sessionToken } from "../bindings/users/endpoints.js";
import { userRoutes as endUserRoutes } from "../bindings/users/routes.js";
import { dataPlaneHandler } from "../dataplane/http-handler.js";
import { invokeRoutes } from "../dataplane/invoke-routes.js";
import { emailInRoutes } from "../email-in/routes.js";
import { cronRoutes } from "../events/cron-routes.js";
import { eventRoutes } from "../events/routes.js";
import { executionRoutes } from "../executions/routes.js";
import { PicloudError } from "../lib/errors.js";
import { storablePath } from "../lib/http-validation.js";
import { topicRoutes } from "../realtime/routes.js";
import { realtimeRoutes } from "../realtime/sse-endpoint.js";
import { scriptRoutes } from "../scripts/routes.js";
import { dashboardRoutes } from "./dashboard.js";
import { errorBody, handleError } from "./errors.js";
import { healthRoutes } from "./health.js";
import { originSplit } from "./origin-split.js";
import { reencryptAll } from "./rotate-secrets.js";
import type { Services } from "./services.js";

const ADMIN_BODY_LIMIT = 1024 * 1024;
/** A deploy carries every script of an app (each up to 5 MiB). */
const CODE_BODY_LIMIT = 32 * 1024 * 1024;
const CODE_UPLOAD = /\/(deploy|scripts|versions)$/;
/** File uploads may be as large as a file may be (PICLOUD_MAX_FILE_BYTES). */
const FILE_UPLOAD = /\/apps\/[^/]+\/files\/content\//;

function clientAddress(c: AdminContext, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown"; // in-process requests (tests) have no socket
  }
}

export function createHttpApp(services: Services): Hono<AdminEnv> {
  const { log, options } = services;
  const secureCookies = (c: AdminContext) =>
    options.publicUrl.startsWith("https:") ||
    new URL(c.req.url).protocol === "https:" ||
    (options.trustProxy && c.req.header("x-forwarded-proto") === "https");

  const invoke = invokeRoutes(services);
  const admin = new Hono<AdminEnv>()
    .use(async (c, next) => {
      // Code uploads (deploys, new versions) may be large; everything else stays small.
      const max = CODE_UPLOAD.test(c.req.path)
        ? CODE_BODY_LIMIT
        : c.req.method === "PUT" && FILE_UPLOAD.test(c.req.path)
          ? Math.max(services.files.maxFileBytes, ADMIN_BODY_LIMIT)
          : ADMIN_BODY_LIMIT;
      return bodyLimit({
        maxSize: max,
        onError: () => {
          throw new PicloudError(413, "payload_too_large", `request body is larger than ${max} bytes`);
        },
      })(c, next);
    })
    .use(crossOriginGuard(options.publicUrl))
    .use(storablePath())
    .use(authenticate(services))
    .route("/auth", sessionRoutes({ ...services, secureCookies }))
    .route("/users", userRoutes(services.users))
    .route(
      "/api-keys",
      apiKeyRoutes({ apiKeys: services.apiKeys, resolveApp: (p, ref) => services.apps.load(p, ref) }),
    )
    .route(
      "/apps",
      appRoutes({ ...services, unresolvedDeadLetters: (ids) => services.deadLetters.unresolvedCounts(ids) }),
    )
    .route("/apps", scriptRoutes(services))
    .route("/apps", executionRoutes({ ...services, queries: services.executions }))
    .route("/apps", invoke.byApp)
    .route("/apps", eventRoutes(services))
    .route("/apps", fileRoutes(services))
    .route("/apps", kvRoutes(services))
    .route("/apps", docsRoutes(services))
    .route("/apps", topicRoutes(services))
    .route("/apps", cronRoutes(services))
    .route("/apps", secretRoutes(services))
    .route("/apps", emailRoutes(services))
    .route("/apps", emailInRoutes(services))
    .route("/apps", endUserRoutes(services))
    .route("/scripts", invoke.byId)
    .route(
      "/secret-key",
      secretKeyRoutes({ keyIds: services.masterKeyIds, reencrypt: () => reencryptAll(services) }),
    )
    .all("*", (c) => c.json(errorBody("not_found", `no admin endpoint ${c.req.method} ${c.req.path}`), 404));

  const app = new Hono<AdminEnv>();
  app.use(requestId());
  app.use(async (c, next) => {
    // Once shutdown has begun, a request arriving on a kept-alive connection would start work
    // (or a stream) that the closing process cannot finish: send the client elsewhere instead.
    if (!services.shutdown.signal.aborted) return next();
    // A browser's EventSource gives up for good on an HTTP error but retries after a network
    // error, so a stream request gets its connection dropped; everything else gets a 503.
    const socket = (c.env as { incoming?: { socket?: { destroy(): void } } } | undefined)?.incoming?.socket;
    if (socket && c.req.header("accept")?.includes("text/event-stream")) {
      socket.destroy();
      return c.body(null, 503);
    }
    c.header("connection", "close");
    c.header("retry-after", "1");
    return c.json(errorBody("shutting_down", "PiCloud is shutting down; retry in a moment"), 503);
  });
  app.use(async (c, next) => {
    c.set("log", log);
    c.set("clientAddress", clientAddress(c, options.trustProxy));
    await next();
  });
  app.use(services.metrics.middleware());
  const auth = authEndpoints(services.appUsers);
  const dataPlane = dataPlaneHandler({
    ...services,
    authEndpoints: {
      enabled: async (appId) => (await services.appUsers.settings(appId)).endpoints,
      fetch: (req, env) => auth.fetch(req, env),
    },
    config: options.runtime,
    trustProxy: options.trustProxy,
  });
  app.use(
    originSplit({
      admin: services.adminOrigin,
      baseDomain: options.baseDomain,
      appOnAdminHost: (options.adminHostApp ?? null) !== null,
      dataPlane,
    }),
  );
  app.onError(handleError);
  app.get("/metrics", async (c) => {
    c.header("content-type", services.metrics.registry.contentType);
    return c.body(await services.metrics.registry.metrics());
  });
  app.route("/", healthRoutes(services.database));
  app.route("/api/v1/admin", admin);
  app.route(
    "/realtime",
    realtimeRoutes({
      ...services,
      tokens: services.subscriberTokens,
      config: options.realtime,
      endUser: async (appId, headers, queryToken) => {
        const token = sessionToken(headers) ?? queryToken;
        return token ? services.appUsers.verify(appId, token) : null;
      },
    }),
  );
  // The dashboard (static files); its prefix is reserved: nothing under /admin reaches scripts.
  app.route("/", dashboardRoutes());
  app.all("*", dataPlane);
  return app;
}
