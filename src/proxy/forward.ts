// Header rewriting for forwarded messages, pure (no I/O): the upstream request head as one buffer,
// and the byte ranges of the response fields sent back. Hop-by-hop fields go (RFC 9110 §7.6.1, including
// those the Connection field names); Via is added both ways (§7.6.3); X-Forwarded-For and Forwarded
// (RFC 7239) are appended to, X-Forwarded-Proto/-Host replaced; the path prefix is replaced and Host
// kept or rewritten.

import { Buffer } from "node:buffer";
import { copyAll, equalsLowerAscii } from "../common/bytes.ts";
import { copyInto, type OutputTarget } from "../http/arena.ts";
import { F_CONNECTION, F_COUNT, F_HOST, F_UPGRADE, knownFieldId } from "../http/headers.ts";
import { reasonPhrase } from "../http/status.ts";
import type { RequestHead } from "../http/request-head.ts";
import type { ResponseHead } from "../http/parse-response.ts";
import type { CopiedFields } from "../http/response.ts";

export interface ForwardPlan {
  /** The client's address as the socket reports it. */
  readonly clientAddress: string;
  /** Scheme the client used to reach us. */
  readonly proto: string;
  /** The route prefix this request matched ("/" for the default pool). */
  readonly prefix: string;
  /** The upstream URL's path replacing the prefix (nginx proxy_pass semantics), or null to keep the path. */
  readonly basePath: string | null;
  /** Host field sent upstream instead of the client's, or null to keep the client's. */
  readonly host: string | null;
  /** Fallback Host when the client sent none (HTTP/1.0): the upstream's authority. */
  readonly upstreamAuthority: string;
  /** Forward the client's Upgrade request (RFC 9110 §7.8). */
  readonly upgrade: boolean;
}

/** Our Via entry for a message received as HTTP/major.minor (RFC 9110 §7.6.3 names the version received). */
export function via(minor: number, major = 1): string {
  return major === 2 ? "2 portico" : minor === 0 ? "1.0 portico" : "1.1 portico";
}

const F_X_FORWARDED_FOR = knownFieldId("x-forwarded-for");
const F_FORWARDED = knownFieldId("forwarded");
const F_VIA = knownFieldId("via");

// What becomes of each known field, by id (an unknown name is kept unless Connection names it).
const KEEP = 0;
const DROP = 1;
/** Merged into the line we add (Via; a request's X-Forwarded-For and Forwarded). */
const MERGE = 2;
/** Hop-by-hop (RFC 9110 §7.6.1) or proxy-to-proxy: never forwarded in either direction. */
const HOP_BY_HOP = [
  "connection",
  "te",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "trailer",
  "proxy-authorization",
  "proxy-authenticate",
];
function fates(drop: readonly string[], merge: readonly string[]): Uint8Array {
  const table = new Uint8Array(F_COUNT);
  for (const name of drop) table[knownFieldId(name)] = DROP;
  for (const name of merge) table[knownFieldId(name)] = MERGE;
  return table;
}
/**
 * Framing is rebuilt by us, Expect answered by the engine; Host is decided per request. A client's
 * X-Forwarded-Proto and X-Forwarded-Host are replaced, not appended to: frameworks read their first
 * value, which a client could otherwise set (a fake "https", a poisoned host in reset links), as
 * nginx's usual `proxy_set_header X-Forwarded-Proto $scheme` and HAProxy replace them.
 */
const REQUEST_FATE = fates(
  [...HOP_BY_HOP, "content-length", "expect", "x-forwarded-proto", "x-forwarded-host"],
  ["x-forwarded-for", "forwarded", "via"],
);
/** The engine frames the body and sends its own Date and Server. */
const RESPONSE_FATE = fates([...HOP_BY_HOP, "content-length", "date", "server"], ["via"]);

/**
 * The path sent upstream: the prefix replaced by basePath, with exactly one slash at the seam; the
 * prefix itself becomes basePath exactly (nginx proxy_pass: /r → http://h/raw/reset asks for
 * /raw/reset, not /raw/reset/). A path routed to the prefix by its canonical form ("/%61pi/x" or
 * "/api//x" for "/api/") is rewritten from its normalized form, as nginx rewrites the normalized URI.
 */
export function rewritePath(path: string, prefix: string, basePath: string | null): string {
  if (basePath === null || path === "*") return path;
  if (!coversPrefix(prefix, path)) {
    const normalized = normalizePath(path);
    const encodedPrefix = normalizePath(encodePath(prefix));
    if (coversPrefix(encodedPrefix, normalized)) {
      path = normalized;
      prefix = encodedPrefix;
    }
  }
  let rest = path.slice(prefix.length);
  if (rest === "") return basePath;
  if (!rest.startsWith("/")) rest = `/${rest}`;
  const base = basePath.endsWith("/") ? basePath.slice(0, -1) : basePath;
  return base + rest;
}

