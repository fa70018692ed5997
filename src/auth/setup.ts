/**
 * First start: either create the owner named by PICLOUD_ADMIN_EMAIL/PASSWORD, or
 * mint a one-time setup token (printed as a URL) that lets the first visitor
 * create the owner. A token is single-use, expires, and stops working as soon as
 * any admin user exists.
 */
import { and, eq, gt, isNull } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { badRequest, conflict } from "../lib/errors.js";
import { adminUsers, setupTokens } from "./schema.js";
import { randomToken, sha256Hex } from "./tokens.js";
import type { AdminUsers, AdminUserView } from "./users.js";

const SETUP_TTL_MS = 24 * 3_600_000;

export type BootstrapResult =
  | { kind: "existing" }
  | { kind: "created-owner"; email: string }
  | { kind: "setup-token"; token: string };

export class Setup {
  constructor(
    private readonly db: Db,
    private readonly users: AdminUsers,
  ) {}

  /** Runs at every start; does nothing once any admin user exists. */
  async bootstrap(admin: { email: string; password: string } | null): Promise<BootstrapResult> {
    if ((await this.users.count()) > 0) return { kind: "existing" };
    if (admin) {
      try {
        const user = await this.users.create({ ...admin, role: "owner" }, null);
        return { kind: "created-owner", email: user.email };
      } catch (err) {
        // Another process of the same instance created it at the same moment.
        if ((await this.users.count()) > 0) return { kind: "existing" };
        throw err;
      }
    }
    const token = randomToken();
    await this.db.transaction(async (tx) => {
      // A new start replaces any earlier, unused token.
      await tx.delete(setupTokens);
      await tx
        .insert(setupTokens)
        .values({ id: sha256Hex(token), expiresAt: new Date(Date.now() + SETUP_TTL_MS) });
    });
    return { kind: "setup-token", token };
  }

  /** Redeems a setup token: creates the first owner. */
  async redeem(input: { token: string; email: string; password: string }): Promise<AdminUserView> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .select()
        .from(setupTokens)
        .where(
          and(
            eq(setupTokens.id, sha256Hex(input.token)),
            isNull(setupTokens.usedAt),
            gt(setupTokens.expiresAt, new Date()),
          ),
        )
        .for("update");
      if (!row)
        throw badRequest("setup token is invalid, used or expired; restart PiCloud to print a new one");
      const [anyone] = await tx.select({ id: adminUsers.id }).from(adminUsers).limit(1);
      if (anyone) throw conflict("setup is already complete; log in instead");
      await tx.update(setupTokens).set({ usedAt: new Date() }).where(eq(setupTokens.id, row.id));
      return this.users.create({ email: input.email, password: input.password, role: "owner" }, null, tx);
    });
  }
}
