// HPACK decoding of a field block (RFC 7541 §6): indexed fields, literals with and without indexing,
// dynamic table size updates only at the start of a block (§4.2). Strict: any malformed representation
// is a COMPRESSION_ERROR (RFC 9113 §4.3), which ends the connection. A block whose fields add up past
// the header list limit is still decoded to its end (the dynamic table must stay in step with the
// peer's) but its fields stop reaching the sink: an HPACK bomb — a small block expanding into a large
// list — costs a count per field, not the expansion. Pure: no I/O.

import { Buffer } from "node:buffer";
import { huffmanDecode, huffmanDecodedMax } from "./huffman.ts";
import { copyBytes } from "../common/bytes.ts";
import {
  DynamicTable,
  ENTRY_OVERHEAD,
  fieldKind,
  K_TRANSIENT,
  STATIC_COUNT,
  STATIC_ENTRIES,
  TableEntry,
} from "./hpack-table.ts";

/**
 * Receives decoded fields, each as line[start, nameEnd) = name and line[nameEnd + 2, end) = value;
 * `kind` is hpack-table.ts's classification, with K_TRANSIENT when the bytes are valid only during
 * the call.
 */
export interface FieldSink {
  field(line: Buffer, start: number, nameEnd: number, end: number, kind: number): void;
}

export const DECODE_OK = 0;
/** The fields passed the header list limit: the sink saw only those before. */
export const DECODE_TOO_LARGE = 1;
/** The block is not valid HPACK (COMPRESSION_ERROR). */
export const DECODE_ERROR = 2;

/** Where literals are assembled as "name: value" before they reach the sink (one per thread). */
let scratch = Buffer.allocUnsafe(16 * 1024);

export class HpackDecoder {
  readonly #table: DynamicTable;
  /** The largest table size the peer may ask for: our SETTINGS_HEADER_TABLE_SIZE. */
  readonly #maxTableSize: number;
  /** Why the last block failed, for the GOAWAY's debug text. */
  failure = "";

  constructor(maxTableSize = 4096) {
    this.#maxTableSize = maxTableSize;
    this.#table = new DynamicTable(maxTableSize);
  }

  get tableSize(): number {
    return this.#table.size;
  }

  get tableLength(): number {
    return this.#table.length;
  }

