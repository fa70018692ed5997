/**
 * The composition root: builds every area's service from the database and the
 * configuration, once per process. Areas never construct each other; they get
 * what they need from here.
 */
import path from "node:path";
import { createSandboxHost, createThreadedSandboxHost, type SandboxHost } from "../../runtime/index.js";
import { Apps } from "../apps/apps.js";
import { AppDomains } from "../apps/domains.js";
import { AppMembers } from "../apps/members.js";
import { ApiKeys } from "../auth/api-keys.js";
import { PasswordLogin } from "../auth/login.js";
import { LoginThrottle } from "../auth/login-throttle.js";
import { AdminSessions } from "../auth/sessions.js";
import { Setup } from "../auth/setup.js";
import { AdminUsers } from "../auth/users.js";
import { deadLettersBinding } from "../bindings/dead-letters/bridge.js";
import { docsBinding } from "../bindings/docs/bridge.js";
import { DocsService } from "../bindings/docs/service.js";
import { emailBinding } from "../bindings/email/bridge.js";
import { emailSendersDeployStep } from "../bindings/email/deploy-senders.js";
import { EmailService } from "../bindings/email/service.js";
import { emailTransport } from "../bindings/email/transports.js";
import { AppFetch } from "../bindings/fetch/app-fetch.js";
import { filesBinding } from "../bindings/files/bridge.js";
import { LocalBlobStore } from "../bindings/files/local-blob-store.js";
import { FilesService } from "../bindings/files/service.js";
import { BindingRegistry } from "../bindings/index.js";
import { kvBinding } from "../bindings/kv/bridge.js";
import { KvService } from "../bindings/kv/service.js";
import { pubsubBinding } from "../bindings/pubsub/bridge.js";
import { PubSubService } from "../bindings/pubsub/service.js";
import { secretsBinding } from "../bindings/secrets/bridge.js";
import { SecretsService } from "../bindings/secrets/service.js";
import { usersBinding } from "../bindings/users/bridge.js";
import { usersDeployStep } from "../bindings/users/deploy-users.js";
import { emailMailer } from "../bindings/users/email-mailer.js";
import { UsersService } from "../bindings/users/service.js";
import { AdminOrigin } from "../config/admin-origin.js";
import type { EmailConfig, EventsConfig, RealtimeConfig, RuntimeConfig } from "../config/env.js";
import { Executor } from "../dataplane/executor.js";
import { RoutingCache } from "../dataplane/routing-cache.js";
import { ChangeFeed } from "../db/change-feed.js";
import type { Database } from "../db/client.js";
import { EmailClaims } from "../email-in/claims.js";
import { emailDeployStep } from "../email-in/deploy-email.js";
import { type EmailEventPayload, Inbox } from "../email-in/inbox.js";
import { AsyncHttp } from "../events/async-http.js";
import { CronScheduler } from "../events/cron-scheduler.js";
import { DeadLetters } from "../events/dead-letters.js";
import { triggersDeployStep } from "../events/deploy-triggers.js";
import { Dispatcher } from "../events/dispatcher.js";
import { EventFanout } from "../events/fanout.js";
import { OutboxSignal } from "../events/outbox.js";
import { TriggerIndex } from "../events/trigger-index.js";
import { Triggers } from "../events/triggers.js";
import { LiveTail } from "../executions/live-tail.js";
import { ExecutionQueries } from "../executions/queries.js";
import { ExecutionRecorder } from "../executions/recorder.js";
import { TailRelay } from "../executions/tail-relay.js";
import { uuidv7 } from "../lib/ids.js";
import { Keyring } from "../lib/keyring.js";
import type { Logger } from "../lib/logger.js";
import { Broadcaster } from "../realtime/broadcaster.js";
import { topicsDeployStep } from "../realtime/deploy-topics.js";
import { SubscriberTokens } from "../realtime/subscriber-tokens.js";
import { Topics } from "../realtime/topics.js";
import { Deployer } from "../scripts/deploy.js";
import { Scripts } from "../scripts/scripts.js";
import { UserRoutes } from "../scripts/user-routes.js";
import { Metrics } from "./metrics.js";

export interface ServiceOptions {
  publicUrl: string;
  trustProxy: boolean;
  sessionTtlMs: number;
  baseDomain: string;
  /** Slug of the app also served on the admin host (PICLOUD_ADMIN_HOST_APP); default none. */
  adminHostApp?: string | null;
  runtime: RuntimeConfig;
  events: EventsConfig;
  /** env.files keeps its bytes under `<dataDir>/files`. */
  dataDir: string;
  /** Default: 25 MiB. */
  files?: { maxFileBytes: number };
  realtime: RealtimeConfig;
  /** Identifies this process's outbox claims. */
  processId?: string;
  /** Node process metrics in /metrics (off in tests, where many instances share one process). */
  processMetrics?: boolean;
  /** The master key of secrets and realtime signing keys, and the one being rotated away from. */
  masterKeys: { current: Buffer; previous: Buffer | null };
  /** Lifetime of end users' sessions (sliding); default 14 days. */
  endUserSessionTtlMs?: number;
  /** Outbound e-mail; default: no transport and the default limits. */
  email?: EmailConfig;
}

