/** Memory defaults of the sandbox runtime (a module with no imports of QuickJS: config reads it). */
import { totalmem } from "node:os";

/** The default budget of all snapshot sandboxes: an eighth of the machine's RAM, between 64 MiB and 2 GiB. */
export function defaultSandboxMemoryBytes(): number {
  return Math.min(2 * 1024 ** 3, Math.max(64 * 1024 ** 2, Math.floor(totalmem() / 8)));
}
