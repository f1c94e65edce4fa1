// The stream ids of one HTTP/2 connection (RFC 9113 §5.1, §5.1.1): the streams open now, the highest
// id the client opened, the last id our GOAWAY named, and the streams that ended lately, which say
// what a late frame for a stream that is not open means. Not here: opening streams (stream-intake.ts),
// what a stream does (stream.ts).

import { loopNow } from "../common/clock.ts";
import type { Response } from "../http/response.ts";
import { connectionError, type H2Error } from "./errors.ts";
import { PROTOCOL_ERROR, STREAM_CLOSED } from "./frames.ts";
import { RecentStreams } from "./recent-streams.ts";
import type { H2Stream } from "./stream.ts";

export class StreamTable {
  readonly #open = new Map<number, H2Stream>();
  readonly recent = new RecentStreams();
  /** The highest stream id the client opened. */
  lastStream = 0;
  /** The last stream id our GOAWAY named; streams above it are not processed. */
  goawayLast = 0x7fff_ffff;
  /** loopNow() of the moment the last open stream ended (the keep-alive timeout runs from here). */
  idleSince: number;

  constructor(now: number) {
    this.idleSince = now;
  }

  get size(): number {
    return this.#open.size;
  }

  get(id: number): H2Stream | undefined {
    return this.#open.get(id);
  }

  values(): IterableIterator<H2Stream> {
    return this.#open.values();
  }

  /** The stream outlives its HEADERS frame: later frames look it up. */
  list(stream: H2Stream): void {
    stream.listed = true;
    this.#open.set(stream.id, stream);
  }

  /** A stream answered within its HEADERS frame was never listed: the connection may be idle again. */
  unlisted(): void {
    if (this.#open.size === 0) this.idleSince = loopNow();
  }

  /** The stream is done; true when that left no stream open. */
  forget(stream: H2Stream): boolean {
    if (stream.forgotten) return false;
    stream.forgotten = true;
    if (!stream.reset) this.recent.closed(stream.id);
    if (!stream.listed) return false;
    stream.listed = false;
    this.#open.delete(stream.id);
    if (this.#open.size !== 0) return false;
    this.idleSince = loopNow();
    return true;
  }

  /** A frame for stream `id` (at most the highest opened) that is not open: what it means. */
  notOpen(id: number, type: string): H2Error | null {
    if (this.recent.wasReset(id)) return null;
    if (this.recent.wasClosed(id)) return connectionError(STREAM_CLOSED, `${type} on a closed stream`);
    return connectionError(PROTOCOL_ERROR, `${type} on a stream that was never opened`);
  }

  /** The connection is over: every open stream ends as reset (`peer`: by the client's doing). */
  closeAll(peer: boolean): void {
    for (const stream of this.#open.values()) stream.closeByReset(peer);
    this.#open.clear();
  }

  /** Every open stream's response under way. */
  collectResponses(out: Response[]): void {
    for (const stream of this.#open.values()) if (stream.response !== null) out.push(stream.response);
  }
}
