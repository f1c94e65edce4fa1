// What clients send on streams, through an in-process session: stream ids and states (RFC 9113 §5.1),
// field blocks and their HPACK, malformed requests, request bodies against the receive windows.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Buffer } from "node:buffer";
import {
  CONTINUATION,
  data,
  END_HEADERS,
  END_STREAM,
  encodeFields,
  frame,
  headers,
  indexed,
  indexedLiteral,
  ping,
  request,
  requestFields,
  rst,
  WINDOW_UPDATE,
  windowUpdate,
} from "../helpers/h2.ts";
import { openSession, settle } from "../helpers/h2-session.ts";

const PROTOCOL_ERROR = 0x1;
const FLOW_CONTROL_ERROR = 0x3;
const STREAM_CLOSED = 0x5;
const REFUSED_STREAM = 0x7;
const CANCEL = 0x8;
const COMPRESSION_ERROR = 0x9;
const NO_ERROR = 0x0;

describe("streams (RFC 9113 §5.1)", () => {
  test("requests on odd streams are answered; an even stream id is a PROTOCOL_ERROR", () => {
    const rig = openSession();
    rig.feed(request(1, "/hello"), request(3, "/prepared"));
    assert.equal(rig.transport.log.response(1)?.body.toString(), "hello");
    assert.equal(rig.transport.log.response(3)?.body.toString(), "prepared body\n");
    rig.feed(request(4, "/hello"));
    assert.equal(rig.transport.log.goaway()?.code, PROTOCOL_ERROR);
  });

  test("a stream id below one already used is a PROTOCOL_ERROR when it never opened", () => {
    const { transport, feed } = openSession();
    feed(request(5, "/hello"), request(3, "/hello"));
    assert.equal(transport.log.goaway()?.code, PROTOCOL_ERROR);
  });

  test("HEADERS on a stream that closed is a STREAM_CLOSED connection error", () => {
    const { transport, feed } = openSession();
    feed(request(1, "/hello"), request(1, "/hello"));
    assert.equal(transport.log.goaway()?.code, STREAM_CLOSED);
  });

  test("DATA, WINDOW_UPDATE or RST_STREAM on an idle stream are PROTOCOL_ERRORs", () => {
    for (const bad of [data(1, "x"), windowUpdate(1, 10), rst(1, CANCEL)]) {
      const { transport, feed } = openSession();
      feed(bad);
      assert.equal(transport.log.goaway()?.code, PROTOCOL_ERROR, bad.toString("hex"));
    }
  });

  test("DATA after the client's END_STREAM is a STREAM_CLOSED stream error", () => {
    const rig = openSession();
    rig.feed(request(1, "/never"), data(1, "late"));
    assert.equal(rig.transport.log.resetCode(1), STREAM_CLOSED);
    rig.feed(request(3, "/hello"));
    assert.equal(rig.transport.log.response(3)?.status, 200);
  });

  test("frames for a stream we reset are ignored", () => {
    const rig = openSession();
    // A body the handler never reads: the response ends the stream, a reset stops the body.
    rig.feed(request(1, "/hello", [], END_HEADERS));
    assert.equal(rig.transport.log.response(1)?.status, 200);
    assert.equal(rig.transport.log.resetCode(1), NO_ERROR);
    rig.feed(data(1, "more"), data(1, "", END_STREAM), windowUpdate(1, 5), request(3, "/hello"));
    assert.equal(rig.transport.log.goaway(), undefined);
    assert.equal(rig.transport.log.response(3)?.status, 200);
  });

  test("streams past SETTINGS_MAX_CONCURRENT_STREAMS are refused, and may be retried", () => {
    const rig = openSession({ h2: { maxConcurrentStreams: 2 } });
    rig.feed(request(1, "/never"), request(3, "/never"), request(5, "/hello"));
    assert.equal(rig.transport.log.resetCode(5), REFUSED_STREAM);
    rig.feed(rst(1, CANCEL), request(7, "/hello"));
    assert.equal(rig.transport.log.response(7)?.status, 200);
  });

  test("a client's RST_STREAM aborts the request", async () => {
    const rig = openSession();
    rig.feed(request(1, "/stream?n=2000000"));
    rig.feed(rst(1, CANCEL));
    await settle();
    // Stream 1 used up the connection window before it was reset.
    rig.feed(request(3, "/hello"), windowUpdate(0, 100));
    assert.equal(rig.transport.log.response(3)?.status, 200);
    assert.equal(rig.session.streamCount, 0);
  });
});

