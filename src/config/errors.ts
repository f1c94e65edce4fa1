// The one error type of configuration: its message names the flag, or the file, line and key at
// fault, and is printed by the CLI as one line (`portico: portico.toml:31: unknown key …`) before
// exiting 1 — or, on a reload, reported while the running configuration stays.

export class ConfigError extends Error {
  /** `file:line: message` (line 0: the file as a whole). */
  static at(file: string, line: number, message: string): ConfigError {
    return new ConfigError(line > 0 ? `${file}:${line}: ${message}` : `${file}: ${message}`);
  }
}
