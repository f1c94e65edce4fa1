// Where a key sits in a configuration file's text: a key path (["site", 0, "route", 5, "prxy"]) →
// its line, so every error can name one. smol-toml (like JSON.parse) gives no positions for keys,
// so this reads the text once more with a small scanner of its own: table headers, [[array]]
// tables, dotted and quoted keys, inline tables; for JSON, object keys. It never validates: the
// parser already has; an unknown shape just yields fewer lines.

export type KeyPath = readonly (string | number)[];

/** Maps key paths (joined with "\u0000") to 1-based lines. */
export class KeyLines {
  readonly #lines = new Map<string, number>();

  record(path: KeyPath, line: number): void {
    const key = path.join("\u0000");
    if (!this.#lines.has(key)) this.#lines.set(key, line);
  }

  /** The line of `path`, else of its nearest recorded ancestor; 0 when none is known. */
  lineOf(path: KeyPath): number {
    for (let n = path.length; n >= 0; n--) {
      const line = this.#lines.get(path.slice(0, n).join("\u0000"));
      if (line !== undefined) return line;
    }
    return 0;
  }
}

/** Key lines of a TOML document. */
export function locateToml(text: string): KeyLines {
  const out = new KeyLines();
  const counts = new Map<string, number>();
  /** Concrete paths of the latest element of each array of tables, by their name path. */
  const latest = new Map<string, KeyPath>();
  let table: KeyPath = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = stripComment(lines[i]!).trim();
    if (line === "") continue;
    const array = /^\[\[(.*)\]\]$/.exec(line);
    const header = array === null ? /^\[(.*)\]$/.exec(line) : null;
    if (array !== null || header !== null) {
      const names = splitKey((array ?? header)![1]!.trim());
      const parent = resolve(names.slice(0, -1), latest);
      const last = names[names.length - 1]!;
      if (array !== null) {
        const arrayKey = [...parent, last].join("\u0000");
        const index = counts.get(arrayKey) ?? 0;
        counts.set(arrayKey, index + 1);
        table = [...parent, last, index];
        latest.set(names.join("."), table);
        out.record([...parent, last], lineNo);
      } else {
        table = [...parent, last];
      }
      out.record(table, lineNo);
      continue;
    }
    const eq = findEquals(line);
    if (eq === -1) continue;
    const keyPath = [...table, ...splitKey(line.slice(0, eq).trim())];
    out.record(keyPath, lineNo);
    const value = line.slice(eq + 1).trim();
    if (value.startsWith("{")) recordInline(value, keyPath, lineNo, out);
  }
  return out;
}

/** Resolves a header's parent names against the arrays of tables seen so far ("site" → ["site", 2]). */
function resolve(names: readonly string[], latest: ReadonlyMap<string, KeyPath>): KeyPath {
  let path: KeyPath = [];
  for (let n = 1; n <= names.length; n++) {
    const concrete = latest.get(names.slice(0, n).join("."));
    path = concrete ?? [...path, names[n - 1]!];
  }
  return path;
}

/** Keys of an inline table `{ a = 1, b = { c = 2 } }` on one line. */
function recordInline(value: string, path: KeyPath, line: number, out: KeyLines): void {
  const stack: KeyPath[] = [path];
  let i = 1;
  let expectKey = true;
  while (i < value.length && stack.length > 0) {
    const c = value[i]!;
    if (c === '"' || c === "'") {
      const end = skipString(value, i);
      if (expectKey) {
        const eq = value.indexOf("=", end);
        if (eq !== -1) {
          const key = [...stack[stack.length - 1]!, ...splitKey(value.slice(i, eq).trim())];
          out.record(key, line);
          expectKey = false;
          i = eq + 1;
          if (value.slice(i).trimStart().startsWith("{")) {
            stack.push(key);
            i = value.indexOf("{", i) + 1;
            expectKey = true;
          }
          continue;
        }
      }
      i = end;
      continue;
    }
    if (c === "[") {
      i = skipBrackets(value, i);
      continue;
    }
    if (c === "}") {
      stack.pop();
      expectKey = false;
      i++;
      continue;
    }
    if (c === ",") {
      expectKey = true;
      i++;
      continue;
    }
    if (expectKey && /[A-Za-z0-9_-]/.test(c)) {
      const eq = findEquals(value.slice(i));
      if (eq === -1) break;
      const key = [...stack[stack.length - 1]!, ...splitKey(value.slice(i, i + eq).trim())];
      out.record(key, line);
      expectKey = false;
      i += eq + 1;
      if (value.slice(i).trimStart().startsWith("{")) {
        stack.push(key);
        i = value.indexOf("{", i) + 1;
        expectKey = true;
      }
      continue;
    }
    i++;
  }
}

function skipString(s: string, start: number): number {
  const quote = s[start]!;
  let i = start + 1;
  while (i < s.length && s[i] !== quote) i += quote === '"' && s[i] === "\\" ? 2 : 1;
  return i + 1;
}

function skipBrackets(s: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '"' || c === "'") {
      i = skipString(s, i);
      continue;
    }
    if (c === "[") depth++;
    if (c === "]" && --depth === 0) return i + 1;
    i++;
  }
  return i;
}

/** The index of the `=` separating a key from its value (outside quotes), or -1. */
function findEquals(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"' || c === "'") i = skipString(s, i) - 1;
    else if (c === "=") return i;
  }
  return -1;
}

/** `a."b.c".d` → ["a", "b.c", "d"]. */
function splitKey(key: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < key.length) {
    while (key[i] === " " || key[i] === "\t") i++;
    const c = key[i];
    if (c === '"' || c === "'") {
      const end = skipString(key, i);
      const raw = key.slice(i + 1, end - 1);
      out.push(c === '"' ? raw.replace(/\\(.)/g, "$1") : raw);
      i = end;
    } else {
      let end = key.indexOf(".", i);
      if (end === -1) end = key.length;
      out.push(key.slice(i, end).trim());
      i = end;
    }
    while (key[i] === " " || key[i] === "\t") i++;
    if (key[i] === ".") i++;
  }
  return out;
}

/** The line without its comment (a `#` outside strings). */
function stripComment(line: string): string {
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '"' || c === "'") i = skipString(line, i) - 1;
    else if (c === "#") return line.slice(0, i);
  }
  return line;
}

/** Key lines of a JSON document (object keys and array elements that are objects). */
export function locateJson(text: string): KeyLines {
  const out = new KeyLines();
  let i = 0;
  let line = 1;
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) {
      if (text[i] === "\n") line++;
      i++;
    }
  };
  const readString = (): string => {
    const start = i;
    i = skipString(text, i);
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return text.slice(start + 1, i - 1);
    }
  };
  const value = (path: KeyPath): void => {
    skipSpace();
    const c = text[i];
    if (c === "{") {
      i++;
      skipSpace();
      while (i < text.length && text[i] !== "}") {
        if (text[i] !== '"') return;
        const key = readString();
        out.record([...path, key], line);
        skipSpace();
        i++; // ":"
        value([...path, key]);
        skipSpace();
        if (text[i] === ",") i++;
        skipSpace();
      }
      i++;
    } else if (c === "[") {
      i++;
      let index = 0;
      skipSpace();
      while (i < text.length && text[i] !== "]") {
        out.record([...path, index], line);
        value([...path, index++]);
        skipSpace();
        if (text[i] === ",") i++;
        skipSpace();
      }
      i++;
    } else if (c === '"') {
      readString();
    } else {
      while (i < text.length && !/[\s,}\]]/.test(text[i]!)) i++;
    }
  };
  value([]);
  return out;
}
