// Header rewriting for forwarded messages, pure (no I/O): the upstream request head as one buffer,
// and the field list of the response sent back. Hop-by-hop fields go (RFC 9110 §7.6.1, including
// those the Connection field names); Via is added both ways (§7.6.3); X-Forwarded-For/-Proto/-Host
// and Forwarded (RFC 7239) are appended; the path prefix is replaced and Host kept or rewritten.

import { copyBytes, equalsLowerAscii } from "../common/bytes.ts";
import { F_CONNECTION, F_CONTENT_LENGTH, F_EXPECT, F_HOST, F_TRANSFER_ENCODING, F_UPGRADE, knownFieldId } from "../http/headers.ts";
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

export const VIA = "1.1 portico";

const F_TE = knownFieldId("te");
const F_KEEP_ALIVE = knownFieldId("keep-alive");
const F_PROXY_CONNECTION = knownFieldId("proxy-connection");
const F_X_FORWARDED_FOR = knownFieldId("x-forwarded-for");
const F_FORWARDED = knownFieldId("forwarded");

/** Fields never forwarded in either direction (besides those named in Connection). */
const HOP_BY_HOP_IDS = new Set([F_CONNECTION, F_TE, F_KEEP_ALIVE, F_PROXY_CONNECTION, F_TRANSFER_ENCODING, F_UPGRADE]);
const HOP_BY_HOP_NAMES = ["trailer", "proxy-authorization", "proxy-authenticate"];
/** Unknown-id request fields we rebuild ourselves. */
const REBUILT_NAMES = ["via", "x-forwarded-proto", "x-forwarded-host"];

/** The path sent upstream: the prefix replaced by basePath, with exactly one slash at the seam. */
export function rewritePath(path: string, prefix: string, basePath: string | null): string {
  if (basePath === null || path === "*") return path;
  let rest = path.slice(prefix.length);
  if (!rest.startsWith("/")) rest = `/${rest}`;
  const base = basePath.endsWith("/") ? basePath.slice(0, -1) : basePath;
  return base + rest;
}

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
let lastBlock: Buffer = Buffer.alloc(0);

function forwardingBlock(client: string, host: string, proto: string): Buffer {
  if (client !== lastClient || host !== lastHost || proto !== lastProto) {
    lastClient = client;
    lastHost = host;
    lastProto = proto;
    lastBlock = Buffer.from(
      `X-Forwarded-For: ${client}\r\nX-Forwarded-Proto: ${proto}\r\nX-Forwarded-Host: ${host}\r\n` +
        `Forwarded: for=${forwardedNode(client, true)};host=${forwardedNode(host, false)};proto=${proto}\r\nVia: ${VIA}\r\n`,
      "latin1",
    );
  }
  return lastBlock;
}

const HTTP11_LINE_END = Buffer.from(" HTTP/1.1\r\n", "latin1");
const NO_BYTES: Buffer = Buffer.alloc(0);

/**
 * The complete upstream request head (request line, fields, framing, final CRLF) as one buffer.
 * Field lines that pass unchanged are copied from the received bytes.
 */
