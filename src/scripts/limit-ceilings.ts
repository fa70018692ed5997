/**
 * The ceilings of the limits a script may ask for (admin API, deploy manifest,
 * picloud.toml): those of the instance's own maxima (PICLOUD_MAX_SCRIPT_TIMEOUT_MS,
 * PICLOUD_MAX_SCRIPT_MEMORY_MB accept at most these). A script's limits are
 * clamped to the running instance's maxima anyway; these only refuse numbers no
 * instance could honour (1e308 used to be stored).
 */
export const MAX_LIMIT_TIME_MS = 3_600_000;
export const MAX_LIMIT_MEMORY_MB = 4096;
