CREATE TABLE "app_email_settings" (
	"app_id" uuid PRIMARY KEY NOT NULL,
	"senders" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"per_minute" integer,
	"per_day" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email_messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"app_id" uuid NOT NULL,
	"script_id" uuid NOT NULL,
	"execution_id" uuid NOT NULL,
	"from_address" text NOT NULL,
	"recipients" jsonb NOT NULL,
	"reply_to" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"subject" text NOT NULL,
	"content" jsonb,
	"size_bytes" integer NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"server_message_id" text,
	"server_answer" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "email_messages_status_check" CHECK ("email_messages"."status" in ('queued', 'sent', 'failed'))
);
--> statement-breakpoint
ALTER TABLE "app_email_settings" ADD CONSTRAINT "app_email_settings_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_messages" ADD CONSTRAINT "email_messages_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "email_messages_app_idx" ON "email_messages" USING btree ("app_id","id");--> statement-breakpoint
CREATE INDEX "email_messages_app_created_idx" ON "email_messages" USING btree ("app_id","created_at");--> statement-breakpoint
CREATE INDEX "email_messages_finished_idx" ON "email_messages" USING btree ("finished_at") WHERE "email_messages"."status" <> 'queued';