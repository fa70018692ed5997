/** The limits one execution runs under: the script's own, else the instance defaults, never above the ceilings. */
import type { ExecutionLimits } from "../../runtime/index.js";
import type { RuntimeConfig } from "../config/env.js";
import type { ScriptLimits } from "../scripts/schema.js";

const STACK_BYTES = 320 * 1024;

export function executionLimits(config: RuntimeConfig, script: ScriptLimits): ExecutionLimits {
  return {
    wallTimeMs: Math.min(script.timeMs ?? config.timeoutMs, config.maxTimeoutMs),
    memoryBytes: Math.min(script.memoryMb ?? config.memoryMb, config.maxMemoryMb) * 1024 * 1024,
    stackBytes: STACK_BYTES,
    maxResponseBytes: config.maxResponseBytes,
    maxLogBytes: config.maxLogBytes,
  };
}
