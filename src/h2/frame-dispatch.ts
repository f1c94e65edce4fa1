// Each frame a client sends, by its type (RFC 9113 §6): the rules every frame must keep (SETTINGS
// first, nothing inside a field block, the right stream and size), the control frames answered here
// (SETTINGS, PING, PRIORITY, WINDOW_UPDATE, RST_STREAM, GOAWAY), the stream frames handed to
// stream-intake.ts, and the frames that cost the server without asking for anything counted by the
// flood guard. Errors are values for the session to act on. Not here: cutting frames
// (frame-reader.ts), the connection's life (session.ts).

import type { Buffer } from "node:buffer";
import { loopNow } from "../common/clock.ts";
import { connectionError, type H2Error, streamError } from "./errors.ts";
import {
  FLAG_ACK,
  FLOW_CONTROL_ERROR,
  FRAME_SIZE_ERROR,
  MAX_WINDOW,
  PROTOCOL_ERROR,
  pingAckFrame,
  read31,
  SETTINGS_ACK,
  T_CONTINUATION,
  T_DATA,
  T_GOAWAY,
  T_HEADERS,
  T_PING,
  T_PRIORITY,
  T_PUSH_PROMISE,
  T_RST_STREAM,
  T_SETTINGS,
  T_WINDOW_UPDATE,
} from "./frames.ts";
import { calm, type FloodGuard } from "./guard.ts";
import type { Sender } from "./sender.ts";
import { type PeerSettings, readSettings } from "./settings.ts";
import type { StreamHost } from "./stream-host.ts";
import type { StreamIntake } from "./stream-intake.ts";
import type { StreamTable } from "./stream-table.ts";

export class FrameDispatch {
  readonly #host: StreamHost;
  readonly #intake: StreamIntake;
  readonly #streams: StreamTable;
  readonly #sender: Sender;
  readonly #guard: FloodGuard;
  readonly #peer: PeerSettings;
  /** The client sent GOAWAY. */
  readonly #peerGoaway: () => void;
  #opened = false;

  constructor(
    host: StreamHost,
    intake: StreamIntake,
    streams: StreamTable,
    sender: Sender,
    guard: FloodGuard,
    peer: PeerSettings,
    peerGoaway: () => void,
  ) {
    this.#host = host;
    this.#intake = intake;
    this.#streams = streams;
    this.#sender = sender;
    this.#guard = guard;
    this.#peer = peer;
    this.#peerGoaway = peerGoaway;
  }

  /** The client's SETTINGS frame followed its preface (RFC 9113 §3.4): the connection is open. */
  get opened(): boolean {
    return this.#opened;
  }

