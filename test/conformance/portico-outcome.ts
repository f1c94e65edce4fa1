// What Portico's engine makes of raw request bytes, in-process: scanHead + parseRequestHead frame
// each head, Content-Length or the ChunkedDecoder frames each body, as connection.ts does (empty lines
// between requests dropped); parsing
// stops after a request that closes the connection (RFC 9112 §9.6). Not Node: see node-outcome.ts.

import { ChunkedDecoder } from "../../src/http/chunked.ts";
import { HttpError } from "../../src/http/errors.ts";
import {
  DEFAULT_PARSE_LIMITS,
  HEAD_INCOMPLETE,
  type ParseLimits,
  parseRequestHead,
  scanHead,
} from "../../src/http/parse-request.ts";
import { RequestHead } from "../../src/http/request-head.ts";
import type { Message, Outcome } from "./outcome.ts";

/**
 * Parses `bytes` as a client's whole input. `splits` lists offsets where the input is cut into
 * separate reads (to test incremental parsing); the result must not depend on them.
 */
export function porticoOutcome(
  bytes: Buffer,
  splits: readonly number[] = [],
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): Outcome {
  const messages: Message[] = [];
  const cuts = [...splits.filter((s) => s > 0 && s < bytes.length).sort((a, b) => a - b), bytes.length];
  let available = cuts.shift()!;
  // Reads arrive one cut at a time; `buf` is always the prefix received so far.
  const more = (): boolean => {
    if (cuts.length === 0) return false;
    available = cuts.shift()!;
    return true;
  };
  let pos = 0;
  while (pos < bytes.length) {
    const scan = { pos, lineStart: pos, lines: 0 };
    let headEnd: number | HttpError = HEAD_INCOMPLETE;
    while (true) {
      // As the connection does: empty lines before a request line are dropped (RFC 9112 §2.2).
      if (scan.lines === 0 && scan.lineStart === pos) {
        const from = pos;
        while (available - pos >= 2 && bytes[pos] === 0x0d && bytes[pos + 1] === 0x0a) pos += 2;
        if (pos !== from) Object.assign(scan, { pos, lineStart: pos, lines: 0 });
      }
      if (pos === available) {
        if (!more()) break;
        continue;
      }
      headEnd = scanHead(bytes.subarray(0, available), pos, available, scan, limits);
      if (headEnd !== HEAD_INCOMPLETE || !more()) break;
    }
    if (pos === bytes.length) break;
    if (headEnd === HEAD_INCOMPLETE) return { verdict: "incomplete", detail: "head", messages };
    if (headEnd instanceof HttpError)
      return { verdict: "error", detail: `${headEnd.status} ${headEnd.code}`, messages };
    const head = new RequestHead();
    const error = parseRequestHead(bytes.subarray(0, available), pos, headEnd, limits, head);
    if (error !== null) return { verdict: "error", detail: `${error.status} ${error.code}`, messages };
    let body = "";
    pos = headEnd;
    if (head.chunked) {
      const decoder = new ChunkedDecoder();
      while (true) {
        const view = bytes.subarray(0, available);
        const progress = decoder.decode(view, pos, available, (data) => (body += data.toString("latin1")));
        if (progress instanceof HttpError)
          return { verdict: "error", detail: `${progress.status} ${progress.code}`, messages };
        pos += progress.consumed;
        if (progress.done) break;
        if (!more()) return { verdict: "incomplete", detail: "chunked body", messages };
      }
    } else if (head.contentLength > 0) {
      while (available - pos < head.contentLength && more());
      if (available - pos < head.contentLength) return { verdict: "incomplete", detail: "body", messages };
      body = bytes.toString("latin1", pos, pos + head.contentLength);
      pos += head.contentLength;
    }
    messages.push({
      method: head.method,
      target: head.target,
      version: `1.${head.versionMinor}`,
      headers: head.headerEntries(),
      body,
    });
    if (!head.keepAlive) break;
    while (available <= pos && pos < bytes.length && more());
  }
  return { verdict: "ok", detail: "", messages };
}
