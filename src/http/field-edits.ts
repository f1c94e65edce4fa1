// Response field edits a site or route asks for (set, add, remove), compiled once at configuration
// time and applied by the response writer to every head it builds: handler fields, proxied upstream
// fields (copied as bytes) and prepared responses (PreparedResponse keeps one edited copy per edits
// object, so a cached file with site headers still costs one write of an existing buffer).

import { Buffer } from "node:buffer";
import type { CopiedFields, HeaderList } from "./response.ts";

type Pairs = readonly (readonly [string, string])[];

export class FieldEdits {
  readonly set: Pairs;
  readonly add: Pairs;
  readonly remove: readonly string[];
  /** Lower-case names whose handler or upstream values are dropped (removed, or replaced by `set`). */
  readonly #dropped: ReadonlySet<string>;
  /** The `set` and `add` field lines, serialised, each ending in CRLF. */
  readonly block: string;
  readonly blockBytes: Buffer;
  /** Whether the engine's own `Server` line stays. */
  readonly keepServer: boolean;

  constructor(set: Pairs, add: Pairs, remove: readonly string[]) {
    this.set = set;
    this.add = add;
    this.remove = remove;
    const dropped = new Set(remove.map((n) => n.toLowerCase()));
    for (const [name] of set) dropped.add(name.toLowerCase());
    this.#dropped = dropped;
    this.keepServer = !dropped.has("server");
    let block = "";
    for (const [name, value] of [...set, ...add]) block += `${name}: ${value}\r\n`;
    this.block = block;
    this.blockBytes = Buffer.from(block, "latin1");
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

  /** The handler's fields minus the dropped ones (the block is appended by the caller). */
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

  /** Copied upstream field lines minus the dropped ones, with the block added to their extra lines. */
  filterCopied(fields: CopiedFields): CopiedFields {
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
    const extra = fields.extra.length === 0 ? this.blockBytes : Buffer.concat([fields.extra, this.blockBytes]);
    return {
      raw,
      lines,
      count: lines.length,
      extra,
      ...(fields.reason !== undefined ? { reason: fields.reason } : {}),
    };
  }
}

const CRLF = Buffer.from("\r\n", "latin1");