export function buildRequestHead(req: RequestHead, plan: ForwardPlan): Buffer {
  // RFC 9112 §3.2.2: with an absolute-form target the target's authority is the host, not the Host field.
  const hostOverride = plan.host ?? (req.absoluteForm ? req.host : null);
  const raw = req.raw;
  const f = req.fields;
  const connectionNamed = req.has(F_CONNECTION) ? req.tokens(F_CONNECTION) : null;
  let xff: string | undefined;
  let forwarded: string | undefined;
  let via: string | undefined;
  let xfProto: string | undefined;
  let xfHost: string | undefined;
  let hostSeen = false;
  // Ranges of raw field lines to copy: start, end pairs.
  const keep: number[] = [];
  let keepBytes = 0;
  for (let k = 0; k < f.length; k += 5) {
    const id = f[k + 4]!;
    const ns = f[k]!;
    const ne = f[k + 1]!;
    if (id !== -1) {
      if (HOP_BY_HOP_IDS.has(id) || id === F_CONTENT_LENGTH || id === F_EXPECT) continue;
      if (id === F_X_FORWARDED_FOR) {
        xff = appendList(xff, raw.toString("latin1", f[k + 2]!, f[k + 3]!));
        continue;
      }
      if (id === F_FORWARDED) {
        forwarded = appendList(forwarded, raw.toString("latin1", f[k + 2]!, f[k + 3]!));
        continue;
      }
      if (id === F_HOST) {
        if (hostOverride !== null) continue;
        // Host is end-to-end: a client naming it in Connection must not strip it (RFC 9110 §7.6.1).
        hostSeen = true;
        keepBytes += f[k + 3]! - ns + 2;
        addRun(keep, ns, f[k + 3]!);
        continue;
      }
    } else {
      if (matchesAny(raw, ns, ne, HOP_BY_HOP_NAMES)) continue;
      const rebuilt = indexOfName(raw, ns, ne, REBUILT_NAMES);
      if (rebuilt !== -1) {
        const value = raw.toString("latin1", f[k + 2]!, f[k + 3]!);
        if (rebuilt === 0) via = appendList(via, value);
        else if (rebuilt === 1) xfProto = appendList(xfProto, value);
        else xfHost = appendList(xfHost, value);
        continue;
      }
    }
    if (connectionNamed !== null && matchesAny(raw, ns, ne, connectionNamed)) continue;
    keepBytes += f[k + 3]! - ns + 2;
    addRun(keep, ns, f[k + 3]!);
  }

  // An origin-form target that keeps its path is copied as received, method included.
  const copyLine = plan.basePath === null && !req.absoluteForm && req.targetEnd > req.lineStart;
  const head = copyLine ? "" : `${req.method} ${rewritePath(req.path, plan.prefix, plan.basePath)}${req.query} HTTP/1.1\r\n`;
  let hostLine = "";
  if (hostOverride !== null) hostLine = `Host: ${hostOverride}\r\n`;
  else if (!hostSeen) hostLine = `Host: ${req.host !== "" ? req.host : plan.upstreamAuthority}\r\n`;
  let tail = "";
  let block: Buffer = NO_BYTES;
  const client = plan.clientAddress;
  const originalHost = req.host !== "" ? req.host : plan.upstreamAuthority;
  if (xff === undefined && xfProto === undefined && xfHost === undefined && forwarded === undefined && via === undefined) {
    block = forwardingBlock(client, originalHost, plan.proto);
  } else {
    tail += `X-Forwarded-For: ${appendList(xff, client)}\r\n`;
    tail += `X-Forwarded-Proto: ${appendList(xfProto, plan.proto)}\r\n`;
    tail += `X-Forwarded-Host: ${appendList(xfHost, originalHost)}\r\n`;
    tail += `Forwarded: ${appendList(forwarded, `for=${forwardedNode(client, true)};host=${forwardedNode(originalHost, false)};proto=${plan.proto}`)}\r\n`;
    tail += `Via: ${appendList(via, VIA)}\r\n`;
  }
  if (req.chunked) tail += "Transfer-Encoding: chunked\r\n";
  else if (req.contentLength >= 0) tail += `Content-Length: ${req.contentLength}\r\n`;
  if (plan.upgrade && req.upgrade !== "") tail += `Connection: upgrade\r\nUpgrade: ${req.upgrade}\r\n`;

  // Everything is latin1 (one byte per character): string lengths are byte lengths.
  const lineLength = copyLine ? req.targetEnd - req.lineStart + HTTP11_LINE_END.length : head.length;
  const out = Buffer.allocUnsafe(lineLength + keepBytes + hostLine.length + block.length + tail.length + 2);
  let at = 0;
  if (copyLine) {
    at += copyBytes(raw, req.lineStart, req.targetEnd, out, 0);
    out.set(HTTP11_LINE_END, at);
    at += HTTP11_LINE_END.length;
  } else {
    at += out.write(head, 0, "latin1");
  }
  for (let k = 0; k < keep.length; k += 2) {
    at += copyBytes(raw, keep[k]!, keep[k + 1]!, out, at);
    out[at++] = 0x0d;
    out[at++] = 0x0a;
  }
  if (hostLine !== "") at += out.write(hostLine, at, "latin1");
  out.set(block, at);
  at += block.length;
  if (tail !== "") at += out.write(tail, at, "latin1");
  out[at++] = 0x0d;
  out[at] = 0x0a;
  return out;
}

/**
 * The response fields to send the client: the upstream's minus hop-by-hop fields, framing (the
 * engine re-frames), Date and Server (the engine sends its own), plus Via.
 */