describe("field blocks (RFC 9113 §4.3, §6.10, §8.2–§8.3)", () => {
  test("a block split over CONTINUATION frames is one request", () => {
    const block = encodeFields(requestFields("/hello", [["x-a", "1".repeat(100)]]));
    const rig = openSession();
    rig.feed(
      headers(1, block.subarray(0, 10), END_STREAM),
      frame(CONTINUATION, 0, 1, block.subarray(10, 50)),
      frame(CONTINUATION, END_HEADERS, 1, block.subarray(50)),
    );
    assert.equal(rig.transport.log.response(1)?.status, 200);
  });

  test("another frame inside a block, or CONTINUATION without one, is a PROTOCOL_ERROR", () => {
    const block = encodeFields(requestFields("/hello"));
    const inside = openSession();
    inside.feed(headers(1, block.subarray(0, 5), END_STREAM), ping());
    assert.equal(inside.transport.log.goaway()?.code, PROTOCOL_ERROR);
    const stray = openSession();
    stray.feed(frame(CONTINUATION, END_HEADERS, 1, block));
    assert.equal(stray.transport.log.goaway()?.code, PROTOCOL_ERROR);
  });

  test("HPACK that does not decode is a COMPRESSION_ERROR", () => {
    for (const block of [indexed(0), indexed(70), Buffer.from([0x00, 0x85, 0xff, 0xff])]) {
      const { transport, feed } = openSession();
      feed(headers(1, block));
      assert.equal(transport.log.goaway()?.code, COMPRESSION_ERROR, block.toString("hex"));
    }
  });

  test("malformed requests are stream errors; the connection and its HPACK state carry on", () => {
    const malformed: Array<ReadonlyArray<readonly [string, string]>> = [
      [...requestFields("/hello"), ["Upper", "x"]],
      [...requestFields("/hello"), ["connection", "close"]],
      [...requestFields("/hello"), ["te", "gzip"]],
      [...requestFields("/hello"), [":path", "/again"]],
      [["x-first", "1"], ...requestFields("/hello")],
      [
        [":method", "GET"],
        [":scheme", "http"],
        [":path", "relative"],
      ],
      [
        [":method", "GET"],
        [":scheme", "http"],
      ],
      [...requestFields("/hello"), [":status", "200"]],
      [...requestFields("/hello"), ["x", "a\nb"]],
      [...requestFields("/hello"), ["x", " padded"]],
      [...requestFields("/hello"), ["host", "elsewhere"]],
    ];
    const rig = openSession();
    let id = 1;
    for (const fields of malformed) {
      // Each block also adds an entry to the dynamic table, which later blocks depend on.
      rig.feed(headers(id, Buffer.concat([indexedLiteral("x-seen", String(id)), encodeFields(fields)])));
      assert.equal(rig.transport.log.resetCode(id), PROTOCOL_ERROR, JSON.stringify(fields));
      id += 2;
    }
    rig.feed(headers(id, Buffer.concat([encodeFields(requestFields("/hello")), indexed(62)])));
    assert.equal(rig.transport.log.response(id)?.status, 200);
  });

  test("handlers see the request as over HTTP/1.1: cookie crumbs joined, :authority as Host (§8.2.3, §8.3.1)", () => {
    const rig = openSession();
    rig.feed(
      request(1, "/fields?x=1", [
        ["cookie", "a=1"],
        ["accept", "*/*"],
        ["cookie", "b=2"],
      ]),
    );
    // cookie (one line), accept, host.
    assert.equal(rig.transport.log.response(1)?.body.toString(), "GET /fields?x=1 HTTP/2.0|localhost|a=1; b=2|3");
    rig.feed(request(3, "/fields", [["host", "LOCALHOST"]]));
    assert.equal(rig.transport.log.response(3)?.body.toString(), "GET /fields HTTP/2.0|LOCALHOST|undefined|1");
  });

  test("a field section past the header list limit is answered 431 and costs the connection nothing", () => {
    const rig = openSession({ h2: { maxHeaderListBytes: 1024 } });
    rig.feed(request(1, "/hello", [["x-big", "a".repeat(2000)]]));
    assert.equal(rig.transport.log.response(1)?.status, 431);
    rig.feed(request(3, "/hello"));
    assert.equal(rig.transport.log.response(3)?.status, 200);
  });

  test("an HPACK bomb (a small block naming a large entry many times) is cut at the limit: 431", () => {
    const rig = openSession({ h2: { maxHeaderListBytes: 16 * 1024 } });
    const entry = indexedLiteral("x-bomb", "b".repeat(4000));
    const refs = Buffer.alloc(1000, indexed(62)[0]!);
    const block = Buffer.concat([entry, encodeFields(requestFields("/hello")), refs]);
    assert.ok(block.length < 6000, "the block is small");
    rig.feed(headers(1, block));
    assert.equal(rig.transport.log.response(1)?.status, 431);
    rig.feed(headers(3, Buffer.concat([encodeFields(requestFields("/hello")), indexed(62)])));
    assert.equal(rig.transport.log.response(3)?.status, 200, "the dynamic table is still in step");
  });
});

