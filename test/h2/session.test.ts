// The HTTP/2 session in process: the rules of RFC 9113 a server must enforce (preface, frame sizes,
// stream states and ids, flow control, field blocks), requests and responses through the same
// handlers as HTTP/1.1, flow control both ways with bounded buffering, GOAWAY, and the floods.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Buffer } from "node:buffer";
import {
  CONTINUATION,
  data,
  DATA,
  END_HEADERS,
  END_STREAM,
  encodeFields,
  frame,
  GOAWAY,
  HEADERS,
  header,
  headers,
  indexed,
  indexedLiteral,
  PADDED,
  PING,
  ping,
  PREFACE,
  PRIORITY_FLAG,
  priority,
  request,
  requestFields,
  rst,
  SETTINGS,
  settings,
  settingsAck,
  WINDOW_UPDATE,
  windowUpdate,
} from "../helpers/h2.ts";
import { openSession, settle } from "../helpers/h2-session.ts";

const PROTOCOL_ERROR = 0x1;
const FLOW_CONTROL_ERROR = 0x3;
const STREAM_CLOSED = 0x5;
const FRAME_SIZE_ERROR = 0x6;
const REFUSED_STREAM = 0x7;
const CANCEL = 0x8;
const COMPRESSION_ERROR = 0x9;
const ENHANCE_YOUR_CALM = 0xb;
const INTERNAL_ERROR = 0x2;
const NO_ERROR = 0x0;

const S_INITIAL_WINDOW_SIZE = 0x4;
const S_MAX_FRAME_SIZE = 0x5;
const S_ENABLE_PUSH = 0x2;

describe("the connection preface (RFC 9113 §3.4)", () => {
  test("the server's preface is SETTINGS with its limits, then a wide connection window", () => {
    const { transport } = openSession({ h2: { maxConcurrentStreams: 7 } });
    const first = transport.log.frames[0]!;
    assert.equal(first.type, SETTINGS);
    assert.equal(first.flags, 0);
    const pairs = new Map<number, number>();
    for (let at = 0; at < first.payload.length; at += 6)
      pairs.set(first.payload.readUInt16BE(at), first.payload.readUInt32BE(at + 2));
    assert.equal(pairs.get(0x3), 7);
    assert.equal(pairs.get(0x6), 16 * 1024);
    const update = transport.log.find(WINDOW_UPDATE, 0)!;
    assert.ok(update.payload.readUInt32BE(0) > 1 << 20);
    assert.ok(
      transport.log.frames.some((f) => f.type === SETTINGS && f.flags === 1),
      "the client's SETTINGS is acknowledged",
    );
  });

  test("a wrong preface is a PROTOCOL_ERROR", async () => {
    const { transport, feed } = openSession({ preface: false });
    feed(Buffer.from("GET / HTTP/1.1\r\n\r\n"));
    assert.equal(transport.log.goaway()?.code, PROTOCOL_ERROR);
    assert.equal(transport.ended, true);
  });

  test("a preface split across reads is fine", () => {
    const { transport, feed } = openSession({ preface: false });
    feed(PREFACE.subarray(0, 5));
    feed(PREFACE.subarray(5), settings());
    feed(request(1, "/hello"));
    assert.equal(transport.log.response(1)?.status, 200);
  });

  test("a first frame other than SETTINGS is a PROTOCOL_ERROR", () => {
    const { transport, feed } = openSession({ preface: false });
    feed(PREFACE, ping());
    assert.equal(transport.log.goaway()?.code, PROTOCOL_ERROR);
  });
});

