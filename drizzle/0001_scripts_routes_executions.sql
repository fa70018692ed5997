CREATE TABLE "executions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"app_id" uuid NOT NULL,
	"script_id" uuid NOT NULL,
	"script_name" text NOT NULL,
	"version_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"root_id" uuid NOT NULL,
	"depth" integer DEFAULT 0 NOT NULL,
	"trigger" text NOT NULL,
	"entry" text NOT NULL,
	"status" text NOT NULL,
	"http_status" integer,
	"request" text,
	"duration_ms" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"error" jsonb,
	"late_error" jsonb,
	"logs" jsonb NOT NULL,
	"logs_truncated" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "routes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"app_id" uuid NOT NULL,
	"script_id" uuid NOT NULL,
	"methods" text[] NOT NULL,
	"path" text NOT NULL,
	"host" text,
	"dispatch" text DEFAULT 'sync' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "routes_dispatch_check" CHECK ("routes"."dispatch" in ('sync', 'async'))
);
--> statement-breakpoint
CREATE TABLE "script_versions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"script_id" uuid NOT NULL,
	"app_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"source" text NOT NULL,
	"source_hash" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "script_versions_script_version_unique" UNIQUE("script_id","version")
);
--> statement-breakpoint
CREATE TABLE "scripts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"app_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"isolation" text DEFAULT 'none' NOT NULL,
	"limits" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"current_version_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scripts_app_name_unique" UNIQUE("app_id","name"),
	CONSTRAINT "scripts_kind_check" CHECK ("scripts"."kind" in ('handler', 'module')),
	CONSTRAINT "scripts_isolation_check" CHECK ("scripts"."isolation" in ('none', 'script'))
);
--> statement-breakpoint
ALTER TABLE "routes" ADD CONSTRAINT "routes_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "routes" ADD CONSTRAINT "routes_script_id_scripts_id_fk" FOREIGN KEY ("script_id") REFERENCES "public"."scripts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "script_versions" ADD CONSTRAINT "script_versions_script_id_scripts_id_fk" FOREIGN KEY ("script_id") REFERENCES "public"."scripts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "script_versions" ADD CONSTRAINT "script_versions_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scripts" ADD CONSTRAINT "scripts_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "executions_app_started_idx" ON "executions" USING btree ("app_id","started_at");--> statement-breakpoint
CREATE INDEX "executions_script_started_idx" ON "executions" USING btree ("script_id","started_at");--> statement-breakpoint
CREATE INDEX "executions_started_idx" ON "executions" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "routes_app_idx" ON "routes" USING btree ("app_id");--> statement-breakpoint
CREATE INDEX "routes_script_idx" ON "routes" USING btree ("script_id");