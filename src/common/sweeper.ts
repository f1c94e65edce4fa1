// Coarse deadlines for many objects with one periodic timer: each member keeps its own deadline in a
// plain field (cheap to move on every request) and one sweep per tick fires the expired ones.
// Not precise: a deadline fires up to one tick late, which is what connection timeouts need.

import { loopNow } from "./clock.ts";

export interface Sweepable {
  /** Milliseconds since the epoch after which onDeadline runs; 0 disarms. */
  deadline: number;
  onDeadline(nowMs: number): void;
}

export class Sweeper {
  readonly #members = new Set<Sweepable>();
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(tickMs = 250) {
    this.#tickMs = tickMs;
  }

  add(member: Sweepable): void {
    this.#members.add(member);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.sweep(loopNow()), this.#tickMs);
      this.#timer.unref();
    }
  }

  delete(member: Sweepable): void {
    this.#members.delete(member);
    if (this.#members.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  get size(): number {
    return this.#members.size;
  }

  /** Fires every member whose deadline has passed; a member may delete itself while being fired. */
  sweep(nowMs: number): void {
    for (const member of this.#members) {
      const deadline = member.deadline;
      if (deadline !== 0 && deadline <= nowMs) {
        member.deadline = 0;
        member.onDeadline(nowMs);
      }
    }
  }
}