describe("request bodies and flow control (RFC 9113 §6.9)", () => {
  test("a body reaches the handler with its trailers; content-length is checked", () => {
    const rig = openSession();
    rig.feed(request(1, "/echo", [["content-length", "6"]], END_HEADERS), data(1, "abc"), data(1, "def", END_STREAM));
    assert.equal(rig.transport.log.response(1)?.body.toString(), "6 bytes\n");
    rig.feed(request(3, "/echo", [], END_HEADERS), data(3, "xy"), headers(3, encodeFields([["x-sum", "2"]])));
    assert.equal(rig.transport.log.response(3)?.body.toString(), "2 bytes\n");
    assert.deepEqual([...rig.bodies.values()][1]!.trailers, ["x-sum: 2"]);
    rig.feed(request(5, "/echo", [["content-length", "6"]], END_HEADERS), data(5, "abc", END_STREAM));
    assert.equal(rig.transport.log.resetCode(5), PROTOCOL_ERROR);
    rig.feed(request(7, "/echo", [["content-length", "2"]], END_HEADERS), data(7, "abc"));
    assert.equal(rig.transport.log.resetCode(7), PROTOCOL_ERROR);
    rig.feed(request(9, "/echo", [["content-length", "2"]]));
    assert.equal(rig.transport.log.resetCode(9), PROTOCOL_ERROR);
  });

  test("Expect: 100-continue gets 100 once the handler reads the body, then the response", () => {
    const rig = openSession();
    rig.feed(
      request(
        1,
        "/echo",
        [
          ["expect", "100-continue"],
          ["content-length", "2"],
        ],
        END_HEADERS,
      ),
    );
    const informational = rig.transport.log.blocks.get(1)?.[0];
    assert.deepEqual(informational, [[":status", "100"]]);
    rig.feed(data(1, "ok", END_STREAM));
    const res = rig.transport.log.response(1)!;
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), "2 bytes\n");
  });

  test("trailers without END_STREAM are a stream error", () => {
    const rig = openSession();
    rig.feed(request(1, "/echo", [], END_HEADERS), data(1, "x"), headers(1, encodeFields([["x-a", "1"]]), END_HEADERS));
    assert.equal(rig.transport.log.resetCode(1), PROTOCOL_ERROR);
  });

  test("a body nobody reads holds at most the stream window, and more is a FLOW_CONTROL_ERROR", () => {
    const rig = openSession();
    rig.feed(request(1, "/hold", [], END_HEADERS));
    for (let i = 0; i < 3; i++) rig.feed(data(1, Buffer.alloc(16_000)));
    const record = [...rig.bodies.values()][0]!;
    assert.equal(record.chunks, 1, "the sink said wait after its first chunk");
    assert.equal(rig.transport.log.frames.filter((f) => f.type === WINDOW_UPDATE && f.stream === 1).length, 0);
    rig.feed(data(1, Buffer.alloc(16_000)), data(1, Buffer.alloc(1535)));
    assert.equal(rig.transport.log.resetCode(1), undefined, "exactly the window is allowed");
    rig.feed(data(1, Buffer.alloc(1)));
    assert.equal(rig.transport.log.resetCode(1), FLOW_CONTROL_ERROR);
  });

  test("a body that is read opens the window again as it goes", () => {
    const rig = openSession();
    rig.feed(request(1, "/echo", [], END_HEADERS));
    for (let i = 0; i < 20; i++) rig.feed(data(1, Buffer.alloc(16_000)));
    rig.feed(data(1, "", END_STREAM));
    assert.equal(rig.transport.log.response(1)?.body.toString(), "320000 bytes\n");
    assert.ok(rig.transport.log.frames.some((f) => f.type === WINDOW_UPDATE && f.stream === 1));
  });

  test("a body past --max-body is answered 413", () => {
    const rig = openSession({ engine: { maxBodyBytes: 1000 } });
    rig.feed(request(1, "/echo", [["content-length", "2000"]], END_HEADERS));
    assert.equal(rig.transport.log.response(1)?.status, 413);
    rig.feed(request(3, "/echo", [], END_HEADERS), data(3, Buffer.alloc(1001)));
    assert.equal(rig.transport.log.response(3)?.status, 413);
  });

  test("WINDOW_UPDATE of 0 is an error; windows past 2^31-1 are FLOW_CONTROL_ERRORs", () => {
    const zeroConn = openSession();
    zeroConn.feed(windowUpdate(0, 0));
    assert.equal(zeroConn.transport.log.goaway()?.code, PROTOCOL_ERROR);
    const zeroStream = openSession();
    zeroStream.feed(request(1, "/never"), windowUpdate(1, 0));
    assert.equal(zeroStream.transport.log.resetCode(1), PROTOCOL_ERROR);
    const overflow = openSession();
    overflow.feed(windowUpdate(0, 2 ** 31 - 1));
    assert.equal(overflow.transport.log.goaway()?.code, FLOW_CONTROL_ERROR);
    const streamOverflow = openSession();
    streamOverflow.feed(request(1, "/never"), windowUpdate(1, 2 ** 31 - 1));
    assert.equal(streamOverflow.transport.log.resetCode(1), FLOW_CONTROL_ERROR);
  });
});
