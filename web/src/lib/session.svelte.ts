import { get, type User } from "./api";

/** Who is signed in: `undefined` while unknown, `null` when nobody. */
export const session = $state<{ user: User | null | undefined; setupRequired: boolean }>({
  user: undefined,
  setupRequired: false,
});

export async function loadSession(): Promise<void> {
  try {
    const me = await get<{ user: User }>("/auth/me");
    session.user = me.user;
    session.setupRequired = false;
  } catch {
    session.user = null;
    try {
      session.setupRequired = (await get<{ setupRequired: boolean }>("/auth/setup")).setupRequired;
    } catch {
      session.setupRequired = false;
    }
  }
}
