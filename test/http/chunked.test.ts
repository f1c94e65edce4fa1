// Unit tests for the chunked transfer coding (RFC 9112 §7.1): decoding across any split, bounded
// extensions and trailers, every framing error, and the encoder.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ChunkedDecoder, type ChunkedLimits, encodeChunk, LAST_CHUNK } from "../../src/http/chunked.ts";
import { HttpError } from "../../src/http/errors.ts";

interface Decoded {
  body: string;
  trailers: string[];
  done: boolean;
  consumed: number;
  error?: HttpError;
}

/** Feeds `input` in pieces of the given sizes (cycling) and collects what comes out. */
function decode(input: string, pieces: readonly number[] = [Number.MAX_SAFE_INTEGER], limits?: ChunkedLimits): Decoded {
  const buf = Buffer.from(input, "latin1");
  const decoder = new ChunkedDecoder(limits);
  let body = "";
  let pos = 0;
  let k = 0;
  while (pos < buf.length) {
    const end = Math.min(buf.length, pos + pieces[k++ % pieces.length]!);
    // Each piece arrives in its own buffer, as socket reads do.
    const piece = Buffer.from(buf.subarray(pos, end));
    const progress = decoder.decode(piece, 0, piece.length, (data) => (body += data.toString("latin1")));
    if (progress instanceof HttpError)
      return { body, trailers: [...decoder.trailers], done: false, consumed: pos, error: progress };
    pos += progress.consumed;
    if (progress.done) return { body, trailers: [...decoder.trailers], done: true, consumed: pos };
    assert.equal(progress.consumed, piece.length, "an unfinished decode consumes its whole input");
  }
  return { body, trailers: [...decoder.trailers], done: decoder.done, consumed: pos };
}

function fails(input: string, status = 400, code?: string, limits?: ChunkedLimits): HttpError {
  const result = decode(input, undefined, limits);
  assert.ok(result.error !== undefined, `expected an error for ${JSON.stringify(input)}`);
  assert.equal(result.error.status, status, result.error.message);
  if (code !== undefined) assert.equal(result.error.code, code);
  return result.error;
}