function coversPrefix(prefix: string, path: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || prefix.endsWith("/") || path.charCodeAt(prefix.length) === 0x2f;
}

/**
 * A path's normal form for comparing with a prefix (RFC 3986 §6.2.2): escapes of characters that
 * need none decoded, the others kept with upper-case digits, characters that need one escaped,
 * empty segments merged (a trailing slash kept). "%2F" and "%25" stay escaped: decoded they would
 * change the segments or start an escape. Dot segments never get here (the handler refuses them).
 */
export function normalizePath(path: string): string {
  let out = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === "/") {
      if (!out.endsWith("/")) out += "/";
      continue;
    }
    if (c === "%" && /^[0-9a-fA-F]{2}$/.test(path.slice(i + 1, i + 3))) {
      const byte = Number.parseInt(path.slice(i + 1, i + 3), 16);
      const ch = String.fromCharCode(byte);
      out += byte < 0x80 && PCHAR.test(ch) ? ch : `%${path.slice(i + 1, i + 3).toUpperCase()}`;
      i += 2;
      continue;
    }
    out += PCHAR.test(c) ? c : encodeURIComponent(c);
  }
  return out;
}

/** A decoded path (a route's, as configured) in the form normalizePath gives a request's. */
function encodePath(decoded: string): string {
  let out = "";
  for (const c of decoded) out += c === "/" || PCHAR.test(c) ? c : encodeURIComponent(c);
  return out;
}

/** Characters a path segment holds without an escape (RFC 3986 §3.3 pchar, minus "%"). */
const PCHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]$/;

/** RFC 7239 §6: node names that are not tokens (IPv6, host:port) are quoted, IPv6 in brackets. */
function forwardedNode(value: string, isAddress: boolean): string {
  const v = isAddress && value.includes(":") ? `[${value}]` : value;
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(v) ? v : `"${v.replace(/["\\]/g, "\\$&")}"`;
}

function appendList(existing: string | undefined, value: string): string {
  return existing === undefined || existing === "" ? value : `${existing}, ${value}`;
}

// The forwarding fields for a request that brought none of its own depend only on client, host and
// scheme, which repeat from request to request on a connection: the last block is kept.
// It is kept as bytes, copied rather than encoded per request.
let lastClient = "";
let lastHost = "";
let lastProto = "";
/** The version as major * 10 + minor. */
let lastVersion = -1;
let lastBlock: Buffer = Buffer.alloc(0);

/** The block for a request to `host` (its Host, or the upstream's authority when it has none). */
function forwardingBlock(client: string, req: RequestHead, fallbackHost: string, proto: string): Buffer {
  // The request's host is compared in place: most requests repeat the last one's, and need no string.
  if (
    client !== lastClient ||
    proto !== lastProto ||
    req.versionMajor * 10 + req.versionMinor !== lastVersion ||
    !req.hostIs(lastHost, fallbackHost)
  ) {
    const host = req.host !== "" ? req.host : fallbackHost;
    lastClient = client;
    lastHost = host;
    lastProto = proto;
    lastVersion = req.versionMajor * 10 + req.versionMinor;
    lastBlock = Buffer.from(
      `X-Forwarded-For: ${client}\r\nX-Forwarded-Proto: ${proto}\r\nX-Forwarded-Host: ${host}\r\n` +
        `Forwarded: for=${forwardedNode(client, true)};host=${forwardedNode(host, false)};proto=${proto}\r\nVia: ${via(req.versionMinor, req.versionMajor)}\r\n`,
      "latin1",
    );
  }
  return lastBlock;
}

const HTTP11_LINE_END = Buffer.from(" HTTP/1.1\r\n", "latin1");
const KEEP_RUNS: number[] = [];
const NO_BYTES: Buffer = Buffer.alloc(0);

const OWN_BUFFER: OutputTarget = { outputBuffer: (n) => Buffer.allocUnsafe(n) };

/**
 * The complete upstream request head (request line, fields, framing, final CRLF) as one buffer from
 * `target`, to be written there before anything else is assembled. Field lines that pass unchanged
 * are copied from the received bytes.
 */
