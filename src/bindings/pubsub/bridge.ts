/**
 * What a script sees as `env.pubsub`: `publish(topic, message)` → `{id}` and
 * `subscriberToken(topics, {ttl})` → a token string a browser subscribes with.
 */
import type { BindingDefinition, HostValue } from "../../../runtime/index.js";
import type { SubscriberTokens } from "../../realtime/subscriber-tokens.js";
import { TOPIC_NAME_RE, type Topics } from "../../realtime/topics.js";
import { jsonValue, options, rangeError, typeError } from "../arguments.js";
import type { BindingContext, BindingFactory } from "../index.js";
import type { PubSubService } from "./service.js";

const GUEST = `(call) => Object.freeze({
  publish: (topic, message) => call("publish", topic, message),
  subscriberToken: (topics, options) => call("subscriberToken", typeof topics === "string" ? [topics] : topics, options),
})`;

function topicArg(value: HostValue, name: string): string {
  if (typeof value !== "string") throw typeError(`${name} must be a string`);
  if (!TOPIC_NAME_RE.test(value)) {
    throw typeError(
      `${name} ${JSON.stringify(value.slice(0, 64))} is not a topic name (1-128 letters, digits and . _ : / -)`,
    );
  }
  return value;
}

export function pubsubBinding(
  pubsub: PubSubService,
  topics: Topics,
  tokens: SubscriberTokens,
): BindingFactory {
  return {
    name: "pubsub",
    create(ctx: BindingContext): BindingDefinition {
      return {
        name: "pubsub",
        guestSource: GUEST,
        methods: {
          publish: async ([topic, message]) => {
            const t = topicArg(topic, "topic");
            const m = jsonValue(message, "message", pubsub.config.maxMessageBytes);
            const { id } = await pubsub.publish(ctx, t, m);
            return { id };
          },
          subscriberToken: async ([names, opts]) => {
            if (!Array.isArray(names) || names.length === 0)
              throw typeError("topics must be a topic name or a non-empty array of them");
            if (names.length > 100) throw rangeError("topics may name at most 100 topics");
            const list = names.map((n, i) => topicArg(n, `topics[${i}]`));
            for (const name of list) {
              const topic = await topics.byName(ctx.appId, name);
              if (!topic?.external)
                throw typeError(`topic ${JSON.stringify(name)} is not an external topic of this app`);
            }
            const o = options(opts ?? null, "options", ["ttl"]);
            if (
              o.ttl !== undefined &&
              o.ttl !== null &&
              (typeof o.ttl !== "number" || !Number.isFinite(o.ttl))
            ) {
              throw typeError("options.ttl must be a number of seconds");
            }
            const { token } = await tokens.mint(ctx.appId, list, (o.ttl as number | undefined) ?? undefined);
            return token;
          },
        },
      };
    },
  };
}
