// The one error type of configuration: its message names the flag or key at fault and is printed by
// the CLI as one line before exiting 1.

export class ConfigError extends Error {}