describe("frames (RFC 9113 §4, §6)", () => {
  test("a frame larger than SETTINGS_MAX_FRAME_SIZE is a FRAME_SIZE_ERROR", () => {
    const { transport, feed } = openSession();
    feed(frame(DATA, 0, 1, Buffer.alloc(16_385)));
    assert.equal(transport.log.goaway()?.code, FRAME_SIZE_ERROR);
  });

  test("unknown frame types are ignored", () => {
    const { transport, feed } = openSession();
    feed(frame(0xfa, 0, 0, Buffer.from("x")), request(1, "/hello"));
    assert.equal(transport.log.response(1)?.status, 200);
    assert.equal(transport.log.goaway(), undefined);
  });

  test("PING is answered with the same payload; a PING on a stream or of another size is an error", () => {
    const payload = Buffer.from("12345678");
    const rig = openSession();
    rig.feed(ping(payload));
    const ack = rig.transport.log.frames.find((f) => f.type === PING)!;
    assert.equal(ack.flags, 1);
    assert.deepEqual(ack.payload, payload);
    const onStream = openSession();
    onStream.feed(frame(PING, 0, 1, payload));
    assert.equal(onStream.transport.log.goaway()?.code, PROTOCOL_ERROR);
    const short = openSession();
    short.feed(frame(PING, 0, 0, Buffer.alloc(7)));
    assert.equal(short.transport.log.goaway()?.code, FRAME_SIZE_ERROR);
  });

  test("SETTINGS: on a stream, a bad length, an ACK with payload, and bad values are errors", () => {
    const cases: Array<[Buffer, number]> = [
      [frame(SETTINGS, 0, 1, Buffer.alloc(6)), PROTOCOL_ERROR],
      [frame(SETTINGS, 0, 0, Buffer.alloc(5)), FRAME_SIZE_ERROR],
      [frame(SETTINGS, 1, 0, Buffer.alloc(6)), FRAME_SIZE_ERROR],
      [settings([[S_ENABLE_PUSH, 2]]), PROTOCOL_ERROR],
      [settings([[S_INITIAL_WINDOW_SIZE, 2 ** 31]]), FLOW_CONTROL_ERROR],
      [settings([[S_MAX_FRAME_SIZE, 16_383]]), PROTOCOL_ERROR],
      [settings([[S_MAX_FRAME_SIZE, 2 ** 24]]), PROTOCOL_ERROR],
    ];
    for (const [bad, code] of cases) {
      const { transport, feed } = openSession();
      feed(bad);
      assert.equal(transport.log.goaway()?.code, code, bad.toString("hex"));
    }
    const fine = openSession();
    fine.feed(settings([[0x99, 5]]), settingsAck(), request(1, "/hello"));
    assert.equal(fine.transport.log.response(1)?.status, 200);
  });

  test("padding is stripped; padding as long as the payload is a PROTOCOL_ERROR", () => {
    const block = encodeFields(requestFields("/hello"));
    const padded = Buffer.concat([Buffer.from([3]), block, Buffer.alloc(3)]);
    const rig = openSession();
    rig.feed(headers(1, padded, END_HEADERS | END_STREAM | PADDED));
    assert.equal(rig.transport.log.response(1)?.status, 200);
    const bad = openSession();
    bad.feed(headers(1, Buffer.from([9, 1, 2]), END_HEADERS | END_STREAM | PADDED));
    assert.equal(bad.transport.log.goaway()?.code, PROTOCOL_ERROR);
  });

  test("PUSH_PROMISE from a client is a PROTOCOL_ERROR", () => {
    const { transport, feed } = openSession();
    feed(frame(0x5, END_HEADERS, 1, Buffer.alloc(4)));
    assert.equal(transport.log.goaway()?.code, PROTOCOL_ERROR);
  });

  test("PRIORITY is accepted and ignored; a stream depending on itself is a stream error", () => {
    const rig = openSession();
    rig.feed(priority(3, 1), request(1, "/hello"));
    assert.equal(rig.transport.log.response(1)?.status, 200);
    rig.feed(priority(5, 5));
    assert.equal(rig.transport.log.resetCode(5), PROTOCOL_ERROR);
    const self = Buffer.concat([Buffer.from([0, 0, 0, 7, 16]), encodeFields(requestFields("/hello"))]);
    rig.feed(headers(7, self, END_HEADERS | END_STREAM | PRIORITY_FLAG));
    assert.equal(rig.transport.log.resetCode(7), PROTOCOL_ERROR);
    rig.feed(request(9, "/hello"));
    assert.equal(rig.transport.log.response(9)?.status, 200, "the connection carries on");
  });
});

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

