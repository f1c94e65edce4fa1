// An HTTP/2 session in process, on a transport that records what the session writes: tests feed it
// raw frames and read the frames it answers with, without sockets or timing. A handler that knows a
// few paths answers the requests. Not a test file itself.

import { Buffer } from "node:buffer";
import { Sweeper } from "../../src/common/sweeper.ts";
import type { ConnectionContext, ServerConnection } from "../../src/http/connection-context.ts";
import type { EngineOptions } from "../../src/http/engine-options.ts";
import type { Handler } from "../../src/http/handler.ts";
import type { BodySink, Request } from "../../src/http/request.ts";
import { PreparedResponse, type Response } from "../../src/http/response.ts";
import type { TransportOwner } from "../../src/http/transport.ts";
import { DEFAULT_H2_OPTIONS, type H2Options } from "../../src/h2/options.ts";
import { H2Session, type SessionTransport } from "../../src/h2/session.ts";
import { TEST_ENGINE_OPTIONS } from "./engine-options.ts";
import { FrameLog, PREFACE, settings } from "./h2.ts";

export class RecordingTransport implements SessionTransport {
  owner: TransportOwner | null = null;
  readonly log = new FrameLog();
  ended = false;
  destroyed = false;
  paused = false;
  needDrain = false;
  flushed = true;
  written = 0;
  readonly remoteAddress = "127.0.0.1";
  readonly remotePort = 40000;
  readonly localPort = 8080;

  start(owner: TransportOwner): void {
    this.owner = owner;
  }

  write(data: Buffer | string): boolean {
    const bytes = typeof data === "string" ? Buffer.from(data, "latin1") : Buffer.from(data);
    this.written += bytes.length;
    this.log.push(bytes);
    return !this.needDrain;
  }

  cork(): void {}
  uncork(): void {}

  end(callback?: () => void): void {
    this.ended = true;
    callback?.();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.log.close();
    queueMicrotask(() => this.owner?.closed());
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }
}

/** What the test handler saw of request bodies, by path. */
export interface BodyRecord {
  chunks: number;
  bytes: number;
  trailers: readonly string[];
  error: string;
  ended: boolean;
}

export const PREPARED = new PreparedResponse(200, ["Content-Type", "text/plain"], Buffer.from("prepared body\n"));

/**
 * /sized?n=N → N bytes in writes of res.writableSize, counted in `bodies`; /hello → 200 "hello"; /fields → what the request says (method, target, protocol, host, cookie, count
 * of fields); /prepared → a prepared response; /stream?n=N → N bytes in 16 KiB writes
 * with backpressure; /echo → reads the body, answers its length; /hold → reads the body with a sink
 * that never takes more than its first chunk; /never → no answer; /trailers → a body then trailers;
 * /short → announces 10 bytes and sends 3.
 */
export function testHandler(bodies: Map<string, BodyRecord>): Handler {
  return {
    handle(req: Request, res: Response): boolean {
      const path = req.path;
      if (path === "/hello") res.send(200, ["Content-Type", "text/plain"], "hello");
      else if (path === "/fields")
        res.send(
          200,
          [],
          `${req.method} ${req.target} ${req.protocol}|${req.host}|${req.header("cookie")}|${req.headerCount}`,
        );
      else if (path === "/prepared") res.sendPrepared(PREPARED);
      else if (path === "/stream") streamBytes(res, Number(new URLSearchParams(req.query.slice(1)).get("n") ?? 0));
      else if (path === "/sized") {
        const record: BodyRecord = { chunks: 0, bytes: 0, trailers: [], error: "", ended: false };
        bodies.set(`${path}#${bodies.size}`, record);
        sizedBytes(res, Number(new URLSearchParams(req.query.slice(1)).get("n") ?? 0), record);
      } else if (path === "/echo" || path === "/hold") {
        const record: BodyRecord = { chunks: 0, bytes: 0, trailers: [], error: "", ended: false };
        bodies.set(`${path}#${bodies.size}`, record);
        const hold = path === "/hold";
        const sink: BodySink = {
          data(chunk) {
            record.chunks++;
            record.bytes += chunk.length;
            return !hold;
          },
          end(trailers) {
            record.ended = true;
            record.trailers = trailers;
            res.send(200, [], `${record.bytes} bytes\n`);
          },
          error(error) {
            record.error = error.message;
          },
        };
        req.readBody(sink);
      } else if (path === "/never") return true;
      else if (path === "/trailers") {
        res.writeHead(200, ["Trailer", "x-sum"]);
        res.write(Buffer.from("abc"));
        res.end(undefined, ["X-Sum: 6"]);
      } else if (path === "/short") {
        res.writeHead(200, [], 10);
        res.end(Buffer.from("abc"));
      } else return false;
      return true;
    },
  };
}

/** Writes n bytes in chunks sized as the protocol suggests (as a file is streamed), counting them. */
function sizedBytes(res: Response, n: number, record: BodyRecord): void {
  res.writeHead(200, [], n);
  const pump = (): void => {
    while (record.bytes < n) {
      const size = Math.min(res.writableSize, n - record.bytes, 256 * 1024);
      record.bytes += size;
      record.chunks++;
      if (record.bytes === n) {
        res.end(Buffer.alloc(size, 0x62));
        return;
      }
      if (!res.write(Buffer.alloc(size, 0x62))) {
        res.onDrain(pump);
        return;
      }
    }
  };
  pump();
}

function streamBytes(res: Response, n: number): void {
  res.writeHead(200, ["Content-Type", "application/octet-stream"], n);
  let sent = 0;
  const pump = (): void => {
    while (sent < n) {
      const size = Math.min(16 * 1024, n - sent);
      const chunk = Buffer.alloc(size, 0x61 + (sent % 26));
      sent += size;
      if (sent === n) {
        res.end(chunk);
        return;
      }
      if (!res.write(chunk)) {
        res.onDrain(pump);
        return;
      }
    }
  };
  pump();
}

export interface SessionRig {
  readonly session: H2Session;
  readonly transport: RecordingTransport;
  readonly bodies: Map<string, BodyRecord>;
  readonly closedConnections: ServerConnection[];
  /** Feeds bytes as one read. */
  feed(...frames: Buffer[]): void;
}

/** A session with the client's preface and SETTINGS already received (unless `preface` is false). */
export function openSession(
  options: {
    h2?: Partial<H2Options>;
    engine?: Partial<EngineOptions>;
    preface?: boolean;
    clientSettings?: Buffer;
  } = {},
): SessionRig {
  const transport = new RecordingTransport();
  const bodies = new Map<string, BodyRecord>();
  const closedConnections: ServerConnection[] = [];
  const ctx: ConnectionContext = {
    options: { ...TEST_ENGINE_OPTIONS, ...options.engine },
    handler: testHandler(bodies),
    sweeper: new Sweeper(60_000),
    closing: false,
    connectionClosed: (c) => void closedConnections.push(c),
  };
  const session = new H2Session(transport, ctx, { ...DEFAULT_H2_OPTIONS, ...options.h2 });
  const rig: SessionRig = {
    session,
    transport,
    bodies,
    closedConnections,
    feed: (...frames) => session.received(Buffer.concat(frames)),
  };
  if (options.preface !== false) rig.feed(PREFACE, options.clientSettings ?? settings());
  return rig;
}

/** Lets microtask-scheduled flushes run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
