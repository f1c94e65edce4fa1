// The fields of the Request an app receives, as a standard Headers (it is `instanceof Headers`): get()
// and has() read the parsed head's field lines; anything else first copies them into a real Headers.
// Not here: the Request itself (fetch-request.ts).

import { equalsLowerAscii, TCHAR } from "../common/bytes.ts";
import type { Request as HttpRequest } from "../http/request.ts";

const NativeHeaders = globalThis.Headers;
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

function invalidName(name: string): TypeError {
  return new TypeError(`Headers: invalid header name ${JSON.stringify(name)}`);
}

/** Lower-cases a field name for comparison, or throws as Headers does for a name that is not a token. */
function fieldKey(name: string): string {
  const n = name.length;
  if (n === 0) throw invalidName(name);
  let lower = true;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff || TCHAR[c] !== 1) throw invalidName(name);
    if (c >= 0x41 && c <= 0x5a) lower = false;
  }
  return lower ? name : name.toLowerCase();
}

/**
 * The request's fields as a standard Headers (it is `instanceof Headers`). get() and has() read the
 * parsed head's field lines (values combined with ", " as Headers does); anything else — iteration,
 * changes — first copies them into a real Headers and delegates to it.
 */
export class RequestHeaders {
  /**
   * The request whose head's bytes (`raw`, which the field table's offsets index) are read until
   * keepText(): read from it each time, as the connection moves them out of the shared read buffer
   * when the request outlives the read.
   */
  readonly #head: HttpRequest;
  /** The head's field bytes as a latin1 string, and the offset of its first character in `raw`. */
  #text: string | null = null;
  #base = 0;
  readonly #fields: readonly number[];
  #real: Headers | null = null;

  constructor(head: HttpRequest) {
    this.#head = head;
    this.#fields = head.fields;
  }

  /**
   * Keeps raw[start, end) as a string (one native call, no buffer): the read buffer the head is in is
   * about to be reused, and a string is the cheapest copy that outlives it.
   */
  keepText(start: number, end: number): void {
    if (this.#real !== null || this.#text !== null) return;
    this.#text = this.#head.raw.toString("latin1", start, end);
    this.#base = start;
  }

  get(name: string): string | null {
    if (this.#real !== null) return this.#real.get(name);
    const key = fieldKey(name);
    const f = this.#fields;
    const text = this.#text;
    let out: string | null = null;
    if (text !== null) {
      const base = this.#base;
      for (let k = 0; k < f.length; k += 5) {
        if (!equalsLowerText(text, f[k]! - base, f[k + 1]! - base, key)) continue;
        const value = text.slice(f[k + 2]! - base, f[k + 3]! - base);
        out = out === null ? value : `${out}, ${value}`;
      }
      return out;
    }
    const raw = this.#head.raw;
    for (let k = 0; k < f.length; k += 5) {
      if (!equalsLowerAscii(raw, f[k]!, f[k + 1]!, key)) continue;
      const value = raw.toString("latin1", f[k + 2]!, f[k + 3]!);
      out = out === null ? value : `${out}, ${value}`;
    }
    return out;
  }

  has(name: string): boolean {
    if (this.#real !== null) return this.#real.has(name);
    const key = fieldKey(name);
    const f = this.#fields;
    const text = this.#text;
    const base = this.#base;
    for (let k = 0; k < f.length; k += 5) {
      const found =
        text !== null
          ? equalsLowerText(text, f[k]! - base, f[k + 1]! - base, key)
          : equalsLowerAscii(this.#head.raw, f[k]!, f[k + 1]!, key);
      if (found) return true;
    }
    return false;
  }

  set(name: string, value: string): void {
    this.#materialize().set(name, value);
  }

  append(name: string, value: string): void {
    this.#materialize().append(name, value);
  }

  delete(name: string): void {
    this.#materialize().delete(name);
  }

  getSetCookie(): string[] {
    return this.#materialize().getSetCookie();
  }

  forEach(callback: (value: string, name: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [name, value] of this.#materialize()) callback.call(thisArg, value, name, this as unknown as Headers);
  }

  entries(): IterableIterator<[string, string]> {
    return this.#materialize().entries();
  }

  keys(): IterableIterator<string> {
    return this.#materialize().keys();
  }

  values(): IterableIterator<string> {
    return this.#materialize().values();
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.#materialize()[Symbol.iterator]();
  }

  [INSPECT](): Headers {
    return this.#materialize();
  }

  /** A real Headers holding the same fields, made once; from then on every call goes to it. */
  #materialize(): Headers {
    if (this.#real !== null) return this.#real;
    const real = new NativeHeaders();
    const f = this.#fields;
    const text = this.#text;
    const base = this.#base;
    for (let k = 0; k < f.length; k += 5) {
      if (text !== null)
        real.append(text.slice(f[k]! - base, f[k + 1]! - base), text.slice(f[k + 2]! - base, f[k + 3]! - base));
      else {
        const raw = this.#head.raw;
        real.append(raw.toString("latin1", f[k]!, f[k + 1]!), raw.toString("latin1", f[k + 2]!, f[k + 3]!));
      }
    }
    this.#real = real;
    return real;
  }
}
Object.setPrototypeOf(RequestHeaders.prototype, NativeHeaders.prototype);

/** equalsLowerAscii over a latin1 string: whether text[start, end) is `lower` in any ASCII case. */
function equalsLowerText(text: string, start: number, end: number, lower: string): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    let c = text.charCodeAt(start + i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}