describe("responses and the peer's windows", () => {
  test("a response waits for the stream window and goes on when it opens", async () => {
    const rig = openSession({ clientSettings: settings([[S_INITIAL_WINDOW_SIZE, 0]]) });
    rig.feed(request(1, "/stream?n=100000"));
    await settle();
    const dataBytes = (): number =>
      rig.transport.log.frames
        .filter((f) => f.type === DATA && f.stream === 1)
        .reduce((n, f) => n + f.payload.length, 0);
    assert.equal(dataBytes(), 0);
    assert.ok(rig.transport.log.blocks.get(1), "the head went out");
    rig.feed(windowUpdate(1, 30_000));
    await settle();
    assert.equal(dataBytes(), 30_000);
    rig.feed(windowUpdate(0, 100_000), settings([[S_INITIAL_WINDOW_SIZE, 40_000]]));
    await settle();
    assert.equal(dataBytes(), 70_000, "SETTINGS_INITIAL_WINDOW_SIZE moves open streams' windows");
    rig.feed(windowUpdate(1, 30_000));
    await settle();
    const res = rig.transport.log.response(1)!;
    assert.equal(res.body.length, 100_000);
  });

  test("DATA frames respect the peer's SETTINGS_MAX_FRAME_SIZE and the connection window", async () => {
    const rig = openSession({ clientSettings: settings([[S_MAX_FRAME_SIZE, 20_000]]) });
    rig.feed(request(1, "/stream?n=200000"));
    await settle();
    const frames = rig.transport.log.frames.filter((f) => f.type === DATA);
    assert.ok(frames.every((f) => f.payload.length <= 20_000));
    assert.equal(
      frames.reduce((n, f) => n + f.payload.length, 0),
      65_535,
      "the initial connection window",
    );
    rig.feed(windowUpdate(0, 200_000), windowUpdate(1, 200_000));
    await settle();
    assert.equal(rig.transport.log.response(1)?.body.length, 200_000);
  });

  test("streams waiting for the connection window take turns", async () => {
    const rig = openSession();
    rig.feed(request(1, "/stream?n=100000"), request(3, "/stream?n=100000"));
    await settle();
    rig.feed(windowUpdate(0, 64_000));
    await settle();
    const bytes = (id: number): number =>
      rig.transport.log.frames
        .filter((f) => f.type === DATA && f.stream === id)
        .reduce((n, f) => n + f.payload.length, 0);
    assert.ok(bytes(3) >= 16_000, `stream 3 got ${bytes(3)} of the new window`);
  });

  test("trailers end the stream in a HEADERS frame; a short body resets the stream", () => {
    const rig = openSession();
    rig.feed(request(1, "/trailers"), request(3, "/short"));
    const res = rig.transport.log.response(1)!;
    assert.equal(res.body.toString(), "abc");
    assert.deepEqual(res.trailers, [["x-sum", "6"]]);
    assert.equal(rig.transport.log.resetCode(3), INTERNAL_ERROR);
  });

  test("HEAD gets the head GET would get and no DATA", () => {
    const rig = openSession();
    rig.feed(
      headers(
        1,
        encodeFields([
          [":method", "HEAD"],
          [":scheme", "http"],
          [":path", "/prepared"],
          [":authority", "x"],
        ]),
      ),
    );
    const res = rig.transport.log.response(1)!;
    assert.equal(header(res, "content-length"), "14");
    assert.equal(rig.transport.log.frames.filter((f) => f.type === DATA).length, 0);
  });

  test("a writer that sizes its chunks by writableSize holds one small chunk while the window is shut", async () => {
    const rig = openSession({ clientSettings: settings([[S_INITIAL_WINDOW_SIZE, 0]]) });
    rig.feed(request(1, "/sized?n=1000000"));
    await settle();
    const record = [...rig.bodies.values()][0]!;
    assert.deepEqual([record.chunks, record.bytes], [1, 16 * 1024], "one frame's worth, then it waits");
    rig.feed(windowUpdate(0, 2_000_000), windowUpdate(1, 300_000));
    await settle();
    assert.ok(record.bytes >= 300_000 && record.bytes < 300_000 + 32 * 1024, `${record.bytes} written`);
    rig.feed(windowUpdate(1, 2_000_000));
    await settle();
    assert.equal(rig.transport.log.response(1)?.body.length, 1_000_000);
  });

  test("a zero window held forever: the stream is reset after the send timeout", async () => {
    const rig = openSession({
      clientSettings: settings([[S_INITIAL_WINDOW_SIZE, 0]]),
      engine: { sendTimeoutMs: 1000 },
    });
    rig.feed(request(1, "/stream?n=1000000"), request(3, "/hello"), windowUpdate(3, 100));
    await settle();
    assert.equal(rig.transport.log.response(3)?.status, 200, "other streams are not held up");
    rig.session.onDeadline(Date.now() + 500);
    assert.equal(rig.transport.log.resetCode(1), undefined);
    rig.session.onDeadline(Date.now() + 2000);
    assert.equal(rig.transport.log.resetCode(1), CANCEL);
    assert.equal(rig.session.streamCount, 0);
  });
});

