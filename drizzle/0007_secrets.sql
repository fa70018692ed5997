CREATE TABLE "app_secrets" (
	"app_id" uuid NOT NULL,
	"name" text NOT NULL,
	"ciphertext" text NOT NULL,
	"nonce" text NOT NULL,
	"key_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "app_secrets_pk" PRIMARY KEY("app_id","name")
);
--> statement-breakpoint
ALTER TABLE "realtime_keys" ADD COLUMN "nonce" text;--> statement-breakpoint
ALTER TABLE "realtime_keys" ADD COLUMN "key_id" text;--> statement-breakpoint
ALTER TABLE "app_secrets" ADD CONSTRAINT "app_secrets_app_id_apps_id_fk" FOREIGN KEY ("app_id") REFERENCES "public"."apps"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "app_secrets_key_idx" ON "app_secrets" USING btree ("key_id");