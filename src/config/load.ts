// The command line → one validated, frozen model (or a TCP proxy's configuration): flags alone build
// one site (model-flags.ts); `-c FILE` reads the file (file.ts, model-file.ts) and flags override its
// values. Every error is one ConfigError line naming the flag, or the file, line and key.
// Pieces: argv.ts (flags), file.ts (TOML/JSON + schema), model-*.ts (the model), tcp.ts, help.ts.

import { parseArgv, parsePort } from "./argv.ts";
import { ConfigError } from "./errors.ts";
import type { ServerModel } from "./model.ts";
import { modelFromFlags } from "./model-flags.ts";
import { refuseOtherModes } from "./modes.ts";
import { defaultValues, type OptionValues, optionByKey, sectionOf } from "./options.ts";
import { type TcpConfig, tcpConfig } from "./tcp.ts";

export { ConfigError, parsePort };
export { usage } from "./help.ts";
export { dataDirectory } from "./server-options.ts";
export type { ServerModel, TcpConfig };

export type Command =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "serve"; readonly config: ServerModel; readonly watch: string }
  | { readonly kind: "check"; readonly config: ServerModel }
  | { readonly kind: "tcp"; readonly config: TcpConfig };

/** A preset's defaults (httpserver): option values, plus settings no flag has. */
export type Preset = Partial<OptionValues> & { readonly lengthRequiredStatus?: 400 | 411 };

/** Parses argv (without node and script) into a command. Rejects with a ConfigError naming the bad flag or key. */
export async function parseCommandLine(argv: readonly string[], preset: Preset = {}): Promise<Command> {
  const parsed = parseArgv(argv);
  if (parsed.command === "help") return { kind: "help" };
  if (parsed.command === "version") return { kind: "version" };
  const { values: flags, positionals } = parsed;
  if (positionals.length > 1)
    throw new ConfigError(`unexpected argument ${JSON.stringify(positionals[1])} (only one port may be given)`);
  const { lengthRequiredStatus, ...presetValues } = preset;
  const base: OptionValues = { ...defaultValues(), ...presetValues };
  const given = new Set(flags.keys());
  if (parsed.command === "tcp") return { kind: "tcp", config: tcpConfig(merge(base, flags), given, positionals[0]) };
  const lengthStatus = lengthRequiredStatus ?? 411;
  const file = flags.get("config") as string | undefined;
  // `portico tcp`'s options anywhere, proxy options where no route proxies: refused with a hint.
  const proxies = (flags.get("proxy") as readonly string[] | undefined) ?? [];
  refuseOtherModes(given, (file !== undefined && file !== "") || proxies.length > 0);
  if (file === undefined || file === "") {
    if (parsed.command === "check") throw new ConfigError("portico check needs -c FILE");
    if (flags.get("watch") === true) throw new ConfigError("--watch needs -c FILE (it watches the configuration file)");
    // The positional port, else -p/--port (-1: not given), else the preset's, else 8080.
    const flagPort = flags.get("port") as number | undefined;
    const presetPort = typeof preset.port === "number" && preset.port >= 0 ? preset.port : 8080;
    const port =
      positionals.length === 1
        ? parsePort(positionals[0]!)
        : flagPort !== undefined && flagPort >= 0
          ? flagPort
          : presetPort;
    return { kind: "serve", config: modelFromFlags(merge(base, flags), given, port, lengthStatus), watch: "" };
  }
  // The file's sites name their roots, addresses and routes: flags that would too are refused, not mixed.
  for (const key of given) {
    const spec = optionByKey(key)!;
    if (sectionOf(spec) === "cli" && key !== "config" && key !== "watch")
      throw new ConfigError(`--${spec.flag} cannot be combined with --config (the file's sites say it)`);
  }
  if (positionals.length === 1)
    throw new ConfigError(
      `a port cannot be combined with --config: sites name theirs with listen (got ${positionals[0]})`,
    );
  const [{ readConfigFile }, { modelFromFile }] = await Promise.all([import("./file.ts"), import("./model-file.ts")]);
  const config = modelFromFile(readConfigFile(file), base, flags, lengthStatus);
  if (parsed.command === "check") return { kind: "check", config };
  return { kind: "serve", config, watch: flags.get("watch") === true ? file : "" };
}

function merge(base: OptionValues, flags: ReadonlyMap<string, unknown>): OptionValues {
  return { ...base, ...Object.fromEntries(flags) } as OptionValues;
}
