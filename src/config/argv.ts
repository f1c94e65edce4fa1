// argv → what the command line says: the command (serve, check, tcp, help, version), the options it
// names (converted, by key) and its positional arguments. Knows flags only: no file, no defaults.

import { ConfigError } from "./errors.ts";
import { type OptionSpec, optionByFlag, optionByShort } from "./options.ts";
import { convertValue } from "./units.ts";

export interface ParsedArgv {
  readonly command: "serve" | "check" | "tcp" | "help" | "version";
  /** Option key → converted value, for the options the command line names. */
  readonly values: ReadonlyMap<string, unknown>;
  readonly positionals: readonly string[];
}

export function parseArgv(argv: readonly string[]): ParsedArgv {
  let command: ParsedArgv["command"] = "serve";
  if (argv[0] === "tcp" || argv[0] === "check") {
    command = argv[0];
    argv = argv.slice(1);
  }
  const values = new Map<string, unknown>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") return { command: "help", values, positionals };
    if (arg === "--version" || arg === "-v") return { command: "version", values, positionals };
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    let name: string;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq === -1 ? undefined : arg.slice(eq + 1);
      spec = optionByFlag(name);
      if (spec === undefined && name.startsWith("no-")) {
        const negated = optionByFlag(name.slice(3));
        if (negated?.type === "bool" && inline === undefined) {
          values.set(negated.key, false);
          continue;
        }
      }
      name = `--${name}`;
    } else {
      name = arg.slice(0, 2);
      spec = optionByShort(arg.slice(1, 2));
      if (arg.length > 2) inline = arg.slice(2);
    }
    if (spec === undefined) throw new ConfigError(`unknown option ${name} (see --help)`);
    if (spec.type === "bool" && inline === undefined) {
      values.set(spec.key, true);
      continue;
    }
    const raw = inline ?? argv[++i];
    if (raw === undefined) throw new ConfigError(`${name} needs a value (${spec.meta ?? spec.type})`);
    const converted = convertValue(spec, raw);
    if (!converted.ok) throw new ConfigError(`${name}: ${converted.problem}`);
    if (spec.type === "multi")
      values.set(spec.key, [
        ...((values.get(spec.key) as string[] | undefined) ?? []),
        ...(converted.value as string[]),
      ]);
    else values.set(spec.key, converted.value);
  }
  return { command, values, positionals };
}

export function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535)
    throw new ConfigError(`invalid port ${JSON.stringify(text)} (expected 0-65535)`);
  return Number(text);
}
