// A request's decoded fields rendered in HTTP/1.1 form for the engine's parser, and HTTP/2's own
// rules on them (RFC 9113 §8.2–§8.3).

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import { fieldKind } from "../../src/h2/hpack-table.ts";
import { RequestFields, TrailerFields } from "../../src/h2/request-fields.ts";

function render(fields: ReadonlyArray<readonly [string, string]>): { head: string | null; malformed: string } {
  const sink = new RequestFields();
  sink.begin();
  for (const [name, value] of fields) {
    const line = Buffer.from(`${name}: ${value}`, "latin1");
    sink.field(line, 0, name.length, line.length, fieldKind(line, 0, name.length, name.length + 2, line.length));
  }
  const head = sink.finish();
  return { head: head?.toString("latin1") ?? null, malformed: sink.malformed };
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
