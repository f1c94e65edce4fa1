// A request head filled from a stream's decoded fields: its bytes in HTTP/1.1 form, its parsed parts
// and field offsets as parse-request.ts would record them, the same checks and statuses as HTTP/1.1,
// and HTTP/2's own rules (RFC 9113 §8.2–§8.3).

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import { fieldKind } from "../../src/h2/hpack-table.ts";
import { RequestFields, TrailerFields } from "../../src/h2/request-fields.ts";
import type { HttpError } from "../../src/http/errors.ts";
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from "../../src/http/parse-request.ts";
import { RequestHead } from "../../src/http/request-head.ts";

interface Rendered {
  readonly head: string | null;
  readonly malformed: string;
  readonly error: HttpError | null;
  readonly req: RequestHead;
}

function render(
  fields: ReadonlyArray<readonly [string, string]>,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): Rendered {
  const sink = new RequestFields();
  const req = new RequestHead();
  sink.begin(req, limits);
  for (const [name, value] of fields) {
    const line = Buffer.from(`${name}: ${value}`, "latin1");
    sink.field(line, 0, name.length, line.length, fieldKind(line, 0, name.length, name.length + 2, line.length));
  }
  const error = sink.finish();
  const head = sink.malformed === "" ? req.raw.toString("latin1", req.headStart, req.headEnd) : null;
  return { head, malformed: sink.malformed, error, req };
}

const BASE: Array<[string, string]> = [
  [":method", "GET"],
  [":scheme", "https"],
  [":path", "/a?b=1"],
  [":authority", "example.com"],
];

test("the request line, the fields, the cookie crumbs joined, Host from :authority", () => {
  const { head } = render([...BASE, ["accept", "*/*"], ["cookie", "a=1"], ["user-agent", "t"], ["cookie", "b=2"]]);
  assert.equal(
    head,
    "GET /a?b=1 HTTP/1.1\r\naccept: */*\r\nuser-agent: t\r\ncookie: a=1; b=2\r\nhost: example.com\r\n\r\n",
  );
});

test("the head reads as parse-request.ts would have filled it", () => {
  const { req, error } = render([
    ...BASE,
    ["accept", "*/*"],
    ["cookie", "a=1"],
    ["content-length", "12"],
    ["cookie", "b=2"],
  ]);
  assert.equal(error, null);
  assert.deepEqual(
    [req.method, req.target, req.path, req.query, req.host],
    ["GET", "/a?b=1", "/a", "?b=1", "example.com"],
  );
  assert.deepEqual([req.protocol, req.contentLength, req.keepAlive], ["HTTP/2.0", 12, true]);
  assert.equal(req.header("cookie"), "a=1; b=2");
  assert.equal(req.header("Accept"), "*/*");
  assert.equal(req.headerCount, 4);
  assert.equal(req.raw.toString("latin1", req.lineStart, req.targetEnd), "GET /a?b=1");
});

test("what HTTP/1.1 answers with a status, HTTP/2 answers the same way", () => {
  const status = (fields: ReadonlyArray<readonly [string, string]>, limits?: ParseLimits): number | undefined =>
    render(fields, limits).error?.status;
  assert.equal(status([...BASE, ["x", "a\x01b"]]), 400);
  assert.equal(status([...BASE, ["content-length", "x"]]), 400);
  assert.equal(status([...BASE, ["content-length", "1"], ["content-length", "2"]]), 400);
  assert.equal(status([...BASE, ["expect", "magic"]]), 417);
  assert.equal(
    status([
      [":method", "G(T"],
      [":scheme", "https"],
      [":path", "/"],
    ]),
    400,
  );
  assert.equal(
    status([
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "/a b"],
      [":authority", "x"],
    ]),
    400,
  );
  assert.equal(
    status([
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "/#f"],
      [":authority", "x"],
    ]),
    400,
  );
  assert.equal(
    status([
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "/"],
    ]),
    400,
    "no authority and no Host",
  );
  assert.equal(
    status([
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "/"],
      [":authority", "a b"],
    ]),
    400,
  );
  assert.equal(
    status(
      [
        [":method", "GET"],
        [":scheme", "https"],
        [":path", `/${"a".repeat(200)}`],
        [":authority", "x"],
      ],
      { ...DEFAULT_PARSE_LIMITS, maxRequestLineBytes: 100 },
    ),
    414,
  );
  assert.equal(status([...BASE, ["a", "1"], ["b", "2"]], { ...DEFAULT_PARSE_LIMITS, maxHeaderCount: 2 }), 431);
  assert.equal(
    status([
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "/"],
      ["host", "a"],
      ["host", "a"],
    ]),
    400,
  );
  assert.equal(render([...BASE, ["expect", "100-continue"]]).req.expectContinue, true);
});

test("a Host naming the same authority is kept; one naming another makes the request malformed", () => {
  assert.equal(render([...BASE, ["host", "Example.com"]]).head, "GET /a?b=1 HTTP/1.1\r\nhost: Example.com\r\n\r\n");
  assert.equal(render([...BASE, ["host", "other.example"]]).malformed, "Host differs from :authority");
});

test("OPTIONS * and CONNECT have their own forms", () => {
  assert.match(
    render([
      [":method", "OPTIONS"],
      [":scheme", "https"],
      [":path", "*"],
      [":authority", "x"],
    ]).head!,
    /^OPTIONS \* HTTP/,
  );
  assert.match(
    render([
      [":method", "CONNECT"],
      [":authority", "x:443"],
    ]).head!,
    /^CONNECT x:443 HTTP/,
  );
  assert.notEqual(
    render([
      [":method", "CONNECT"],
      [":authority", "x:443"],
      [":path", "/"],
    ]).malformed,
    "",
  );
  assert.notEqual(
    render([
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "*"],
    ]).malformed,
    "",
  );
});

test("what makes a request malformed", () => {
  const cases: Array<Array<[string, string]>> = [
    [...BASE, ["X-Upper", "1"]],
    [...BASE, ["keep-alive", "5"]],
    [...BASE, ["proxy-connection", "x"]],
    [...BASE, ["transfer-encoding", "chunked"]],
    [...BASE, ["upgrade", "h2c"]],
    [...BASE, ["te", "gzip"]],
    [["accept", "*/*"], ...BASE],
    [...BASE, [":method", "POST"]],
    [...BASE, [":protocol", "websocket"]],
    [
      [":method", "GET"],
      [":path", "/"],
    ],
    [
      [":method", "GET"],
      [":scheme", "https"],
      [":path", ""],
    ],
    [
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "/"],
      [":authority", "u@x"],
    ],
    [...BASE, ["x", "a\rb"]],
    [...BASE, ["x", "a "]],
    [...BASE, ["x y", "1"]],
  ];
  for (const fields of cases) assert.notEqual(render(fields).malformed, "", JSON.stringify(fields));
  assert.equal(render([...BASE, ["te", "trailers"]]).malformed, "");
});

test("trailers become field lines; pseudo-header fields there are malformed", () => {
  const sink = new TrailerFields();
  sink.begin();
  const add = (name: string, value: string): void => {
    const line = Buffer.from(`${name}: ${value}`, "latin1");
    sink.field(line, 0, name.length, line.length, fieldKind(line, 0, name.length, name.length + 2, line.length));
  };
  add("x-sum", "6");
  assert.deepEqual(sink.lines, ["x-sum: 6"]);
  add(":status", "200");
  assert.notEqual(sink.malformed, "");
});
