/**
 * The composition root: builds every area's service from the database and the
 * configuration, once per process. Areas never construct each other; they get
 * what they need from here.
 */

import { Apps } from "../apps/apps.js";
import { AppDomains } from "../apps/domains.js";
import { AppMembers } from "../apps/members.js";
import { ApiKeys } from "../auth/api-keys.js";
import { PasswordLogin } from "../auth/login.js";
import { LoginThrottle } from "../auth/login-throttle.js";
import { AdminSessions } from "../auth/sessions.js";
import { Setup } from "../auth/setup.js";
import { AdminUsers } from "../auth/users.js";
import type { Database } from "../db/client.js";
import type { Logger } from "../lib/logger.js";

export interface ServiceOptions {
  publicUrl: string;
  trustProxy: boolean;
  sessionTtlMs: number;
}

export interface Services {
  readonly database: Database;
  readonly log: Logger;
  readonly options: ServiceOptions;
  readonly users: AdminUsers;
  readonly sessions: AdminSessions;
  readonly apiKeys: ApiKeys;
  readonly login: PasswordLogin;
  readonly setup: Setup;
  readonly apps: Apps;
  readonly domains: AppDomains;
  readonly members: AppMembers;
}

export function createServices(database: Database, options: ServiceOptions, log: Logger): Services {
  const { db } = database;
  const users = new AdminUsers(db);
  const sessions = new AdminSessions(db, options.sessionTtlMs);
  return {
    database,
    log,
    options,
    users,
    sessions,
    apiKeys: new ApiKeys(db),
    login: new PasswordLogin(db, sessions, new LoginThrottle(db)),
    setup: new Setup(db, users),
    apps: new Apps(db),
    domains: new AppDomains(db),
    members: new AppMembers(db),
  };
}
