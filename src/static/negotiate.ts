// Proactive negotiation inputs (RFC 9110 §12): Accept-Encoding with q-values (§12.5.3) → the encodings a
// client takes, best first; Accept (§12.5.1) → whether it wants HTML or JSON. Pure. Parsed results are
// kept per distinct field value in a small map, since browsers repeat the same value on every request.

import { ENCODINGS } from "./file-entry.ts";

const CACHE_LIMIT = 64;
const NONE: readonly number[] = [];
const byValue = new Map<string, readonly number[]>();

/**
 * Encoding indexes (into ENCODINGS) the client accepts, by descending q-value and then by the server's
 * own preference. Identity is always acceptable to us as a fallback, so it is not listed.
 */
export function acceptedEncodings(value: string): readonly number[] {
  const cached = byValue.get(value);
  if (cached !== undefined) return cached;
  const result = parseAcceptEncoding(value);
  if (byValue.size >= CACHE_LIMIT) byValue.clear();
  byValue.set(value, result);
  return result;
}

function parseAcceptEncoding(value: string): readonly number[] {
  const q = [-1, -1, -1];
  let star = -1;
  for (const member of value.split(",")) {
    const semi = member.indexOf(";");
    let coding = (semi === -1 ? member : member.slice(0, semi)).trim().toLowerCase();
    if (coding === "") continue;
    const weight = semi === -1 ? 1 : parseQ(member.slice(semi + 1));
    if (coding === "x-gzip") coding = "gzip";
    if (coding === "*") {
      star = weight;
      continue;
    }
    const index = (ENCODINGS as readonly string[]).indexOf(coding);
    if (index !== -1) q[index] = Math.max(q[index]!, weight);
  }
  const out: number[] = [];
  for (let i = 0; i < q.length; i++) {
    // "*" covers codings not listed by name (§12.5.3).
    if (q[i] === -1) q[i] = star === -1 ? 0 : star;
    if (q[i]! > 0) out.push(i);
  }
  if (out.length === 0) return NONE;
  // Stable sort: equal weights keep the server's order.
  return out.sort((a, b) => q[b]! - q[a]!);
}

/** The q parameter of a member's parameters (RFC 9110 §12.4.2); 1 when absent, 0 when malformed. */
function parseQ(params: string): number {
  for (const param of params.split(";")) {
    const eq = param.indexOf("=");
    if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== "q") continue;
    const text = param.slice(eq + 1).trim();
    if (!/^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(text)) return 0;
    return Number(text);
  }
  return 1;
}

/** q-values of each media range in an Accept field, as [type/subtype, q] pairs in order. */
function mediaRanges(accept: string): Array<{ readonly type: string; readonly q: number }> {
  const out: Array<{ type: string; q: number }> = [];
  for (const member of accept.split(",")) {
    const semi = member.indexOf(";");
    const type = (semi === -1 ? member : member.slice(0, semi)).trim().toLowerCase();
    if (type === "") continue;
    out.push({ type, q: semi === -1 ? 1 : parseQ(member.slice(semi + 1)) });
  }
  return out;
}

/** The q-value Accept gives a media type, taking the most specific matching range (§12.5.1). */
function qualityOf(ranges: ReturnType<typeof mediaRanges>, type: string): number {
  const major = `${type.slice(0, type.indexOf("/"))}/*`;
  let exact = -1;
  let partial = -1;
  let any = -1;
  for (const r of ranges) {
    if (r.type === type) exact = Math.max(exact, r.q);
    else if (r.type === major) partial = Math.max(partial, r.q);
    else if (r.type === "*/*") any = Math.max(any, r.q);
  }
  return exact !== -1 ? exact : partial !== -1 ? partial : any !== -1 ? any : 0;
}

/** True when the client names text/html explicitly with a non-zero weight (a browser navigation). */
export function acceptsHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  for (const r of mediaRanges(accept)) if (r.type === "text/html" && r.q > 0) return true;
  return false;
}

/** True when the client names application/json and weighs it at least as high as text/html. */
export function prefersJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  const ranges = mediaRanges(accept);
  const json = ranges.find((r) => r.type === "application/json");
  if (json === undefined || json.q === 0) return false;
  return json.q >= qualityOf(ranges, "text/html");
}
