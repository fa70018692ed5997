CREATE TABLE "realtime_keys" (
	"app_id" uuid PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "realtime_messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"app_id" uuid NOT NULL,
	"topic" text NOT NULL,
	"message" jsonb NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "topics" (
	"app_id" uuid NOT NULL,
	"name" text NOT NULL,
	"external" boolean DEFAULT false NOT NULL,
	"auth" text DEFAULT 'token' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "topics_pk" PRIMARY KEY("app_id","name"),
	CONSTRAINT "topics_auth_check" CHECK ("topics"."auth" in ('public', 'token', 'session'))
);
--> statement-breakpoint
ALTER TABLE "realtime_keys" ADD CONSTRAINT "realtime_keys_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "realtime_messages" ADD CONSTRAINT "realtime_messages_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "topics" ADD CONSTRAINT "topics_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "realtime_messages_topic_idx" ON "realtime_messages" USING btree ("app_id","topic","id");--> statement-breakpoint
CREATE INDEX "realtime_messages_published_idx" ON "realtime_messages" USING btree ("published_at");