// The frame rules of RFC 9113 a server must enforce, through an in-process session: the preface, frame
// sizes, each control frame, padding, frames a client may not send.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Buffer } from "node:buffer";
import {
  DATA,
  END_HEADERS,
  END_STREAM,
  encodeFields,
  frame,
  headers,
  PADDED,
  PING,
  ping,
  PREFACE,
  PRIORITY_FLAG,
  priority,
  request,
  requestFields,
  SETTINGS,
  settings,
  settingsAck,
  WINDOW_UPDATE,
} from "../helpers/h2.ts";
import { openSession } from "../helpers/h2-session.ts";

const PROTOCOL_ERROR = 0x1;
const FLOW_CONTROL_ERROR = 0x3;
const FRAME_SIZE_ERROR = 0x6;

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
