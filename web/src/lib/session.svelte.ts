import { get, type User } from "./api";

/** Who is signed in: `undefined` while unknown, `null` when nobody. */
export const session = $state<{ user: User | null | undefined; setupRequired: boolean }>({
  user: undefined,
  setupRequired: false,
});

/** Asks both questions at once: who am I, and does the instance still wait for its owner. */
export async function loadSession(): Promise<void> {
  const [me, setup] = await Promise.allSettled([
    get<{ user: User }>("/auth/me"),
    get<{ setupRequired: boolean }>("/auth/setup"),
  ]);
  session.setupRequired = setup.status === "fulfilled" && setup.value.setupRequired;
  session.user = me.status === "fulfilled" ? me.value.user : null;
}
