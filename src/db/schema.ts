/** Every area's tables in one barrel: drizzle-kit generates migrations from it and the client is typed by it. */
export * from "../apps/schema.js";
export * from "../auth/schema.js";
export * from "../bindings/docs/schema.js";
export * from "../bindings/email/schema.js";
export * from "../bindings/files/schema.js";
export * from "../bindings/kv/schema.js";
export * from "../bindings/secrets/schema.js";
export * from "../bindings/users/schema.js";
export * from "../email-in/schema.js";
export * from "../events/schema.js";
export * from "../executions/schema.js";
export * from "../realtime/schema.js";
export * from "../scripts/schema.js";
