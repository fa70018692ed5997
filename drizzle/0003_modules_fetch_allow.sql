ALTER TABLE "apps" ADD COLUMN "fetch_allow" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "script_versions" ADD COLUMN "modules" jsonb DEFAULT '{}'::jsonb NOT NULL;