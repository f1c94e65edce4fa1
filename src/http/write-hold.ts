// Writes held to the end of the event-loop turn, for every transport of the thread whatever its kind:
// something that must reach its destination before any response bytes of this turn do (the access
// log's lines, written as one batch) calls holdWrites; every transport that writes meanwhile keeps
// its bytes until the turn's I/O callbacks are done, then the `before` callbacks run, then the held
// bytes go out. A response is delayed by at most one turn.
// The turn's end is the clock's (common/clock.ts atTurnEnd): one setImmediate per turn for both.
// Not here: how a transport keeps its bytes meanwhile (uv-transport.ts, net-transport.ts).

import { armTurnEnd, atTurnEnd } from "../common/clock.ts";

/** A transport that kept bytes back for the hold. */
export interface HeldWriter {
  /** The turn is over: held bytes go out (and a deferred end or close follows). */
  releaseHold(): void;
}

/** True from holdWrites() until the end of the turn: transports keep what they are given. */
export let holding = false;
let held: HeldWriter[] = [];
let beforeRelease: Array<() => void> = [];

/** Holds every transport's writes until the end of this turn; `before` runs first then. */
export function holdWrites(before: () => void): void {
  if (!holding) {
    holding = true;
    armTurnEnd();
  }
  if (!beforeRelease.includes(before)) beforeRelease.push(before);
}

/** A transport started keeping bytes back: it hears releaseHold() at the end of the turn. */
export function joinHold(writer: HeldWriter): void {
  held.push(writer);
}

function releaseWrites(): void {
  if (!holding) return;
  holding = false;
  const callbacks = beforeRelease;
  beforeRelease = [];
  for (const c of callbacks) c();
  const writers = held;
  held = [];
  for (const w of writers) w.releaseHold();
}

atTurnEnd(releaseWrites);