export function buildRequestHead(req: RequestHead, plan: ForwardPlan, target: OutputTarget = OWN_BUFFER): Buffer {
  // RFC 9112 §3.2.2: with an absolute-form target the target's authority is the host, not the Host field.
  const hostOverride = plan.host ?? (req.absoluteForm ? req.host : null);
  const raw = req.raw;
  const f = req.fields;
  const connectionNamed = req.has(F_CONNECTION) ? req.tokens(F_CONNECTION) : null;
  let xff: string | undefined;
  let forwarded: string | undefined;
  let viaList: string | undefined;
  let hostSeen = false;
  // Ranges of raw field lines to copy: start, end pairs (the first `kept` numbers of KEEP_RUNS).
  const keep = KEEP_RUNS;
  let kept = 0;
  let keepBytes = 0;
  for (let k = 0; k < f.length; k += 5) {
    const id = f[k + 4]!;
    const ns = f[k]!;
    if (id !== -1) {
      const fate = REQUEST_FATE[id];
      if (fate === DROP) continue;
      if (fate === MERGE) {
        // A field the client named in Connection is hop-by-hop (RFC 9110 §7.6.1): not carried on.
        if (connectionNamed !== null && matchesAny(raw, ns, f[k + 1]!, connectionNamed)) continue;
        const value = raw.toString("latin1", f[k + 2]!, f[k + 3]!);
        if (id === F_X_FORWARDED_FOR) xff = appendList(xff, value);
        else if (id === F_FORWARDED) forwarded = appendList(forwarded, value);
        else if (id === F_VIA) viaList = appendList(viaList, value);
        continue;
      }
      if (id === F_HOST) {
        if (hostOverride !== null) continue;
        // Host is end-to-end: a client naming it in Connection must not strip it (RFC 9110 §7.6.1).
        hostSeen = true;
        keepBytes += f[k + 3]! - ns + 2;
        kept = addRun(keep, kept, ns, f[k + 3]!);
        continue;
      }
    }
    if (connectionNamed !== null && matchesAny(raw, ns, f[k + 1]!, connectionNamed)) continue;
    keepBytes += f[k + 3]! - ns + 2;
    kept = addRun(keep, kept, ns, f[k + 3]!);
  }

  // An origin-form target that keeps its path is copied as received, method included.
  const copyLine = plan.basePath === null && !req.absoluteForm && req.targetEnd > req.lineStart;
  const head = copyLine
    ? ""
    : `${req.method} ${rewritePath(req.path, plan.prefix, plan.basePath)}${req.query} HTTP/1.1\r\n`;
  let hostLine = "";
  if (hostOverride !== null) hostLine = `Host: ${hostOverride}\r\n`;
  else if (!hostSeen) hostLine = `Host: ${req.host !== "" ? req.host : plan.upstreamAuthority}\r\n`;
  let tail = "";
  let block: Buffer = NO_BYTES;
  const client = plan.clientAddress;
  if (xff === undefined && forwarded === undefined && viaList === undefined) {
    block = forwardingBlock(client, req, plan.upstreamAuthority, plan.proto);
  } else {
    const originalHost = req.host !== "" ? req.host : plan.upstreamAuthority;
    tail += `X-Forwarded-For: ${appendList(xff, client)}\r\n`;
    tail += `X-Forwarded-Proto: ${plan.proto}\r\n`;
    tail += `X-Forwarded-Host: ${originalHost}\r\n`;
    tail += `Forwarded: ${appendList(forwarded, `for=${forwardedNode(client, true)};host=${forwardedNode(originalHost, false)};proto=${plan.proto}`)}\r\n`;
    tail += `Via: ${appendList(viaList, via(req.versionMinor, req.versionMajor))}\r\n`;
  }
  if (req.chunked) tail += "Transfer-Encoding: chunked\r\n";
  else if (req.contentLength >= 0) tail += `Content-Length: ${req.contentLength}\r\n`;
  if (plan.upgrade && req.upgrade !== "") tail += `Connection: upgrade\r\nUpgrade: ${req.upgrade}\r\n`;

  // Everything is latin1 (one byte per character): string lengths are byte lengths.
  const lineLength = copyLine ? req.targetEnd - req.lineStart + HTTP11_LINE_END.length : head.length;
  const out = target.outputBuffer(lineLength + keepBytes + hostLine.length + block.length + tail.length + 2);
  let at = 0;
  if (copyLine) {
    at += copyInto(raw, req.lineStart, req.targetEnd, out, 0);
    copyAll(HTTP11_LINE_END, out, at);
    at += HTTP11_LINE_END.length;
  } else {
    at += out.write(head, 0, "latin1");
  }
  for (let k = 0; k < kept; k += 2) {
    at += copyInto(raw, keep[k]!, keep[k + 1]!, out, at);
    out[at++] = 0x0d;
    out[at++] = 0x0a;
  }
  if (hostLine !== "") at += out.write(hostLine, at, "latin1");
  copyAll(block, out, at);
  at += block.length;
  if (tail !== "") at += out.write(tail, at, "latin1");
  out[at++] = 0x0d;
  out[at] = 0x0a;
  return out;
}

