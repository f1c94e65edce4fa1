// Abuse accounting for one HTTP/2 connection: the known floods cost a client its connection before
// they cost the server much. Two scores, each decaying by half every DECAY_MS so that ordinary use
// never adds up:
// - resets: RST_STREAM frames from the client (rapid reset, CVE-2023-44487: streams opened and
//   cancelled at once escape the concurrency limit while the server works on each);
// - cheap frames: frames that make the server work without asking for anything — PING, SETTINGS,
//   PRIORITY, WINDOW_UPDATE on closed streams, empty DATA and empty CONTINUATION frames, unknown
//   types (CVE-2019-9512, -9515, -9518 and kin).
// Each completed response forgives a few cheap frames: a client doing real work may also ping. Past a
// limit the session answers GOAWAY ENHANCE_YOUR_CALM and closes. Pure: the caller passes the time.

import { connectionError, type H2Error } from "./errors.ts";
import { ENHANCE_YOUR_CALM } from "./frames.ts";

/** Half-life of both scores. */
const DECAY_MS = 1000;
/** Cheap frames a completed response earns back. */
const RESPONSE_CREDIT = 4;

export interface GuardLimits {
  /** Client resets allowed within about one half-life before the connection is cut. */
  readonly maxResets: number;
  /** Cheap frames allowed within about one half-life. */
  readonly maxCheapFrames: number;
}

export const DEFAULT_GUARD_LIMITS: GuardLimits = { maxResets: 200, maxCheapFrames: 1000 };

/** The connection error for a client past an allowance: GOAWAY ENHANCE_YOUR_CALM. */
export function calm(why: string): H2Error {
  return connectionError(ENHANCE_YOUR_CALM, why);
}

export class FloodGuard {
  readonly #limits: GuardLimits;
  #resets = 0;
  #cheap = 0;
  #since = 0;

  constructor(limits: GuardLimits, now: number) {
    this.#limits = limits;
    this.#since = now;
  }

  /** A reset from the client; false when the connection has used up its allowance. */
  reset(now: number): boolean {
    this.#decay(now);
    return ++this.#resets <= this.#limits.maxResets;
  }

  /** A frame that asks for nothing; false when the connection has used up its allowance. */
  cheapFrame(now: number): boolean {
    this.#decay(now);
    return ++this.#cheap <= this.#limits.maxCheapFrames;
  }

  responded(): void {
    this.#cheap = Math.max(0, this.#cheap - RESPONSE_CREDIT);
  }

  #decay(now: number): void {
    const elapsed = now - this.#since;
    if (elapsed < DECAY_MS) return;
    const halvings = Math.min(30, Math.floor(elapsed / DECAY_MS));
    this.#resets = Math.floor(this.#resets / 2 ** halvings);
    this.#cheap = Math.floor(this.#cheap / 2 ** halvings);
    this.#since += halvings * DECAY_MS;
  }
}
