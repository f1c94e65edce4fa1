// Response field edits a site or route asks for (set, add, remove), compiled once at configuration
// time. The response carries them (Response.edits → OutgoingHead.edits) and each protocol's
// serializer applies them to every head it writes: a handler's string fields, an upstream's copied
// field lines, the default fields (Server), and prepared responses (encoded once per second and per
// edits object, so a cached file with a site's headers is still one write of existing bytes).
// Values are checked when the configuration is read; nothing here runs per request but the filters.

import { Buffer } from "node:buffer";
import type { CopiedFields, HeaderList } from "./response.ts";
import type { ResponseDefaults } from "./response-defaults.ts";

type Pairs = readonly (readonly [string, string])[];

export class FieldEdits {
  readonly set: Pairs;
  readonly add: Pairs;
  readonly remove: readonly string[];
  /** Lower-case names whose handler, upstream or default values are dropped (removed, or replaced by `set`). */
  readonly #dropped: ReadonlySet<string>;
  /** The `set` and `add` fields as a flat list (name, value, …): what every edited head gains. */
  readonly fields: HeaderList;
  /** The same fields as HTTP/1.1 lines, each ending in CRLF, as a string and as bytes. */
  readonly h1Lines: string;
  readonly h1Bytes: Buffer;
  /** Whether every value is ASCII (h1-writer.ts may then write a head as a string). */
  readonly ascii: boolean;
  /** The last defaults object seen, and its fields (and HTTP/1.1 lines) minus the dropped ones. */
  #defaults: ResponseDefaults | null = null;
  #defaultFields: HeaderList = [];
  #defaultLines = "";

  constructor(set: Pairs, add: Pairs, remove: readonly string[]) {
    this.set = set;
    this.add = add;
    this.remove = remove;
    const dropped = new Set(remove.map((n) => n.toLowerCase()));
    for (const [name] of set) dropped.add(name.toLowerCase());
    this.#dropped = dropped;
    const fields: string[] = [];
    let lines = "";
    for (const [name, value] of [...set, ...add]) {
      fields.push(name, value);
      lines += `${name}: ${value}\r\n`;
    }
    this.fields = fields;
    this.h1Lines = lines;
    this.h1Bytes = Buffer.from(lines, "latin1");
    this.ascii = !/[^\x00-\x7f]/.test(lines);
  }

  /** These edits with more fields set and added on top (a route's CORS fields after the site's headers). */
  extend(set: Pairs, add: Pairs = []): FieldEdits {
    const replaced = new Set(set.map(([n]) => n.toLowerCase()));
    return new FieldEdits(
      [...this.set.filter(([n]) => !replaced.has(n.toLowerCase())), ...set],
      [...this.add, ...add],
      this.remove,
    );
  }

  /** Whether a field of this name (lower-case) loses its original values. */
  drops(name: string): boolean {
    return this.#dropped.has(name);
  }

  /** The fields minus the dropped ones (the edits' own fields are added by the serializer). */
  filter(headers: HeaderList): HeaderList {
    if (this.#dropped.size === 0) return headers;
    let out: string[] | null = null;
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (this.#dropped.has(headers[i]!.toLowerCase())) {
        out ??= headers.slice(0, i);
      } else if (out !== null) out.push(headers[i]!, headers[i + 1]!);
    }
    return out ?? headers;
  }

  /** The defaults' HTTP/1.1 lines minus the dropped fields (a site that removes or sets Server). */
  defaultLines(defaults: ResponseDefaults): string {
    if (defaults !== this.#defaults) this.#keepDefaults(defaults);
    return this.#defaultLines;
  }

  /**
   * The defaults' fields minus the dropped ones: the same list object for as long as the defaults are,
   * so HTTP/2's encoder (which keeps each default list's encoding) encodes it once.
   */
  defaultFields(defaults: ResponseDefaults): HeaderList {
    if (defaults !== this.#defaults) this.#keepDefaults(defaults);
    return this.#defaultFields;
  }

  #keepDefaults(defaults: ResponseDefaults): void {
    this.#defaults = defaults;
    const kept = this.filter(defaults.fields);
    let lines = "";
    for (let i = 0; i + 1 < kept.length; i += 2) lines += `${kept[i]}: ${kept[i + 1]}\r\n`;
    this.#defaultFields = kept;
    this.#defaultLines = lines;
  }

  /** Copied upstream field lines minus the dropped ones, with the edits' lines added to their extra lines. */
  filterCopied(fields: CopiedFields): CopiedFields {
    const extra = fields.extra.length === 0 ? this.h1Bytes : Buffer.concat([fields.extra, this.h1Bytes]);
    const reason = fields.reason !== undefined ? { reason: fields.reason } : {};
    if (this.#dropped.size === 0)
      return { raw: fields.raw, lines: fields.lines, count: fields.count, extra, ...reason };
    const lines: number[] = [];
    const raw = fields.raw;
    for (let k = 0; k < fields.count; k += 2) {
      // A run may hold several adjacent lines: look at each.
      let start = fields.lines[k]!;
      const end = fields.lines[k + 1]!;
      while (start < end) {
        let lineEnd = raw.indexOf(CRLF, start);
        if (lineEnd === -1 || lineEnd > end) lineEnd = end;
        const colon = raw.indexOf(0x3a, start);
        const name = raw.toString("latin1", start, colon === -1 || colon > lineEnd ? lineEnd : colon).toLowerCase();
        if (!this.#dropped.has(name)) lines.push(start, lineEnd);
        start = lineEnd + 2;
      }
    }
    return { raw, lines, count: lines.length, extra, ...reason };
  }
}

const CRLF = Buffer.from("\r\n", "latin1");
