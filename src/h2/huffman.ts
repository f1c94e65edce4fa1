// HPACK's Huffman code (RFC 7541 §5.2, Appendix B): encoding of header strings, and decoding four bits
// at a time through a state table built once from the code. The code is canonical, so the 257 code
// lengths of Appendix B determine it; the codes are derived from them at load. Decoding is strict:
// the EOS symbol, padding longer than seven bits or padding that is not all ones are errors. Pure.

/** Code length in bits of each symbol 0–255 and EOS (256), RFC 7541 Appendix B. */
const LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28,
  28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6,
  5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23,
  22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22,
  23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, 26, 26,
  20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27,
  27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27,
  27, 27, 27, 26, 30,
];
const EOS = 256;

/** The code of each symbol (right-aligned in its length), assigned canonically: by length, then symbol. */
export const CODES = new Uint32Array(257);
export const CODE_LENGTHS = Uint8Array.from(LENGTHS);
{
  const order = [...LENGTHS.keys()].sort((a, b) => LENGTHS[a]! - LENGTHS[b]! || a - b);
  let code = 0;
  let previous = LENGTHS[order[0]!]!;
  for (let i = 0; i < order.length; i++) {
    const symbol = order[i]!;
    const length = LENGTHS[symbol]!;
    if (i > 0) code = (code + 1) * 2 ** (length - previous);
    previous = length;
    CODES[symbol] = code;
  }
}

// The decoding tree: internal nodes 0..255 (0 is the root); a child is a node (>= 0) or a symbol
// (stored as -1 - symbol).
const CHILD = new Int32Array(256 * 2);
/** The path from the root to the node is all ones and at most seven bits: valid padding ends there. */
const PADDING_OK = new Uint8Array(256);
{
  let nodes = 1;
  CHILD.fill(0);
  const isSet = new Uint8Array(256 * 2);
  for (let symbol = 0; symbol <= EOS; symbol++) {
    const length = LENGTHS[symbol]!;
    const code = CODES[symbol]!;
    let node = 0;
    for (let bit = length - 1; bit >= 0; bit--) {
      const b = Math.floor(code / 2 ** bit) & 1;
      const slot = node * 2 + b;
      if (bit === 0) {
        CHILD[slot] = -1 - symbol;
        isSet[slot] = 1;
      } else {
        if (isSet[slot] === 0) {
          CHILD[slot] = nodes++;
          isSet[slot] = 1;
        }
        node = CHILD[slot]!;
      }
    }
  }
  // Walk the ones from the root: those nodes, up to depth 7, are where padding may stop.
  PADDING_OK[0] = 1;
  for (let node = 0, depth = 0; depth < 7; depth++) {
    node = CHILD[node * 2 + 1]!;
    if (node < 0) break;
    PADDING_OK[node] = 1;
  }
}

// The four-bit state table: for each node and nibble, the node reached, the symbol emitted on the way
// (at most one: the shortest code has five bits), or failure (EOS met).
const F_EMIT = 0x100;
const F_FAIL = 0x200;
const NEXT = new Uint16Array(256 * 16);
const SYMBOL = new Uint8Array(256 * 16);
for (let node = 0; node < 256; node++) {
  for (let nibble = 0; nibble < 16; nibble++) {
    let at = node;
    let flags = 0;
    let symbol = 0;
    for (let bit = 3; bit >= 0; bit--) {
      const child = CHILD[at * 2 + ((nibble >> bit) & 1)]!;
      if (child >= 0) {
        at = child;
        continue;
      }
      const s = -1 - child;
      if (s === EOS) flags |= F_FAIL;
      else {
        flags |= F_EMIT;
        symbol = s;
      }
      at = 0;
    }
    NEXT[node * 16 + nibble] = at | flags;
    SYMBOL[node * 16 + nibble] = symbol;
  }
}

/** Most bytes `n` Huffman-coded bytes can decode to (five bits is the shortest code). */
export function huffmanDecodedMax(n: number): number {
  return Math.floor((n * 8) / 5);
}

/**
 * Decodes in[start, end) into out at `at`; returns the index past the last byte written, or -1 when
 * the input is not a valid Huffman string (RFC 7541 §5.2). `out` must have huffmanDecodedMax(n) room.
 */
export function huffmanDecode(input: Uint8Array, start: number, end: number, out: Uint8Array, at: number): number {
  let state = 0;
  for (let i = start; i < end; i++) {
    const byte = input[i]!;
    let entry = NEXT[state * 16 + (byte >> 4)]!;
    if ((entry & F_FAIL) !== 0) return -1;
    if ((entry & F_EMIT) !== 0) out[at++] = SYMBOL[state * 16 + (byte >> 4)]!;
    state = entry & 0xff;
    entry = NEXT[state * 16 + (byte & 15)]!;
    if ((entry & F_FAIL) !== 0) return -1;
    if ((entry & F_EMIT) !== 0) out[at++] = SYMBOL[state * 16 + (byte & 15)]!;
    state = entry & 0xff;
  }
  return PADDING_OK[state] === 1 ? at : -1;
}

/** Length in bytes of the Huffman coding of s[start, end) (bytes or latin1 char codes). */
export function huffmanLength(input: Uint8Array, start: number, end: number): number {
  let bits = 0;
  for (let i = start; i < end; i++) bits += CODE_LENGTHS[input[i]!]!;
  return (bits + 7) >> 3;
}

/** Huffman-codes in[start, end) into out at `at`, padding with ones; returns the index past it. */
export function huffmanEncode(input: Uint8Array, start: number, end: number, out: Uint8Array, at: number): number {
  // Up to 37 pending bits (7 left over plus a 30-bit code): exact in a double's 53-bit mantissa.
  let acc = 0;
  let bits = 0;
  for (let i = start; i < end; i++) {
    const symbol = input[i]!;
    const length = CODE_LENGTHS[symbol]!;
    acc = acc * 2 ** length + CODES[symbol]!;
    bits += length;
    while (bits >= 8) {
      bits -= 8;
      const byte = Math.floor(acc / 2 ** bits);
      out[at++] = byte;
      acc -= byte * 2 ** bits;
    }
  }
  if (bits > 0) out[at++] = (acc * 2 ** (8 - bits)) | ((1 << (8 - bits)) - 1);
  return at;
}
