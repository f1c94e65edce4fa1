// The README's generated reference and the shipped JSON Schema: every flag group's table (flag, key
// in the file, default) from the option table, the keys of a [[site]], a [[site.route]] and their
// handler and middleware tables from the JSON Schema (so from the one zod schema), and the example
// file. scripts/generate.ts writes the README sections (between markers; test/config/reference.test.ts
// fails when they are stale), scripts/build.ts the schema into dist/ at build time. The server
// never loads this file.

import { optionTables } from "./help.ts";
import type { OptionGroup } from "./options.ts";
import { jsonSchema } from "./schema.ts";

/** JSON Schema nodes as zod writes them (only what the tables read). */
interface Node {
  readonly type?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly string[];
  readonly const?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: string;
  readonly items?: Node;
  readonly anyOf?: readonly Node[];
  readonly properties?: Readonly<Record<string, Node>>;
  readonly additionalProperties?: Node | boolean;
}

/** The JSON Schema file's text: what editors load (Taplo's `#:schema`, VS Code's json.schemas). */
export function schemaText(): string {
  return `${JSON.stringify(jsonSchema(), null, 2)}\n`;
}

/** A generated part of the README: its marker name and its text (given the example file's text). */
interface Section {
  readonly name: string;
  readonly text: (example: string) => string;
}

const options = (name: string, groups: readonly OptionGroup[]): Section => ({
  name,
  text: () => optionTables(groups),
});

export const SECTIONS: readonly Section[] = [
  { name: "example", text: (example) => `\`\`\`toml\n${example.endsWith("\n") ? example : `${example}\n`}\`\`\`` },
  { name: "site-keys", text: () => keyTable(site().properties!, "") },
  { name: "route-keys", text: () => keyTable(route().properties!, "") },
  { name: "table-keys", text: tableKeys },
  options("server-options", ["Server", "Protocol", "Limits"]),
  options("logging-options", ["Logging"]),
  options("files-options", ["Files"]),
  options("writes-options", ["Writes"]),
  options("proxy-options", ["Proxy"]),
  options("https-options", ["HTTPS"]),
  options("tcp-options", ["TCP proxy (portico tcp ...)"]),
];

const begin = (name: string): string => `<!-- generated: ${name} (npm run generate) -->`;
const end = (name: string): string => `<!-- end: ${name} -->`;

/**
 * The README with every generated section rewritten. Throws when a section's markers are missing, so
 * a section cannot silently drop out of the README.
 */
export function generateReadme(readme: string, example: string): string {
  let out = readme;
  for (const section of SECTIONS) {
    const from = out.indexOf(begin(section.name));
    const to = out.indexOf(end(section.name));
    if (from === -1 || to < from) throw new Error(`README.md lacks the markers of the "${section.name}" section`);
    out = `${out.slice(0, from + begin(section.name).length)}\n${section.text(example)}\n${out.slice(to)}`;
  }
  return out;
}

function site(): Node {
  return (jsonSchema() as { properties: { site: { items: Node } } }).properties.site.items;
}

function route(): Node {
  return site().properties!.route!.items!;
}

/** The keys of the handler and middleware tables, by their place in a route (or site). */
function tableKeys(): string {
  const r = route().properties!;
  const rows: string[] = [];
  const add = (table: string, node: Node, only?: readonly string[]): void => {
    const object = node.anyOf?.find((n) => n.type === "object") ?? node;
    for (const [key, child] of Object.entries(object.properties ?? {}))
      if (only === undefined || only.includes(key)) rows.push(row(`${table}.${key}`, child));
  };
  add("proxy", r.proxy!, ["upstreams", "try_files"]);
  add("app", r.app!);
  add("redirect", r.redirect!);
  add("respond", r.respond!);
  add("basic_auth", r.basic_auth!);
  add("rate_limit", r.rate_limit!);
  add("cors", r.cors!);
  return [HEAD, ...rows].join("\n");
}

const HEAD = "| Key | Value | What it does |\n| --- | --- | --- |";

function keyTable(properties: Readonly<Record<string, Node>>, prefix: string): string {
  return [HEAD, ...Object.entries(properties).map(([key, node]) => row(prefix + key, node))].join("\n");
}

function row(key: string, node: Node): string {
  const d = node.default;
  const shown =
    d === undefined
      ? ""
      : d === ""
        ? " (default: empty)"
        : ` (default: \`${Array.isArray(d) ? d.join(",") : String(d)}\`)`;
  return `| \`${key}\` | ${kindOf(node)} | ${cell(node.description ?? "")}${shown} |`;
}

/** What a value looks like, in a few words. */
function kindOf(node: Node): string {
  if (node.anyOf !== undefined) {
    const kinds = node.anyOf;
    if (kinds.some((k) => k.type === "integer") && kinds.some((k) => k.pattern !== undefined))
      return kinds.some((k) => k.pattern?.includes("kKmMgG")) ? "size" : "duration";
    if (kinds.every((k) => k.const !== undefined)) return kinds.map((k) => String(k.const)).join(", ");
    return kinds.map(kindOf).join(" or ");
  }
  if (node.enum !== undefined) return node.enum.map((e) => `\`"${e}"\``).join(", ");
  switch (node.type) {
    case "boolean":
      return "true or false";
    case "integer":
      return node.minimum !== undefined && node.maximum !== undefined && node.maximum < 1e9
        ? `integer ${node.minimum}–${node.maximum}`
        : "integer";
    case "array":
      return node.items?.type === "object" ? "tables" : "list of strings";
    case "object":
      return node.properties === undefined ? "table of strings" : "table";
    default:
      return "string";
  }
}

function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}
