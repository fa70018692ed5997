/** Request bodies of the scripts admin API and of deploy manifests (valibot). */
import * as v from "valibot";
import { hostnameSchema } from "../apps/slug.js";
import { optionalIntegerBetween } from "../lib/http-validation.js";
import { MAX_LIMIT_MEMORY_MB, MAX_LIMIT_TIME_MS } from "./limit-ceilings.js";
import { methodSchema, routePathSchema, scriptNameSchema } from "./names.js";
import { DISPATCH_MODES, ISOLATIONS, SCRIPT_KINDS } from "./schema.js";

/** Scripts are stored and run as JS; 5 MiB is far above any sane bundle. */
export const MAX_SOURCE_BYTES = 5 * 1024 * 1024;

export const sourceSchema = v.pipe(
  v.string("source must be a string"),
  v.minLength(1, "source must not be empty"),
  v.check(
    (s) => Buffer.byteLength(s) <= MAX_SOURCE_BYTES,
    `source must be at most ${MAX_SOURCE_BYTES} bytes`,
  ),
);

export const limitsSchema = v.strictObject({
  timeMs: optionalIntegerBetween(
    10,
    "limits.timeMs must be at least 10",
    MAX_LIMIT_TIME_MS,
    `limits.timeMs must be at most ${MAX_LIMIT_TIME_MS}`,
  ),
  memoryMb: optionalIntegerBetween(
    8,
    "limits.memoryMb must be at least 8",
    MAX_LIMIT_MEMORY_MB,
    `limits.memoryMb must be at most ${MAX_LIMIT_MEMORY_MB}`,
  ),
});

export const isolationSchema = v.picklist(ISOLATIONS, `isolation must be one of ${ISOLATIONS.join(", ")}`);

export const routeSpecSchema = v.strictObject({
  methods: v.optional(v.array(methodSchema), []),
  path: routePathSchema,
  host: v.optional(v.nullable(hostnameSchema), null),
  dispatch: v.optional(
    v.picklist(DISPATCH_MODES, `dispatch must be one of ${DISPATCH_MODES.join(", ")}`),
    "sync",
  ),
});

export const createScriptBody = v.strictObject({
  name: scriptNameSchema,
  kind: v.optional(v.picklist(SCRIPT_KINDS, `kind must be one of ${SCRIPT_KINDS.join(", ")}`), "handler"),
  source: sourceSchema,
  isolation: v.optional(isolationSchema),
  limits: v.optional(limitsSchema),
});

export const patchScriptBody = v.pipe(
  v.strictObject({ isolation: v.optional(isolationSchema), limits: v.optional(limitsSchema) }),
  v.check((b) => Object.keys(b).length > 0, "give at least one of isolation, limits"),
);

export const createRouteBody = v.strictObject({
  script: v.pipe(v.string(), v.minLength(1)),
  ...routeSpecSchema.entries,
});

export const patchRouteBody = v.pipe(
  v.strictObject({
    script: v.optional(v.pipe(v.string(), v.minLength(1))),
    methods: v.optional(v.array(methodSchema)),
    path: v.optional(routePathSchema),
    host: v.optional(v.nullable(hostnameSchema)),
    dispatch: v.optional(v.picklist(DISPATCH_MODES, `dispatch must be one of ${DISPATCH_MODES.join(", ")}`)),
  }),
  v.check((b) => Object.keys(b).length > 0, "give at least one field to change"),
);

export const invokeBody = v.strictObject({
  entry: v.optional(
    v.picklist(
      ["fetch", "scheduled", "trigger", "email"],
      "entry must be fetch, scheduled, trigger or email",
    ),
    "fetch",
  ),
  request: v.optional(
    v.strictObject({
      method: v.optional(
        v.pipe(v.string(), v.regex(/^[A-Za-z]+$/, "request.method must be a method name")),
        "GET",
      ),
      path: v.optional(v.pipe(v.string(), v.startsWith("/", "request.path must start with /")), "/"),
      headers: v.optional(v.record(v.string(), v.string()), {}),
      body: v.optional(v.string()),
    }),
  ),
  event: v.optional(v.unknown()),
});

export const deployBody = v.strictObject({
  dryRun: v.optional(v.boolean(), false),
  name: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(100))),
  vars: v.optional(
    v.record(
      v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "var names must be identifiers")),
      v.string(),
    ),
  ),
  scripts: v.pipe(
    v.array(
      v.strictObject({
        name: scriptNameSchema,
        kind: v.optional(v.picklist(SCRIPT_KINDS), "handler"),
        source: sourceSchema,
        isolation: v.optional(isolationSchema, "none"),
        limits: v.optional(limitsSchema, {}),
        routes: v.optional(v.array(routeSpecSchema), []),
        /** Event triggers of this script; each kind's config is checked by the events area's deploy step. */
        triggers: v.optional(
          v.array(
            v.strictObject({
              kind: v.pipe(v.string(), v.minLength(1, "triggers: kind is required")),
              config: v.optional(v.record(v.string(), v.unknown()), {}),
              retry: v.optional(v.record(v.string(), v.unknown()), {}),
            }),
          ),
          [],
        ),
      }),
    ),
    v.check((s) => new Set(s.map((x) => x.name)).size === s.length, "scripts: each name may appear once"),
  ),
  /** Realtime topics; when present, the app's topics become exactly these (checked by the realtime deploy step). */
  topics: v.optional(
    v.array(
      v.strictObject({
        name: v.string("topics: name must be a string"),
        external: v.optional(v.boolean("topics: external must be true or false")),
        auth: v.optional(v.string("topics: auth must be a string")),
        role: v.optional(v.nullable(v.string("topics: role must be a string"))),
      }),
    ),
  ),
  /**
   * `[email]` of picloud.toml: `senders` become the app's allowed senders (the e-mail deploy step);
   * `addresses` and `domains`, when present, become exactly the app's inbound claims (the email-in step).
   */
  email: v.optional(
    v.strictObject({
      senders: v.optional(
        v.array(v.string("email.senders must be strings"), "email.senders must be an array"),
      ),
      addresses: v.optional(v.array(v.string("email.addresses must be strings"))),
      domains: v.optional(v.array(v.string("email.domains must be strings"))),
    }),
  ),
  /** `[users]` of picloud.toml: end-user settings, checked by the users deploy step. */
  users: v.optional(v.unknown()),
});
export type DeployManifest = v.InferOutput<typeof deployBody>;
