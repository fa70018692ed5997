/**
 * Which app receives mail for an address: the app that claims the address
 * itself, else the one that claims its domain. A value is claimed by one app
 * at most, and an app cannot claim an address inside another app's domain
 * (nor a domain holding another app's addresses): mail for one app can never
 * be routed to another.
 */
import { and, eq, inArray, like, ne, or } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/client.js";
import { uniqueViolation } from "../db/errors.js";
import { conflict } from "../lib/errors.js";
import type { EmailClaimSet } from "./addresses.js";
import { emailClaims } from "./schema.js";

const domainOf = (address: string) => address.slice(address.lastIndexOf("@") + 1);

export class EmailClaims {
  constructor(private readonly db: Db) {}

  /** The app's claims, sorted. */
  async get(appId: string, tx: DbOrTx = this.db): Promise<EmailClaimSet> {
    const rows = await tx
      .select({ value: emailClaims.value, kind: emailClaims.kind })
      .from(emailClaims)
      .where(eq(emailClaims.appId, appId))
      .orderBy(emailClaims.value);
    return {
      addresses: rows.filter((r) => r.kind === "address").map((r) => r.value),
      domains: rows.filter((r) => r.kind === "domain").map((r) => r.value),
    };
  }

  /**
   * Makes the app's claims exactly `claims` (already validated by emailClaimsSchema);
   * returns what was added and removed. Throws 409 naming the field when another app holds one.
   */
  async set(
    appId: string,
    claims: EmailClaimSet,
    tx: DbOrTx = this.db,
  ): Promise<{ added: string[]; removed: string[] }> {
    await this.assertFree(appId, claims, tx);
    const current = await this.get(appId, tx);
    const had = new Set([...current.addresses, ...current.domains]);
    const want = [
      ...claims.addresses.map((value) => ({ value, kind: "address" as const })),
      ...claims.domains.map((value) => ({ value, kind: "domain" as const })),
    ];
    const wanted = new Set(want.map((w) => w.value));
    const removed = [...had].filter((v) => !wanted.has(v));
    const added = want.filter((w) => !had.has(w.value));
    if (removed.length > 0)
      await tx
        .delete(emailClaims)
        .where(and(eq(emailClaims.appId, appId), inArray(emailClaims.value, removed)));
    if (added.length > 0) {
      try {
        await tx.insert(emailClaims).values(added.map((a) => ({ ...a, appId })));
      } catch (err) {
        if (uniqueViolation(err))
          throw conflict("email: one of these addresses or domains was just claimed by another app", {
            field: "email",
          });
        throw err;
      }
    }
    return { added: added.map((a) => a.value), removed };
  }

  /** The app that receives mail for `address` (lower-case, valid), or null. */
  async resolve(address: string, tx: DbOrTx = this.db): Promise<string | null> {
    const rows = await tx
      .select({ appId: emailClaims.appId, kind: emailClaims.kind })
      .from(emailClaims)
      .where(inArray(emailClaims.value, [address, domainOf(address)]));
    const exact = rows.find((r) => r.kind === "address") ?? rows.find((r) => r.kind === "domain");
    return exact?.appId ?? null;
  }

  private async assertFree(appId: string, claims: EmailClaimSet, tx: DbOrTx): Promise<void> {
    const others = ne(emailClaims.appId, appId);
    const values = [...claims.addresses, ...claims.domains];
    if (values.length === 0) return;
    const taken = await tx
      .select({ value: emailClaims.value, kind: emailClaims.kind })
      .from(emailClaims)
      .where(and(others, inArray(emailClaims.value, values)));
    for (const t of taken) {
      const field = claims.addresses.includes(t.value) ? "email.addresses" : "email.domains";
      throw conflict(`${field}: ${t.value} is already claimed by another app`, { field });
    }
    // An address inside another app's domain would take that app's mail.
    const domains = [...new Set(claims.addresses.map(domainOf))];
    if (domains.length > 0) {
      const [owned] = await tx
        .select({ value: emailClaims.value })
        .from(emailClaims)
        .where(and(others, eq(emailClaims.kind, "domain"), inArray(emailClaims.value, domains)))
        .limit(1);
      if (owned) {
        const address = claims.addresses.find((a) => domainOf(a) === owned.value);
        throw conflict(
          `email.addresses: ${address} is in ${owned.value}, a domain another app receives mail for`,
          {
            field: "email.addresses",
          },
        );
      }
    }
    // A domain holding another app's addresses would leave that app's claims ambiguous.
    if (claims.domains.length > 0) {
      const [inside] = await tx
        .select({ value: emailClaims.value })
        .from(emailClaims)
        .where(
          and(
            others,
            eq(emailClaims.kind, "address"),
            or(...claims.domains.map((d) => like(emailClaims.value, `%@${d.replace(/[\\%_]/g, "\\$&")}`))),
          ),
        )
        .limit(1);
      if (inside) {
        const domain = domainOf(inside.value);
        throw conflict(
          `email.domains: ${domain} holds ${inside.value}, an address another app receives mail for`,
          {
            field: "email.domains",
          },
        );
      }
    }
  }
}
