// HPACK's Huffman code (RFC 7541 §5.2, Appendix B): the RFC's examples, every byte value, and the
// decoder's strictness about EOS and padding.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import fc from "fast-check";
import { CODES, huffmanDecode, huffmanDecodedMax, huffmanEncode, huffmanLength } from "../../src/h2/huffman.ts";

function encode(text: string | Buffer): string {
  const input = typeof text === "string" ? Buffer.from(text, "latin1") : text;
  const out = Buffer.alloc(input.length * 4 + 1);
  return out.subarray(0, huffmanEncode(input, 0, input.length, out, 0)).toString("hex");
}

function decode(hex: string): string | null {
  const input = Buffer.from(hex, "hex");
  const out = Buffer.alloc(huffmanDecodedMax(input.length));
  const end = huffmanDecode(input, 0, input.length, out, 0);
  return end < 0 ? null : out.toString("latin1", 0, end);
}

test("the RFC 7541 Appendix C.4 and C.6 strings encode and decode as printed there", () => {
  const examples: Array<[string, string]> = [
    ["www.example.com", "f1e3c2e5f23a6ba0ab90f4ff"],
    ["no-cache", "a8eb10649cbf"],
    ["custom-key", "25a849e95ba97d7f"],
    ["custom-value", "25a849e95bb8e8b4bf"],
    ["302", "6402"],
    ["private", "aec3771a4b"],
    ["Mon, 21 Oct 2013 20:13:21 GMT", "d07abe941054d444a8200595040b8166e082a62d1bff"],
    ["https://www.example.com", "9d29ad171863c78f0b97c8e9ae82ae43d3"],
  ];
  for (const [text, hex] of examples) {
    assert.equal(encode(text), hex, text);
    assert.equal(decode(hex), text, hex);
    assert.equal(huffmanLength(Buffer.from(text, "latin1"), 0, text.length), hex.length / 2);
  }
});

test("codes are the RFC's (canonical from the code lengths)", () => {
  assert.equal(CODES[0x30], 0x0);
  assert.equal(CODES[0x61], 0x3);
  assert.equal(CODES[0xff], 0x3ffffee);
  assert.equal(CODES[256], 0x3fffffff);
});

test("any bytes survive a round trip", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const input = Buffer.from(bytes);
      return decode(encode(input)) === input.toString("latin1");
    }),
  );
});

test("EOS, padding of more than seven bits, and padding that is not all ones are errors", () => {
  // 30 ones: the EOS symbol itself.
  assert.equal(decode("fffffffc"), null);
  // 'a' (00011) then a whole byte of ones.
  assert.equal(decode("1fff"), null);
  // 'a' then padding 000.
  assert.equal(decode("18"), null);
  assert.equal(decode("1f"), "a");
  assert.equal(decode(""), "");
});
