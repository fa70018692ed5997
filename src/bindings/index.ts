/**
 * The binding registry: one line per binding (DESIGN "Layout"). Each binding
 * turns an execution's context into the definition the sandbox installs as
 * `env.<name>`, deriving the app from the execution, never from an argument.
 */
import type { BindingDefinition } from "../../runtime/index.js";

/** What every binding knows about the execution it serves. */
export interface BindingContext {
  appId: string;
  executionId: string;
  rootExecutionId: string;
  depth: number;
  scriptId: string;
  /** The admin user a trigger runs as (SPEC §5), or null for anonymous HTTP executions. */
  principalUserId: string | null;
}

/**
 * What a data write needs of its origin: the app, and the chain of events it
 * belongs to (a script's execution, or an admin request starting a chain of its own).
 */
export type WriteOrigin = Pick<BindingContext, "appId" | "depth" | "rootExecutionId">;

export interface BindingFactory {
  name: string;
  create(ctx: BindingContext): BindingDefinition;
}

/** Builds the env bindings of one execution from the registered factories. */
export class BindingRegistry {
  private readonly factories: BindingFactory[] = [];

  register(factory: BindingFactory): void {
    if (this.factories.some((f) => f.name === factory.name))
      throw new Error(`binding ${factory.name} registered twice`);
    this.factories.push(factory);
  }

  bindingsFor(ctx: BindingContext): BindingDefinition[] {
    return this.factories.map((f) => f.create(ctx));
  }
}