describe("GOAWAY (RFC 9113 §6.8)", () => {
  test("drain sends GOAWAY with the last stream id; open streams finish; new ones are ignored", async () => {
    const rig = openSession();
    rig.feed(request(1, "/stream?n=100000"));
    rig.session.drain();
    const away = rig.transport.log.goaway()!;
    assert.deepEqual([away.last, away.code], [1, NO_ERROR]);
    rig.feed(request(3, "/hello"), windowUpdate(0, 1_000_000), windowUpdate(1, 1_000_000));
    await settle();
    assert.equal(rig.transport.log.response(1)?.body.length, 100_000);
    assert.equal(rig.transport.log.response(3), undefined);
    assert.equal(rig.transport.ended, true, "closed once the last stream finished");
  });

  test("a client's GOAWAY is answered with ours and the connection closes when idle", () => {
    const rig = openSession();
    rig.feed(request(1, "/hello"), frame(GOAWAY, 0, 0, Buffer.alloc(8)));
    assert.equal(rig.transport.log.goaway()?.last, 1);
    assert.equal(rig.transport.ended, true);
  });

  test("an idle connection is closed after the keep-alive timeout with GOAWAY", () => {
    const rig = openSession({ engine: { keepAliveTimeoutMs: 1000 } });
    rig.feed(request(1, "/hello"));
    rig.session.onDeadline(Date.now() + 2000);
    assert.equal(rig.transport.log.goaway()?.code, NO_ERROR);
    assert.equal(rig.transport.ended, true);
  });
});