/** What copiedResponseFields returns: one object, refilled by every call (use it before the next). */
const COPIED: { raw: Buffer; lines: number[]; count: number; extra: Buffer; reason: string } = {
  raw: Buffer.alloc(0),
  lines: [],
  count: 0,
  extra: Buffer.alloc(0),
  reason: "",
};

/**
 * The response fields to send the client, as byte ranges of the upstream's head to copy unchanged
 * (the parser has validated them): the upstream's minus hop-by-hop fields, framing (the engine
 * re-frames), Date and Server (the engine sends its own), with Via merged into the one line we add.
 */
export function copiedResponseFields(head: ResponseHead): CopiedFields {
  const raw = head.raw;
  const f = head.fields;
  const connectionNamed = head.connectionNamesFields ? head.tokens(F_CONNECTION) : null;
  const lines = COPIED.lines;
  let count = 0;
  let viaList: string | undefined;
  for (let k = 0; k < f.length; k += 5) {
    const id = f[k + 4]!;
    const fate = id === -1 ? KEEP : RESPONSE_FATE[id];
    if (fate === DROP) continue;
    if (connectionNamed !== null && matchesAny(raw, f[k]!, f[k + 1]!, connectionNamed)) continue;
    if (fate === MERGE) viaList = appendList(viaList, raw.toString("latin1", f[k + 2]!, f[k + 3]!));
    else count = addRun(lines, count, f[k]!, f[k + 3]!);
  }
  COPIED.raw = raw;
  COPIED.count = count;
  // A status without a registered reason phrase keeps the upstream's (nginx relays it too).
  COPIED.reason = reasonPhrase(head.status) === "" ? head.reason : "";
  const ours = head.versionMinor === 0 ? VIA_LINE_10 : VIA_LINE;
  COPIED.extra = viaList === undefined ? ours : Buffer.from(`Via: ${viaList}, ${via(head.versionMinor)}\r\n`, "latin1");
  return COPIED;
}

const VIA_LINE = Buffer.from(`Via: ${via(1)}\r\n`, "latin1");
const VIA_LINE_10 = Buffer.from(`Via: ${via(0)}\r\n`, "latin1");

/** The head of a 101 relayed to the client: the upstream's fields with Connection/Upgrade kept. */
export function switchingProtocolsHead(head: ResponseHead): Buffer {
  const { raw, lines, count, extra } = copiedResponseFields(head);
  const parts: Buffer[] = [Buffer.from(`HTTP/1.1 101 ${head.reason || "Switching Protocols"}\r\n`, "latin1")];
  for (let k = 0; k < count; k += 2) parts.push(raw.subarray(lines[k]!, lines[k + 1]!), CRLF);
  const upgrade = head.get(F_UPGRADE);
  parts.push(
    extra,
    Buffer.from(`Connection: upgrade\r\n${upgrade !== undefined ? `Upgrade: ${upgrade}\r\n` : ""}\r\n`, "latin1"),
  );
  return Buffer.concat(parts);
}

const CRLF = Buffer.from("\r\n", "latin1");

/**
 * Adds the line raw[start, end) (CRLF excluded) to the first `count` numbers of a list of copy runs,
 * extending the last run when the line directly follows it (adjacent kept lines are copied in one
 * go); returns the new count. The lists are reused from message to message, so no array is made.
 */
function addRun(runs: number[], count: number, start: number, end: number): number {
  if (count > 0 && runs[count - 1]! + 2 === start) {
    runs[count - 1] = end;
    return count;
  }
  runs[count] = start;
  runs[count + 1] = end;
  return count + 2;
}

function matchesAny(buf: Buffer, start: number, end: number, names: readonly string[]): boolean {
  for (let n = 0; n < names.length; n++) if (equalsLowerAscii(buf, start, end, names[n]!)) return true;
  return false;
}

/** Fields that frame, route or control a message never travel as trailers (RFC 9110 §6.5.1). */
const PROHIBITED_TRAILERS = new Set([
  "transfer-encoding",
  "content-length",
  "host",
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "upgrade",
  "proxy-connection",
  "expect",
  "content-encoding",
  "content-type",
  "content-range",
  "authorization",
  "cookie",
  "set-cookie",
]);

export function isForwardableTrailer(line: string): boolean {
  return !PROHIBITED_TRAILERS.has(line.slice(0, line.indexOf(":")).trim().toLowerCase());
}
