// Streams parts of an open file to a response: large positional reads, one buffer per read, a pause
// while the socket is backed up, and exactly one close of the descriptor however the exchange ends
// (finished, client gone, read error). Segments are byte ranges of the file or literal text between them.

import { Buffer } from "node:buffer";
import fs from "node:fs";
import type { ByteRange } from "../http/filters/range.ts";
import type { Request } from "../http/request.ts";
import type { Response } from "../http/response.ts";

/** A piece of a response body: bytes [start, end] of the file, or literal latin1 text (multipart heads). */
export type Segment = ByteRange | string;

const CHUNK_BYTES = 256 * 1024;

/** Opens a file for reading; resolves with its descriptor or rejects with the file system error. */
export function openForReading(file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // Same flags as lookup.ts's OPEN_FLAGS (no symlink or FIFO swapped in since the lookup).
    fs.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW, (error, fd) =>
      error === null ? resolve(fd) : reject(error),
    );
  });
}

/** Closes a descriptor, ignoring errors (there is nothing useful to do about them). */
export function closeQuietly(fd: number): void {
  fs.close(fd, ignore);
}

function ignore(): void {}

/**
 * Writes `segments` from `fd` to `res` (whose head is already set with the exact length) and ends it.
 * Takes ownership of `fd`.
 */
export function streamSegments(req: Request, res: Response, fd: number, segments: readonly Segment[]): void {
  new FileStream(req, res, fd, segments).start();
}

class FileStream {
  readonly #res: Response;
  readonly #req: Request;
  readonly #fd: number;
  readonly #segments: readonly Segment[];
  #index = 0;
  #position = 0;
  #remaining = 0;
  #reading = false;
  #aborted = false;
  #closed = false;
  #spare: Buffer | null = null;

  constructor(req: Request, res: Response, fd: number, segments: readonly Segment[]) {
    this.#req = req;
    this.#res = res;
    this.#fd = fd;
    this.#segments = segments;
  }

  start(): void {
    this.#req.onAbort(this.#onAbort);
    this.#pump();
  }

  readonly #pump = (): void => {
    if (this.#closed) return;
    if (this.#res.finished) {
      // Abandoned elsewhere (a send timeout): writing now would throw inside an fs callback.
      this.#close();
      return;
    }
    for (;;) {
      if (this.#remaining > 0) {
        this.#read();
        return;
      }
      if (this.#index === this.#segments.length) {
        this.#close();
        this.#res.end();
        return;
      }
      const segment = this.#segments[this.#index++]!;
      if (typeof segment === "string") {
        if (!this.#res.write(Buffer.from(segment, "latin1"))) {
          this.#res.onDrain(this.#pump);
          return;
        }
      } else {
        this.#position = segment.start;
        this.#remaining = segment.end - segment.start + 1;
      }
    }
  };

  #read(): void {
    // The protocol may say how much it can send now (HTTP/2's windows): no more is read, so a client
    // that keeps its window shut costs the server one small buffer, not a chunk per stream.
    const length = Math.min(CHUNK_BYTES, this.#remaining, this.#res.writableSize);
    // The last buffer is read into again once the socket has handed all of it to the kernel; while a
    // write still holds it, a fresh one. Reuse saves the page faults of a new 256 KiB allocation per
    // read (a 100 MiB file: 25,600 pages).
    let buffer = this.#spare;
    this.#spare = null;
    if (buffer === null || buffer.length < length || !this.#res.flushed) buffer = Buffer.allocUnsafe(length);
    this.#reading = true;
    fs.read(this.#fd, buffer, 0, length, this.#position, this.#onRead);
  }

  readonly #onRead = (error: NodeJS.ErrnoException | null, bytesRead: number, buffer: Buffer): void => {
    this.#reading = false;
    if (this.#aborted || this.#res.finished) {
      this.#close();
      return;
    }
    if (error !== null || bytesRead === 0) {
      // The file shrank or failed under us: the promised length cannot be met, so drop the connection.
      this.#close();
      this.#res.abort();
      return;
    }
    this.#position += bytesRead;
    this.#remaining -= bytesRead;
    this.#spare = buffer;
    const ok = this.#res.write(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
    if (ok) this.#pump();
    else this.#res.onDrain(this.#pump);
  };

  readonly #onAbort = (): void => {
    this.#aborted = true;
    if (!this.#reading) this.#close();
  };

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#fd);
  }
}