/** No transport: `env.email.send()` refuses, saying which variables to set. */
export const NO_EMAIL: EmailConfig = {
  transport: null,
  perMinute: 60,
  perDay: 1000,
  maxMessageBytes: 10 * 1024 * 1024,
  concurrency: 4,
  retentionDays: 30,
};

export interface Services {
  readonly database: Database;
  readonly log: Logger;
  readonly options: ServiceOptions;
  /** Which hosts are the admin origin, where no script is served. */
  readonly adminOrigin: AdminOrigin;
  /** Aborted when the process shuts down: long-lived streams end on it. */
  readonly shutdown: AbortController;
  readonly changes: ChangeFeed;
  readonly users: AdminUsers;
  readonly sessions: AdminSessions;
  readonly apiKeys: ApiKeys;
  readonly login: PasswordLogin;
  readonly setup: Setup;
  readonly apps: Apps;
  readonly domains: AppDomains;
  readonly members: AppMembers;
  readonly scripts: Scripts;
  readonly routes: UserRoutes;
  readonly deployer: Deployer;
  readonly sandbox: SandboxHost;
  readonly bindings: BindingRegistry;
  readonly executor: Executor;
  readonly routing: RoutingCache;
  readonly recorder: ExecutionRecorder;
  readonly executions: ExecutionQueries;
  readonly tail: LiveTail;
  /** Carries tail events between processes (PostgreSQL only: PGlite has one process). */
  readonly tailRelay: TailRelay | null;
  readonly metrics: Metrics;
  readonly triggers: Triggers;
  readonly triggerIndex: TriggerIndex;
  readonly outboxSignal: OutboxSignal;
  readonly fanout: EventFanout;
  readonly deadLetters: DeadLetters;
  readonly asyncHttp: AsyncHttp;
  readonly dispatcher: Dispatcher;
  /** Turns cron triggers' scheduled times into outbox rows. */
  readonly cron: CronScheduler;
  readonly kv: KvService;
  readonly docs: DocsService;
  readonly files: FilesService;
  readonly topics: Topics;
  readonly subscriberTokens: SubscriberTokens;
  readonly broadcaster: Broadcaster;
  readonly pubsub: PubSubService;
  readonly secrets: SecretsService;
  /** Outbound e-mail: `env.email`, its delivery through the outbox, its admin API. */
  readonly email: EmailService;
  /** The apps' end users (`env.users`, the built-in /auth endpoints, the admin API). */
  readonly appUsers: UsersService;
  /** Which app receives mail for which addresses and domains. */
  readonly emailClaims: EmailClaims;
  /** Inbound e-mail: routing, storage and the handler's message (the SMTP listener's other half). */
  readonly inbox: Inbox;
  /** Public ids (hashes) of the master keys, for rotation reports. */
  readonly masterKeyIds: { current: string; previous: string | null };
}