describe("ChunkedDecoder", () => {
  test("decodes chunks and stops right after the final CRLF", () => {
    const result = decode("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET / HTTP/1.1");
    assert.equal(result.body, "hello world");
    assert.equal(result.done, true);
    assert.equal(result.consumed, "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n".length);
  });

  test("hex sizes in either case and with leading zeros", () => {
    assert.equal(decode("A\r\n0123456789\r\na\r\n0123456789\r\n000\r\n\r\n").body, "01234567890123456789");
  });

  test("gives the same result for every split of the input", () => {
    const input = "3;a=b\r\nabc\r\n10\r\n0123456789abcdef\r\n0;last\r\nX-Sum: 1\r\nY:2\r\n\r\n";
    const whole = decode(input);
    assert.equal(whole.body, "abc0123456789abcdef");
    for (let size = 1; size <= input.length; size++) {
      assert.deepEqual(decode(input, [size]), whole, `pieces of ${size}`);
    }
  });

  test("an empty body is just the last chunk", () => {
    const result = decode("0\r\n\r\n");
    assert.equal(result.body, "");
    assert.equal(result.done, true);
  });

  test("extensions with token and quoted values are accepted and dropped", () => {
    const result = decode('2;name;n2=v2 ; n3 = "q \\" ;x"\r\nhi\r\n0\r\n\r\n');
    assert.equal(result.body, "hi");
    assert.equal(result.done, true);
  });

  test("an extension without a name is a 400", () => {
    fails("2;\r\nhi\r\n0\r\n\r\n", 400, "BAD_CHUNK");
    fails("2;=v\r\nhi\r\n0\r\n\r\n", 400, "BAD_CHUNK");
  });

  test("an extension with an unterminated quoted value is a 400", () => {
    fails('2;a="x\r\nhi\r\n0\r\n\r\n', 400, "BAD_CHUNK");
  });

  test("garbage after the size is a 400", () => {
    fails("2 erfrferferf\r\nhi\r\n0\r\n\r\n", 400, "BAD_CHUNK");
  });

  test("a size line longer than the limit is a 400", () => {
    fails(`2;${"a".repeat(100)}\r\nhi\r\n0\r\n\r\n`, 400, "CHUNK_EXTENSION_TOO_LONG", {
      maxChunkLineBytes: 64,
      maxTrailerBytes: 1024,
    });
  });

  test("a missing size is a 400", () => {
    fails(";a\r\n0\r\n\r\n", 400, "BAD_CHUNK");
    fails("\r\n0\r\n\r\n", 400, "BAD_CHUNK");
  });

  test("a size that does not fit is a 413", () => {
    fails("fffffffffffffffff\r\n", 413, "BODY_TOO_LARGE");
  });

  test("a bare LF ending the size line is a 400", () => {
    fails("2\nhi\r\n0\r\n\r\n", 400, "BAD_CHUNK");
  });

  test("a CR not followed by LF in the size line is a 400", () => {
    fails("5\r\r;ABCD\r\n34\r\nE\r\n0\r\n\r\n", 400, "BAD_CHUNK");
  });

  test("data longer than its size is a 400", () => {
    fails("5\r\nABCDE0\r\n\r\n", 400, "BAD_CHUNK");
  });

  test("data followed by a bare LF is a 400", () => {
    fails("2\r\nhi\n0\r\n\r\n", 400, "BAD_CHUNK");
  });

  test("trailer fields are validated and kept as received", () => {
    const result = decode("1\r\na\r\n0\r\nVary: *\r\nContent-Type: text/plain\r\n\r\n");
    assert.deepEqual(result.trailers, ["Vary: *", "Content-Type: text/plain"]);
  });

  test("a trailer without a colon is a 400", () => {
    fails("0\r\nNoColon\r\n\r\n", 400, "BAD_CHUNK");
  });

  test("a trailer with whitespace before the colon is a 400", () => {
    fails("0\r\nName : v\r\n\r\n", 400, "BAD_CHUNK");
  });

  test("an obs-folded trailer line is a 400", () => {
    fails("0\r\nA: 1\r\n 2\r\n\r\n", 400, "BAD_CHUNK");
  });

  test("a bare LF in the trailer section is a 400", () => {
    fails("0\r\nA: 1\n\r\n", 400, "BAD_CHUNK");
    fails("0\r\n\n", 400, "BAD_CHUNK");
  });

  test("a NUL in a trailer is a 400", () => {
    fails("0\r\nA: \x00\r\n\r\n", 400, "BAD_CHUNK");
  });

  test("a trailer section over the limit is a 431", () => {
    fails(`0\r\nA: ${"x".repeat(200)}\r\n\r\n`, 431, "TRAILERS_TOO_LARGE", {
      maxChunkLineBytes: 64,
      maxTrailerBytes: 100,
    });
  });

  test("an unfinished body is not done", () => {
    const result = decode("5\r\nhel");
    assert.equal(result.done, false);
    assert.equal(result.body, "hel");
  });

  test("counts decoded body bytes", () => {
    const decoder = new ChunkedDecoder();
    const buf = Buffer.from("3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
    decoder.decode(buf, 0, buf.length, () => {});
    assert.equal(decoder.bodyBytes, 5);
    assert.equal(decoder.done, true);
  });
});

describe("encodeChunk", () => {
  test("frames data with a hex size line and CRLF", () => {
    assert.equal(Buffer.concat(encodeChunk(Buffer.alloc(26, "z"))).toString(), `1a\r\n${"z".repeat(26)}\r\n`);
    assert.equal(LAST_CHUNK.toString(), "0\r\n\r\n");
  });

  test("what it encodes decodes back", () => {
    const parts = ["a", "bb", "x".repeat(300)].map((s) => Buffer.concat(encodeChunk(Buffer.from(s))));
    const wire = Buffer.concat([...parts, LAST_CHUNK]).toString("latin1");
    assert.equal(decode(wire, [7]).body, `abb${"x".repeat(300)}`);
  });
});

describe("chunk-size line whitespace", () => {
  test("whitespace after the chunk size without an extension is a 400 (RFC 9112 §7.1.1)", () => {
    fails("a \r\n0123456789\r\n0\r\n\r\n", 400, "BAD_CHUNK");
    fails("0 \r\n\r\n", 400, "BAD_CHUNK");
  });

  test("whitespace after the chunk size before an extension is allowed (BWS)", () => {
    assert.equal(decode("2 ;a\r\nhi\r\n0\r\n\r\n").body, "hi");
  });
});

describe("large trailers", () => {
  test("a long trailer line under a large configured limit decodes without throwing", () => {
    const value = "a".repeat(300_000);
    const result = decode(`0\r\nX: ${value}\r\n\r\n`, undefined, { maxChunkLineBytes: 4096, maxTrailerBytes: 1 << 20 });
    assert.equal(result.done, true);
    assert.deepEqual(result.trailers, [`X: ${value}`]);
  });
});

describe("chunk-size leading zeros", () => {
  test("leading zeros do not count toward the chunk-size digit limit", () => {
    const result = decode(`${"0".repeat(20)}5\r\nhello\r\n${"0".repeat(20)}\r\n\r\n`);
    assert.equal(result.error, undefined);
    assert.equal(result.body, "hello");
    assert.equal(result.done, true);
  });

  test("more than 13 significant hex digits are still a 413", () => {
    fails(`00${"1".repeat(14)}\r\n`, 413, "BODY_TOO_LARGE");
  });
});