  frame(buf: Buffer, start: number, end: number, type: number, flags: number, id: number): H2Error | null {
    if (this.#intake.blocks.stream !== 0 && type !== T_CONTINUATION)
      return connectionError(PROTOCOL_ERROR, "frame inside a field block");
    if (!this.#opened) {
      if (type !== T_SETTINGS || (flags & FLAG_ACK) !== 0)
        return connectionError(PROTOCOL_ERROR, "the preface's first frame is not SETTINGS");
      this.#opened = true;
    }
    switch (type) {
      case T_DATA:
        return this.#intake.data(buf, start, end, flags, id);
      case T_HEADERS:
        return this.#intake.headers(buf, start, end, flags, id);
      case T_CONTINUATION:
        return this.#intake.continuation(buf, start, end, flags, id);
      case T_SETTINGS:
        return this.#settings(buf, start, end, flags, id);
      case T_WINDOW_UPDATE:
        return this.#windowUpdate(buf, start, end, id);
      case T_RST_STREAM:
        return this.#rstStream(start, end, id);
      case T_PING:
        if (id !== 0) return connectionError(PROTOCOL_ERROR, "PING on a stream");
        if (end - start !== 8) return connectionError(FRAME_SIZE_ERROR, "PING of the wrong size");
        if (!this.#cheap()) return calm("PING flood");
        if ((flags & FLAG_ACK) === 0) this.#sender.raw(pingAckFrame(buf, start));
        return null;
      case T_PRIORITY:
        if (id === 0) return connectionError(PROTOCOL_ERROR, "PRIORITY on stream 0");
        if (end - start !== 5) return streamError(FRAME_SIZE_ERROR, id, "PRIORITY of the wrong size");
        if (!this.#cheap()) return calm("PRIORITY flood");
        if (read31(buf, start) === id) return streamError(PROTOCOL_ERROR, id, "stream depends on itself");
        return null;
      case T_GOAWAY:
        if (id !== 0) return connectionError(PROTOCOL_ERROR, "GOAWAY on a stream");
        if (end - start < 8) return connectionError(FRAME_SIZE_ERROR, "GOAWAY too short");
        this.#peerGoaway();
        return null;
      case T_PUSH_PROMISE:
        return connectionError(PROTOCOL_ERROR, "PUSH_PROMISE from a client");
      default:
        // RFC 9113 §4.1: unknown frame types are ignored — but they are counted.
        return this.#cheap() ? null : calm("flood of unknown frames");
    }
  }

  #settings(buf: Buffer, start: number, end: number, flags: number, id: number): H2Error | null {
    if (id !== 0) return connectionError(PROTOCOL_ERROR, "SETTINGS on a stream");
    if ((flags & FLAG_ACK) !== 0) {
      return end === start ? null : connectionError(FRAME_SIZE_ERROR, "SETTINGS ACK with a payload");
    }
    if (!this.#cheap()) return calm("SETTINGS flood");
    const peer = this.#peer;
    const window = peer.initialWindow;
    const error = readSettings(buf, start, end, peer);
    if (error !== null) return error;
    this.#sender.maxFrame = peer.maxFrame;
    // RFC 9113 §6.9.2: every open stream's window moves by the difference.
    const delta = peer.initialWindow - window;
    if (delta !== 0) {
      if (!this.#sender.adjustWindows(this.#streams.values(), delta))
        return connectionError(FLOW_CONTROL_ERROR, "a stream window overflowed");
      if (delta > 0) this.#sender.resume();
    }
    this.#sender.raw(SETTINGS_ACK);
    return null;
  }

  #windowUpdate(buf: Buffer, start: number, end: number, id: number): H2Error | null {
    if (end - start !== 4) return connectionError(FRAME_SIZE_ERROR, "WINDOW_UPDATE of the wrong size");
    const increment = read31(buf, start);
    const sender = this.#sender;
    if (id === 0) {
      if (increment === 0) return connectionError(PROTOCOL_ERROR, "WINDOW_UPDATE of 0");
      sender.connWindow += increment;
      if (sender.connWindow > MAX_WINDOW) return connectionError(FLOW_CONTROL_ERROR, "connection window overflow");
      sender.resume();
      return null;
    }
    if (id > this.#streams.lastStream) return connectionError(PROTOCOL_ERROR, "WINDOW_UPDATE on an idle stream");
    const stream = this.#streams.get(id);
    if (stream === undefined || stream.reset) return this.#cheap() ? null : calm("WINDOW_UPDATE flood");
    if (increment === 0) return streamError(PROTOCOL_ERROR, id, "WINDOW_UPDATE of 0");
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) return streamError(FLOW_CONTROL_ERROR, id, "stream window overflow");
    if (stream.queued > 0 || stream.waiting) sender.pump(stream);
    return null;
  }

  #rstStream(start: number, end: number, id: number): H2Error | null {
    if (id === 0) return connectionError(PROTOCOL_ERROR, "RST_STREAM on stream 0");
    if (end - start !== 4) return connectionError(FRAME_SIZE_ERROR, "RST_STREAM of the wrong size");
    if (id > this.#streams.lastStream) return connectionError(PROTOCOL_ERROR, "RST_STREAM on an idle stream");
    // Rapid reset (CVE-2023-44487): every reset counts, whether or not the response was done.
    if (!this.#guard.reset(loopNow())) return calm("rapid reset");
    const stream = this.#streams.get(id);
    if (stream === undefined || stream.reset) return null;
    stream.closeByReset(true);
    this.#streams.recent.closed(id);
    this.#host.streamDone(stream);
    return null;
  }

  #cheap(): boolean {
    return this.#guard.cheapFrame(loopNow());
  }
}