export function createServices(database: Database, options: ServiceOptions, log: Logger): Services {
  const adminOrigin = new AdminOrigin(options.publicUrl);
  const { db } = database;
  const changes = new ChangeFeed(database.notifier, (err) =>
    log.warn({ err: String(err) }, "change feed error"),
  );
  const users = new AdminUsers(db);
  const sessions = new AdminSessions(db, options.sessionTtlMs);
  const apps = new Apps(db);
  const scripts = new Scripts(db);
  apps.registerDependents({ what: "scripts", count: (appId) => scripts.countInApp(appId) });
  const routes = new UserRoutes(db);
  const { maxConcurrent, sandboxThreads } = options.runtime;
  const sandboxOptions = {
    maxConcurrent,
    logger: log,
    snapshots: options.runtime.sandboxSnapshots,
    sandboxMemoryBytes: options.runtime.sandboxMemoryBytes,
    sandboxIdleMs: options.runtime.sandboxIdleMs,
  };
  // On worker threads, a script stuck past its limit is stopped by terminating its thread (docs/scripts.md).
  const sandbox =
    sandboxThreads > 0
      ? createThreadedSandboxHost({ ...sandboxOptions, threads: sandboxThreads })
      : createSandboxHost(sandboxOptions);
  const bindings = new BindingRegistry();
  const triggerIndex = new TriggerIndex(db, changes);
  const outboxSignal = new OutboxSignal(database.notifier, database.kind === "postgres", (err) =>
    log.warn({ err: String(err) }, "outbox notify failed"),
  );
  const fanout = new EventFanout(triggerIndex, outboxSignal, options.events, log);
  const deadLetters = new DeadLetters(db, triggerIndex, outboxSignal, options.events);
  const kv = new KvService(db, fanout);
  bindings.register(kvBinding(kv));
  const docs = new DocsService(db, fanout);
  bindings.register(docsBinding(docs));
  const fileStore = new LocalBlobStore(path.join(options.dataDir, "files"));
  const files = new FilesService(db, fanout, fileStore, log, options.files?.maxFileBytes ?? 25 * 1024 * 1024);
  bindings.register(filesBinding(files));
  const topics = new Topics(db, changes);
  const keyring = new Keyring(options.masterKeys.current, options.masterKeys.previous);
  const secrets = new SecretsService(db, keyring);
  bindings.register(secretsBinding(secrets));
  const subscriberTokens = new SubscriberTokens(db, keyring);
  const broadcaster = new Broadcaster(db, database.notifier, database.kind === "postgres", log);
  const pubsub = new PubSubService(db, fanout, topics, broadcaster, options.realtime);
  bindings.register(pubsubBinding(pubsub, topics, subscriberTokens));
  bindings.register(
    deadLettersBinding(deadLetters, (userId, appId) => apps.userCan(userId, appId, "data.write")),
  );
  const metrics = new Metrics(sandbox, { processMetrics: options.processMetrics });
  const emailConfig = options.email ?? NO_EMAIL;
  const email = new EmailService(
    db,
    outboxSignal,
    options.events,
    emailConfig,
    emailTransport(emailConfig),
    log.child({ area: "email" }),
    (outcome, transport) => metrics.emailOutcome(outcome, transport),
  );
  bindings.register(emailBinding(email));
  const appUsers = new UsersService(
    db,
    new LoginThrottle(db),
    emailMailer((ctx, m) => email.send(ctx, m), uuidv7),
    fanout,
    log.child({ area: "users" }),
    {
      sessionTtlMs: options.endUserSessionTtlMs,
      defaultLinkBase: async (appId) => {
        // The app's own host under the base domain, with the scheme and port of the public URL.
        const app = await apps.findByRef(appId);
        const pub = new URL(options.publicUrl);
        const port = pub.port ? `:${pub.port}` : "";
        return `${pub.protocol}//${app?.slug ?? "app"}.${options.baseDomain}${port}/auth`;
      },
    },
  );
  bindings.register(usersBinding(appUsers));
  const recorder = new ExecutionRecorder(db, log);
  const tail = new LiveTail();
  const tailRelay =
    database.kind === "postgres"
      ? new TailRelay(tail, database.notifier, (err) =>
          log.warn({ err: (err as Error).message }, "live tail relay: NOTIFY failed"),
        )
      : null;
  const appFetch = new AppFetch(db, changes, { maxResponseBytes: options.runtime.maxResponseBytes });
  const executor = new Executor({
    db,
    sandbox,
    scripts,
    bindings,
    recorder,
    tail,
    config: options.runtime,
    changes,
    fetchFor: (appId) => appFetch.for(appId),
    onFinished: (trigger, status, ms) => metrics.executionFinished(trigger, status, ms),
    log,
  });
  const triggers = new Triggers(db);
  const deployer = new Deployer(db, scripts, routes);
  deployer.registerStep(topicsDeployStep(topics));
  deployer.registerStep(triggersDeployStep(triggers));
  deployer.registerStep(emailSendersDeployStep(email));
  deployer.registerStep(usersDeployStep(appUsers));
  const emailClaims = new EmailClaims(db);
  deployer.registerStep(emailDeployStep(emailClaims));
  const inbox = new Inbox({
    db,
    claims: emailClaims,
    triggerIndex,
    signal: outboxSignal,
    events: options.events,
  });
  const dispatcher = new Dispatcher({
    db,
    executor,
    scripts,
    deadLetters,
    signal: outboxSignal,
    changes,
    config: options.events,
    log,
    processId: options.processId ?? `${process.pid}-${uuidv7().slice(-12)}`,
    emailMessage: (appId, eventId, payload) => inbox.message(appId, eventId, payload as EmailEventPayload),
  });
  dispatcher.registerDirect("email_out", email.deliver);
  return {
    database,
    log,
    options,
    adminOrigin,
    shutdown: new AbortController(),
    changes,
    users,
    sessions,
    apiKeys: new ApiKeys(db),
    login: new PasswordLogin(db, sessions, new LoginThrottle(db)),
    setup: new Setup(db, users),
    apps,
    domains: new AppDomains(db, { baseDomain: options.baseDomain, admin: adminOrigin }),
    members: new AppMembers(db),
    scripts,
    routes,
    deployer,
    sandbox,
    bindings,
    executor,
    routing: new RoutingCache(
      db,
      { baseDomain: options.baseDomain, admin: adminOrigin, adminHostApp: options.adminHostApp ?? null },
      changes,
    ),
    recorder,
    executions: new ExecutionQueries(db),
    tail,
    tailRelay,
    metrics,
    triggers,
    triggerIndex,
    outboxSignal,
    fanout,
    deadLetters,
    asyncHttp: new AsyncHttp(db, outboxSignal, options.events),
    dispatcher,
    cron: new CronScheduler({ db, signal: outboxSignal, changes, config: options.events, log }),
    kv,
    docs,
    files,
    topics,
    subscriberTokens,
    broadcaster,
    pubsub,
    secrets,
    email,
    appUsers,
    emailClaims,
    inbox,
    masterKeyIds: { current: keyring.currentId, previous: keyring.previousId },
  };
}
