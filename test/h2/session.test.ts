// The HTTP/2 session in process: responses against the peer's windows, GOAWAY, the floods, and the
// connection's end, with requests through the same handlers as HTTP/1.1.

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
  PING,
  ping,
  priority,
  request,
  requestFields,
  rst,
  SETTINGS,
  settings,
  windowUpdate,
} from "../helpers/h2.ts";
import { openSession, settle } from "../helpers/h2-session.ts";

const CANCEL = 0x8;
const ENHANCE_YOUR_CALM = 0xb;
const INTERNAL_ERROR = 0x2;
const NO_ERROR = 0x0;

const S_INITIAL_WINDOW_SIZE = 0x4;
const S_MAX_FRAME_SIZE = 0x5;

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
