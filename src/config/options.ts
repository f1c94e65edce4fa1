// Every option Portico understands, with its flag, type, default and help text: the one place where
// defaults live. Flags, configuration-file keys (the flag's name with "_" for "-", in the section its
// group maps to), the file's schema, --help and the README's tables are all generated from this table.
// Its entries are written in three parts by group (options-site.ts, options-serving.ts,
// options-proxy.ts); this file joins them in order and holds the types and lookups.

/** "multi": a repeatable flag; each occurrence adds one string (a config file gives an array). */
import { PROXY_OPTIONS } from "./options-proxy.ts";
import { SERVING_OPTIONS } from "./options-serving.ts";
import { SITE_OPTIONS } from "./options-site.ts";

export type OptionType = "int" | "size" | "duration" | "string" | "bool" | "list" | "choice" | "multi";

/** The usage headings; each decides where the option's key lives in a configuration file. */
export type OptionGroup =
  | "Server"
  | "Files"
  | "Writes"
  | "HTTPS"
  | "Logging"
  | "Protocol"
  | "Limits"
  | "Proxy"
  | TcpGroup;
type TcpGroup = "TCP proxy (portico tcp ...)";

/**
 * Where an option's key lives in a configuration file: "server" at the top level, "log" in [log],
 * "acme" in [acme], "files" in a route's `files = {...}`, "proxy" in a route's `proxy = {...}`; "cli" options are
 * command-line only (what they set has its own place in the file: a site's root, listen or routes).
 */
export type OptionSection = "server" | "log" | "acme" | "files" | "proxy" | "cli";

export interface OptionSpec {
  /** Key in the option values (camelCase). */
  readonly key: string;
  /** Long flag without the dashes. */
  readonly flag: string;
  readonly short?: string;
  readonly type: OptionType;
  readonly default: unknown;
  readonly help: string;
  /** For "choice". */
  readonly choices?: readonly string[];
  /** Smallest allowed value for numbers (after unit conversion). */
  readonly min?: number;
  readonly max?: number;
  /** Shown as the value's name in usage. */
  readonly meta?: string;
  /** Group heading in usage; it also picks the file section unless `section` says otherwise. */
  readonly group: OptionGroup;
  /** The file section when it is not the group's (see SECTION_OF_GROUP). */
  readonly section?: OptionSection;
  /** The key in the file when it is not the flag with "_" for "-" (the [log] table's short names). */
  readonly fileKey?: string;
  /** The README's longer description (markdown), when `help` (for --help) says too little. */
  readonly doc?: string;
}

/** The file section of each usage group: a new option lands in the file where its group says. */
export const SECTION_OF_GROUP: Readonly<Record<OptionGroup, OptionSection>> = {
  Server: "server",
  Files: "files",
  Writes: "files",
  // The command line's site's certificates; a file's sites say theirs with `tls` (the ACME CA's
  // settings, the data directory and the redirecting port have their own keys: see each option).
  HTTPS: "cli",
  Logging: "log",
  Protocol: "server",
  Limits: "server",
  Proxy: "proxy",
  "TCP proxy (portico tcp ...)": "cli",
};

export const OPTIONS = [...SITE_OPTIONS, ...SERVING_OPTIONS, ...PROXY_OPTIONS] as const satisfies readonly OptionSpec[];

type Spec = (typeof OPTIONS)[number];

/** Every option's key: a key mistyped anywhere in the code fails type-checking. */
export type OptionKey = Spec["key"];

type ValueOf<S> = S extends { readonly type: "bool" }
  ? boolean
  : S extends { readonly type: "int" | "size" | "duration" }
    ? number
    : S extends { readonly type: "list" | "multi" }
      ? readonly string[]
      : S extends { readonly type: "choice"; readonly choices: readonly (infer C)[] }
        ? C
        : string;

/** The value of every option, typed from the table (sizes in bytes, durations in milliseconds). */
export type OptionValues = { readonly [S in Spec as S["key"]]: ValueOf<S> };

/** The options whose file section is `section`. */
export function optionsIn(section: OptionSection): OptionSpec[] {
  return (OPTIONS as readonly OptionSpec[]).filter((o) => sectionOf(o) === section);
}

export function sectionOf(spec: OptionSpec): OptionSection {
  return spec.section ?? SECTION_OF_GROUP[spec.group];
}

/** The option's key in a configuration file: `fileKey`, else the flag with "_" for "-". */
export function fileKeyOf(spec: OptionSpec): string {
  return spec.fileKey ?? spec.flag.replaceAll("-", "_");
}

/** Every option at its default. */
export function defaultValues(): OptionValues {
  const out: Record<string, unknown> = {};
  for (const o of OPTIONS as readonly OptionSpec[]) out[o.key] = o.default;
  return out as unknown as OptionValues;
}

export function optionByFlag(flag: string): OptionSpec | undefined {
  return (OPTIONS as readonly OptionSpec[]).find((o) => o.flag === flag);
}

export function optionByShort(short: string): OptionSpec | undefined {
  return (OPTIONS as readonly OptionSpec[]).find((o) => o.short === short);
}

export function optionByKey(key: string): OptionSpec | undefined {
  return (OPTIONS as readonly OptionSpec[]).find((o) => o.key === key);
}