  /**
   * Decodes block[start, end) into `sink`, stopping the sink once the decoded list (name + value + 32
   * per field, RFC 9113 §6.5.2) would pass `maxListBytes`.
   */
  decode(block: Buffer, start: number, end: number, sink: FieldSink, maxListBytes: number): number {
    let p = start;
    let listBytes = 0;
    let tooLarge = false;
    let fieldsSeen = false;
    const table = this.#table;
    while (p < end) {
      const b = block[p]!;
      let entry: TableEntry | undefined;
      if (b >= 0x80) {
        // §6.1 Indexed Header Field.
        const index = readInteger(block, p, end, 7);
        if (index < 0) return this.#fail("bad integer");
        p = integerEnd;
        entry = this.#entry(index);
        if (entry === undefined) return this.#fail(`index ${index} out of range`);
        fieldsSeen = true;
        listBytes += entry.size;
        if (listBytes > maxListBytes) tooLarge = true;
        if (!tooLarge) sink.field(entry.line, 0, entry.nameLength, entry.line.length, entry.kind);
        continue;
      }
      if ((b & 0xe0) === 0x20) {
        // §6.3 Dynamic Table Size Update: only before the block's first field (§4.2).
        if (fieldsSeen) return this.#fail("table size update after a field");
        const size = readInteger(block, p, end, 5);
        if (size < 0) return this.#fail("bad integer");
        p = integerEnd;
        if (size > this.#maxTableSize) return this.#fail("table size update above the setting");
        table.resize(size);
        continue;
      }
      // §6.2: with incremental indexing (01), without indexing (0000) or never indexed (0001).
      const indexing = (b & 0xc0) === 0x40;
      const nameIndex = readInteger(block, p, end, indexing ? 6 : 4);
      if (nameIndex < 0) return this.#fail("bad integer");
      p = integerEnd;
      let at = 0;
      let nameEnd: number;
      if (nameIndex === 0) {
        at = readString(block, p, end, 0);
        if (at < 0) return this.#fail(at === -2 ? "bad Huffman string" : "string past the block");
        p = stringEnd;
        nameEnd = at;
      } else {
        const named = this.#entry(nameIndex);
        if (named === undefined) return this.#fail(`name index ${nameIndex} out of range`);
        nameEnd = named.nameLength;
        ensureScratch(nameEnd + 2);
        copyBytes(named.line, 0, nameEnd, scratch, 0);
      }
      ensureScratch(nameEnd + 2);
      scratch[nameEnd] = 0x3a;
      scratch[nameEnd + 1] = 0x20;
      const lineEnd = readString(block, p, end, nameEnd + 2);
      if (lineEnd < 0) return this.#fail(lineEnd === -2 ? "bad Huffman string" : "string past the block");
      p = stringEnd;
      fieldsSeen = true;
      listBytes += lineEnd - 2 + ENTRY_OVERHEAD;
      if (listBytes > maxListBytes) tooLarge = true;
      if (indexing) {
        const added = new TableEntry(Buffer.from(scratch.subarray(0, lineEnd)), nameEnd);
        table.add(added);
        if (!tooLarge) sink.field(added.line, 0, nameEnd, lineEnd, added.kind);
      } else if (!tooLarge) {
        sink.field(scratch, 0, nameEnd, lineEnd, fieldKind(scratch, 0, nameEnd, nameEnd + 2, lineEnd) | K_TRANSIENT);
      }
    }
    return tooLarge ? DECODE_TOO_LARGE : DECODE_OK;
  }

  #entry(index: number): TableEntry | undefined {
    if (index === 0) return undefined;
    if (index <= STATIC_COUNT) return STATIC_ENTRIES[index - 1];
    return this.#table.get(index - STATIC_COUNT - 1);
  }

  #fail(why: string): number {
    this.failure = why;
    return DECODE_ERROR;
  }
}

/** Set by readInteger: the index past the integer. */
let integerEnd = 0;
/** Set by readString: the index past the string in the block. */
let stringEnd = 0;

/** Values past this are refused: no field block of ours comes near it (RFC 7541 §5.1 allows any). */
const MAX_INTEGER = 0x0fff_ffff;

/** RFC 7541 §5.1: an integer with an N-bit prefix at block[p]; -1 when malformed or too large. */
function readInteger(block: Buffer, p: number, end: number, prefixBits: number): number {
  const mask = (1 << prefixBits) - 1;
  let value = block[p]! & mask;
  p++;
  if (value < mask) {
    integerEnd = p;
    return value;
  }
  let shift = 0;
  for (;;) {
    if (p >= end) return -1;
    const b = block[p++]!;
    value += (b & 0x7f) * 2 ** shift;
    if (value > MAX_INTEGER) return -1;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  integerEnd = p;
  return value;
}

/**
 * RFC 7541 §5.2: a string literal at block[p] written (Huffman-decoded when flagged) into the scratch
 * at `at`; returns the scratch index past it, -1 when it runs past the block, -2 for bad Huffman.
 */
function readString(block: Buffer, p: number, end: number, at: number): number {
  if (p >= end) return -1;
  const huffman = (block[p]! & 0x80) !== 0;
  const length = readInteger(block, p, end, 7);
  if (length < 0) return -1;
  p = integerEnd;
  if (length > end - p) return -1;
  stringEnd = p + length;
  if (!huffman) {
    ensureScratch(at + length);
    copyBytes(block, p, p + length, scratch, at);
    return at + length;
  }
  ensureScratch(at + huffmanDecodedMax(length));
  const out = huffmanDecode(block, p, p + length, scratch, at);
  return out < 0 ? -2 : out;
}

function ensureScratch(n: number): void {
  if (n <= scratch.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(n, scratch.length * 2));
  scratch.copy(bigger);
  scratch = bigger;
}