describe("floods cost the client its connection", () => {
  test("rapid reset (CVE-2023-44487): GOAWAY ENHANCE_YOUR_CALM", () => {
    const rig = openSession();
    const frames: Buffer[] = [];
    for (let id = 1; id < 1000; id += 2) frames.push(request(id, "/never"), rst(id, CANCEL));
    rig.feed(...frames);
    assert.equal(rig.transport.log.goaway()?.code, ENHANCE_YOUR_CALM);
    assert.equal(rig.transport.ended, true);
  });

  test("a few cancelled streams are nothing unusual", () => {
    const rig = openSession();
    const frames: Buffer[] = [];
    for (let id = 1; id < 200; id += 2) frames.push(request(id, "/never"), rst(id, CANCEL));
    rig.feed(...frames, request(201, "/hello"));
    assert.equal(rig.transport.log.goaway(), undefined);
    assert.equal(rig.transport.log.response(201)?.status, 200);
  });

  test("CONTINUATION flood (CVE-2024-27316): GOAWAY ENHANCE_YOUR_CALM after the frame limit", () => {
    const rig = openSession({ h2: { maxHeaderFrames: 16 } });
    const frames = [headers(1, encodeFields(requestFields("/hello")).subarray(0, 4), END_STREAM)];
    for (let i = 0; i < 100; i++) frames.push(frame(CONTINUATION, 0, 1, Buffer.alloc(0)));
    rig.feed(...frames);
    assert.equal(rig.transport.log.goaway()?.code, ENHANCE_YOUR_CALM);
  });

  test("a field block that grows past its bound over CONTINUATION frames: GOAWAY ENHANCE_YOUR_CALM", () => {
    const rig = openSession({ h2: { maxHeaderListBytes: 1024 } });
    const frames = [headers(1, encodeFields(requestFields("/hello")), END_STREAM)];
    for (let i = 0; i < 5; i++) frames.push(frame(CONTINUATION, 0, 1, Buffer.alloc(1000)));
    rig.feed(...frames);
    assert.equal(rig.transport.log.goaway()?.code, ENHANCE_YOUR_CALM);
  });

  for (const [name, make] of [
    ["PING", () => ping()],
    ["SETTINGS", () => settings()],
    ["empty DATA", () => data(1, "")],
    ["PRIORITY", () => priority(3, 1)],
    ["unknown frame", () => frame(0xee, 0, 0)],
  ] as const) {
    test(`a ${name} flood: GOAWAY ENHANCE_YOUR_CALM`, () => {
      const rig = openSession();
      rig.feed(request(1, "/never", [], END_HEADERS));
      const frames: Buffer[] = [];
      for (let i = 0; i < 2000; i++) frames.push(make());
      rig.feed(...frames);
      assert.equal(rig.transport.log.goaway()?.code, ENHANCE_YOUR_CALM);
      const acks = rig.transport.log.frames.filter((f) => f.type === PING || (f.type === SETTINGS && f.flags === 1));
      assert.ok(acks.length <= 1001, `${acks.length} acknowledgements were written`);
    });
  }

  test("a client that sends but does not read is not read any further", () => {
    const rig = openSession();
    rig.transport.needDrain = true;
    rig.feed(request(1, "/hello"));
    assert.equal(rig.transport.paused, true);
  });
});

describe("the connection's end", () => {
  test("a client that half-closes with a body unsent gets 400 for it; answered streams finish", async () => {
    const rig = openSession();
    rig.feed(request(1, "/echo", [["content-length", "5"]], END_HEADERS), request(3, "/stream?n=100000"));
    rig.session.peerEnded();
    // Stream 3 took the connection window; the 400's body waits for it like any other.
    rig.feed(windowUpdate(0, 1_000_000), windowUpdate(3, 1_000_000));
    await settle();
    assert.equal(rig.transport.log.response(1)?.status, 400);
    assert.equal(rig.transport.log.response(3)?.body.length, 100_000);
    assert.equal(rig.transport.ended, true, "closed once the last stream finished");
  });

  test("when the transport closes, open requests are aborted and the server is told", async () => {
    const rig = openSession();
    rig.feed(request(1, "/never"));
    rig.transport.destroy();
    await settle();
    assert.equal(rig.closedConnections.length, 1);
    assert.equal(rig.session.streamCount, 0);
  });

  test("a complete response is not followed by anything on its stream", () => {
    const rig = openSession();
    rig.feed(request(1, "/hello"));
    const frames = rig.transport.log.frames.filter((f) => f.stream === 1);
    assert.deepEqual(
      frames.map((f) => [f.type, f.flags]),
      [
        [HEADERS, END_HEADERS],
        [DATA, END_STREAM],
      ],
    );
  });
});
