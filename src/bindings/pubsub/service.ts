/**
 * env.pubsub.publish (SPEC §3.4): one transaction stores the message for
 * resume (when the topic is registered) and enqueues a delivery for every
 * matching `pubsub` trigger (at least once); only after the commit is the
 * message broadcast to live subscribers — a publish that fails reaches no one.
 */
import type { RealtimeConfig } from "../../config/env.js";
import type { Db } from "../../db/client.js";
import { jsonbValue } from "../../db/jsonb.js";
import type { EventFanout } from "../../events/fanout.js";
import { globMatches } from "../../events/trigger-config.js";
import { uuidv7 } from "../../lib/ids.js";
import type { Broadcaster } from "../../realtime/broadcaster.js";
import { realtimeMessages } from "../../realtime/schema.js";
import type { Topics } from "../../realtime/topics.js";
import type { BindingContext } from "../index.js";

export class PubSubService {
  constructor(
    private readonly db: Db,
    private readonly fanout: EventFanout,
    private readonly topics: Topics,
    private readonly broadcaster: Broadcaster,
    readonly config: RealtimeConfig,
  ) {}

  async publish(
    ctx: BindingContext,
    topic: string,
    message: unknown,
  ): Promise<{ id: string; deliveries: number }> {
    const id = uuidv7();
    const publishedAt = new Date();
    const [registered, watching] = await Promise.all([
      this.topics.byName(ctx.appId, topic),
      this.fanout.matching(ctx.appId, "pubsub", (t) => globMatches(String(t.config.topic), topic)),
    ]);
    let deliveries = 0;
    if (registered || watching.length > 0) {
      deliveries = await this.db.transaction(async (tx) => {
        if (registered) {
          await tx
            .insert(realtimeMessages)
            .values({ id, appId: ctx.appId, topic, message: jsonbValue(message), publishedAt });
        }
        return this.fanout.emit(tx, ctx, watching, {
          source: "pubsub",
          op: "publish",
          topic,
          message,
          messageId: id,
        });
      });
    }
    if (deliveries > 0) this.fanout.signal.committed();
    if (registered)
      this.broadcaster.publish(ctx.appId, { id, topic, message, publishedAt: publishedAt.toISOString() });
    return { id, deliveries };
  }
}
