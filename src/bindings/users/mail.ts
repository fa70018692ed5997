/**
 * The mails of the end-user flows: per-app templates (subject and text, with
 * `{{link}}` replaced by the flow's link), falling back to plain defaults, and
 * the link itself: `<base>/<flow>?token=…`, where the base is the app's
 * `link_base_url` or its built-in endpoints (`https://<app host>/auth`).
 */
import type { UserMailTemplate, UserTokenPurpose } from "./schema.js";

export const DEFAULT_TEMPLATES: Record<UserTokenPurpose, UserMailTemplate> = {
  verify: {
    subject: "Confirm your e-mail address",
    text: "Confirm your e-mail address by opening this link:\n\n{{link}}\n\nIf you did not sign up, ignore this message.",
  },
  reset: {
    subject: "Reset your password",
    text: "Someone asked to reset the password of this account. To choose a new password, open this link:\n\n{{link}}\n\nIf it was not you, ignore this message; your password stays as it is.",
  },
  invite: {
    subject: "You are invited",
    text: "You have been invited. To accept and choose a password, open this link:\n\n{{link}}",
  },
};

/** The flow's path under the link base: what GET /auth/<path>?token= of the built-in endpoints answers. */
const FLOW_PATH: Record<UserTokenPurpose, string> = {
  verify: "verify",
  reset: "reset",
  invite: "invite/accept",
};

export function flowLink(base: string, purpose: UserTokenPurpose, token: string): string {
  return `${base.replace(/\/+$/, "")}/${FLOW_PATH[purpose]}?token=${token}`;
}

export function renderMail(
  templates: Partial<Record<UserTokenPurpose, UserMailTemplate>>,
  purpose: UserTokenPurpose,
  link: string,
): UserMailTemplate {
  const t = templates[purpose] ?? DEFAULT_TEMPLATES[purpose];
  // A function replacement: a `$` in the link is never read as a replacement pattern.
  const fill = (s: string) => s.replaceAll("{{link}}", () => link);
  return {
    subject: fill(t.subject),
    text: t.text.includes("{{link}}") ? fill(t.text) : `${t.text}\n\n${link}`,
  };
}
