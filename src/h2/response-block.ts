// A response's head as an HPACK field block (RFC 9113 §8.3.2, RFC 7541): the status, the thread's
// default fields, the handler's fields (strings) or an upstream's (byte ranges of its head, as the
// proxy copies them), a site's or route's field edits (headers, CORS) as HTTP/1.1 applies them, and
// content-length; trailers as a block of their own; 100 (Continue). Written
// into the thread's block writer (hpack-encoder.ts BLOCK): a block is valid until the next is begun.
// Not here: framing (sender.ts), what a stream does with the block (stream.ts).

import { Buffer } from "node:buffer";
import type { FieldEdits } from "../http/field-edits.ts";
import type { OutgoingHead, PreparedResponse } from "../http/response.ts";
import type { ResponseDefaults } from "../http/response-defaults.ts";
import { BLOCK } from "./hpack-encoder.ts";

/** `:status: 100` as a literal field (RFC 7541 §6.2.2, name index 8). */
export const CONTINUE_BLOCK = Buffer.from([0x08, 0x03, 0x31, 0x30, 0x30]);

/** Encodes `head` into BLOCK (read it with BLOCK.bytes()). */
export function encodeHead(head: OutgoingHead, defaults: ResponseDefaults): void {
  const edits = head.edits;
  BLOCK.begin(head.status, edits === null ? defaults.fields : edits.defaultFields(defaults));
  const fields = edits === null ? head.fields : edits.filter(head.fields);
  for (let i = 0; i + 1 < fields.length; i += 2) BLOCK.field(fields[i]!, fields[i + 1]!);
  // An upstream's copied lines carry the edits' own as extra lines (filterCopied); others get them here.
  const copied = edits === null || head.copied === null ? head.copied : edits.filterCopied(head.copied);
  if (edits !== null && copied === null) addEdits(edits);
  if (copied !== null) {
    const raw = copied.raw;
    const lines = copied.lines;
    for (let k = 0; k < copied.count; k += 2) eachLine(raw, lines[k]!, lines[k + 1]!);
    const extra = copied.extra;
    // `extra` holds whole lines, each ending in CRLF.
    if (extra.length > 0) eachLine(extra, 0, extra.length - 2);
  }
  if (head.length >= 0) BLOCK.contentLength(head.length);
}

/**
 * A prepared response's block, copied out of BLOCK: the response keeps it for the current Date second
 * and every stream reuses it (values Huffman-coded: the block is made once a second).
 */
export function encodePrepared(
  prepared: PreparedResponse,
  defaults: ResponseDefaults,
  edits: FieldEdits | null = null,
): Buffer {
  BLOCK.begin(prepared.status, edits === null ? defaults.fields : edits.defaultFields(defaults));
  const fields = edits === null ? prepared.fields : edits.filter(prepared.fields);
  for (let i = 0; i + 1 < fields.length; i += 2) BLOCK.field(fields[i]!, fields[i + 1]!, true);
  if (edits !== null) addEdits(edits, true);
  if (prepared.status >= 200 && prepared.status !== 204 && prepared.status !== 304)
    BLOCK.contentLength(prepared.body.length);
  return copyOut();
}

/** The fields the edits set and add. */
function addEdits(edits: FieldEdits, huffman = false): void {
  const fields = edits.fields;
  for (let i = 0; i + 1 < fields.length; i += 2) BLOCK.field(fields[i]!, fields[i + 1]!, huffman);
}

/** Each CRLF-separated line of raw[start, end) into the block. */
function eachLine(raw: Buffer, start: number, end: number): void {
  let lineStart = start;
  for (let i = start; i + 1 < end; i++) {
    if (raw[i] === 0x0d && raw[i + 1] === 0x0a) {
      BLOCK.line(raw, lineStart, i);
      lineStart = i + 2;
      i++;
    }
  }
  if (lineStart < end) BLOCK.line(raw, lineStart, end);
}

/** Trailers (complete "Name: value" lines) as a field block of their own, copied out of BLOCK. */
export function encodeTrailers(lines: readonly string[]): Buffer {
  BLOCK.beginTrailers();
  for (const line of lines) {
    const bytes = Buffer.from(line, "latin1");
    BLOCK.line(bytes, 0, bytes.length);
  }
  return copyOut();
}

function copyOut(): Buffer {
  const out = BLOCK.bytes();
  const copy = Buffer.allocUnsafe(out.length);
  copy.set(out);
  return copy;
}

/** A copy of src[start, end) that outlives src's owner reusing it. */
export function copyOf(src: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(end - start);
  src.copy(out, 0, start, end);
  return out;
}
