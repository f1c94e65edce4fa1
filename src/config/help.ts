// Text generated from the option table: `--help` (every default shown) and the README's option
// tables (reference.ts places them; test/config/reference.test.ts checks the README holds them).

import { fileKeyOf, OPTIONS, type OptionGroup, type OptionSpec, sectionOf } from "./options.ts";

/** An option's default as the user would write it. */
export function defaultText(spec: OptionSpec): string {
  const d = spec.default as unknown;
  if (spec.type === "bool") return d === true ? "on" : "off";
  if (Array.isArray(d)) return d.length === 0 ? "" : d.join(",");
  if (spec.type === "size") return sizeText(d as number);
  if (spec.type === "duration") return durationText(d as number);
  if (spec.type === "int" && d === 0 && spec.key === "threads") return "CPUs";
  return String(d);
}

function sizeText(n: number): string {
  for (const [unit, size] of [
    ["GiB", 1 << 30],
    ["MiB", 1 << 20],
    ["KiB", 1024],
  ] as const)
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  return String(n);
}

function durationText(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Usage text. */
export function usage(): string {
  const lines = [
    "Usage: portico [options] [port]",
    "       portico -c portico.toml [options]      run the sites of a configuration file",
    "       portico check -c portico.toml          validate a configuration file (exit 0 or 1)",
    "       portico tcp --listen [HOST:]PORT --upstream HOST:PORT[,...] [options]",
    "       portico trust [--data-dir DIR]   (how to trust the --tls internal CA; changes nothing)",
    "",
    "Serves a directory over HTTP/1.1 (port defaults to 8080), reverse-proxies with --proxy,",
    "runs the sites of a configuration file with -c, or relays TCP streams with `portico tcp`.",
    "",
  ];
  let group = "";
  for (const spec of OPTIONS as readonly OptionSpec[]) {
    if (spec.group !== group) {
      group = spec.group;
      lines.push(`${group}:`);
    }
    const short = spec.short !== undefined ? `-${spec.short}, ` : "    ";
    const value = spec.type === "bool" ? "" : ` ${spec.meta ?? "VALUE"}`;
    const left = `  ${short}--${spec.flag}${value}`;
    const d = defaultText(spec);
    const help = d === "" || /\(default/.test(spec.help) ? spec.help : `${spec.help} (default: ${d})`;
    // Long flags push their help text over but never run into it.
    lines.push(left.padEnd(Math.max(36, left.length + 2)) + help);
  }
  lines.push(
    "",
    "  -h, --help                        show this help",
    "  -v, --version                     print the version",
  );
  return lines.join("\n");
}

const FILE_PLACE: Readonly<Record<string, string>> = {
  root: "`root` of a `[[site]]`",
  host: "`listen` of a `[[site]]`",
  config: "(the file itself)",
  watch: "(command line only)",
  vhosts: "one `[[site]]` per host",
  proxy: "`upstreams` of a route's `proxy`",
  app: "`app` of a `[[site.route]]`",
  port: "`listen` of a `[[site]]`",
  cert: "`tls = { cert, key }` of a `[[site]]`",
  key: "`tls = { cert, key }` of a `[[site]]`",
  acme: '`tls = "acme"` of a `[[site]]`',
  domain: "`hosts` of a `[[site]]` with `tls`",
  tls: '`tls = "internal"` of a `[[site]]`',
};

/** Where an option lives in a configuration file, for the README. */
export function filePlace(spec: OptionSpec): string {
  const key = `\`${fileKeyOf(spec)}\``;
  switch (sectionOf(spec)) {
    case "server":
      return `${key} (top level)`;
    case "log":
      return `${key} in \`[log]\``;
    case "acme":
      return `${key} in \`[acme]\``;
    case "files":
      return `${key} in a route's \`files\``;
    case "proxy":
      return `${key} in a route's \`proxy\``;
    default:
      return FILE_PLACE[spec.key] ?? "(`portico tcp` flags only)";
  }
}

/** The README's option tables of `groups`: one row per option (flag, key in a file, default, what it does). */
export function optionTables(groups: readonly OptionGroup[]): string {
  const out: string[] = [];
  for (const group of groups) {
    const specs = (OPTIONS as readonly OptionSpec[]).filter((o) => o.group === group);
    if (groups.length > 1) out.push("", `#### ${group}`);
    out.push("", "| Flag | In a file | Default | What it does |", "| --- | --- | --- | --- |");
    for (const spec of specs) {
      const flag = `${spec.short !== undefined ? `-${spec.short}, ` : ""}--${spec.flag}${spec.type === "bool" ? "" : ` ${spec.meta ?? "VALUE"}`}`;
      const d = defaultText(spec);
      out.push(
        `| \`${flag.replaceAll("|", "\\|")}\` | ${filePlace(spec)} | ${d === "" ? "" : `\`${d}\``} | ${(spec.doc ?? spec.help).replaceAll("|", "\\|")} |`,
      );
    }
  }
  return out.join("\n").trim();
}