export function responseFields(head: ResponseHead): string[] {
  const raw = head.raw;
  const f = head.fields;
  const connectionNamed = head.connectionNamesFields ? head.tokens(F_CONNECTION) : null;
  const out: string[] = [];
  let via: string | undefined;
  for (let k = 0; k < f.length; k += 5) {
    const fate = responseFieldFate(head, k, connectionNamed);
    if (fate === DROP) continue;
    const value = raw.toString("latin1", f[k + 2]!, f[k + 3]!);
    if (fate === VIA_FIELD) via = appendList(via, value);
    else out.push(raw.toString("latin1", f[k]!, f[k + 1]!), value);
  }
  out.push("Via", appendList(via, VIA));
  return out;
}

/**
 * The same fields as responseFields, as byte ranges of the upstream's head to copy unchanged (the
 * parser has validated them), with the merged Via line as the only text built.
 */
export function copiedResponseFields(head: ResponseHead): CopiedFields {
  const raw = head.raw;
  const f = head.fields;
  const connectionNamed = head.connectionNamesFields ? head.tokens(F_CONNECTION) : null;
  const lines: number[] = [];
  let via: string | undefined;
  for (let k = 0; k < f.length; k += 5) {
    const fate = responseFieldFate(head, k, connectionNamed);
    if (fate === KEEP) addRun(lines, f[k]!, f[k + 3]!);
    else if (fate === VIA_FIELD) via = appendList(via, raw.toString("latin1", f[k + 2]!, f[k + 3]!));
  }
  return { raw, lines, extra: via === undefined ? VIA_LINE : Buffer.from(`Via: ${via}, ${VIA}\r\n`, "latin1") };
}

const ENGINE_FIELDS = ["date", "server"];
const VIA_LINE = Buffer.from(`Via: ${VIA}\r\n`, "latin1");
const DROP = 0;
const KEEP = 1;
const VIA_FIELD = 2;

/** Whether the response field at `k` is dropped, kept, or merged into our Via. */
function responseFieldFate(head: ResponseHead, k: number, connectionNamed: readonly string[] | null): number {
  const raw = head.raw;
  const f = head.fields;
  const id = f[k + 4]!;
  const ns = f[k]!;
  const ne = f[k + 1]!;
  if (id !== -1) {
    if (HOP_BY_HOP_IDS.has(id) || id === F_CONTENT_LENGTH) return DROP;
  } else {
    if (matchesAny(raw, ns, ne, HOP_BY_HOP_NAMES) || matchesAny(raw, ns, ne, ENGINE_FIELDS)) return DROP;
    if (equalsLowerAscii(raw, ns, ne, "via")) return VIA_FIELD;
  }
  if (connectionNamed !== null && matchesAny(raw, ns, ne, connectionNamed)) return DROP;
  return KEEP;
}

/** The head of a 101 relayed to the client: the upstream's fields with Connection/Upgrade kept. */
export function switchingProtocolsHead(head: ResponseHead): Buffer {
  const fields = responseFields(head);
  let out = `HTTP/1.1 101 ${head.reason || "Switching Protocols"}\r\n`;
  for (let k = 0; k < fields.length; k += 2) out += `${fields[k]}: ${fields[k + 1]}\r\n`;
  const upgrade = head.get(F_UPGRADE);
  out += "Connection: upgrade\r\n";
  if (upgrade !== undefined) out += `Upgrade: ${upgrade}\r\n`;
  return Buffer.from(`${out}\r\n`, "latin1");
}

/**
 * Adds the line raw[start, end) (CRLF excluded) to a list of copy runs, extending the last run when
 * the line directly follows it: adjacent kept lines are copied in one go.
 */
function addRun(runs: number[], start: number, end: number): void {
  const last = runs.length - 1;
  if (last > 0 && runs[last]! + 2 === start) runs[last] = end;
  else runs.push(start, end);
}

function matchesAny(buf: Buffer, start: number, end: number, names: readonly string[]): boolean {
  return indexOfName(buf, start, end, names) !== -1;
}

function indexOfName(buf: Buffer, start: number, end: number, names: readonly string[]): number {
  for (let n = 0; n < names.length; n++) if (equalsLowerAscii(buf, start, end, names[n]!)) return n;
  return -1;
}

/** Fields that frame, route or control a message never travel as trailers (RFC 9110 §6.5.1). */
const PROHIBITED_TRAILERS = new Set(["transfer-encoding", "content-length", "host", "connection", "keep-alive", "te", "trailer", "upgrade", "proxy-connection", "expect", "content-encoding", "content-type", "content-range", "authorization", "cookie", "set-cookie"]);

export function isForwardableTrailer(line: string): boolean {
  return !PROHIBITED_TRAILERS.has(line.slice(0, line.indexOf(":")).trim().toLowerCase());
}
