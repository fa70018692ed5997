/**
 * The one normalization of an end user's e-mail, applied on every way in
 * (create, login, reset, invite, lookups): Unicode NFKC so look-alike forms of
 * the same characters compare equal, trimmed, lower case. Stored normalized, so
 * the unique index (app_id, email) refuses two accounts differing only by case.
 */
export function normalizeUserEmail(email: string): string {
  return email.normalize("NFKC").trim().toLowerCase();
}
