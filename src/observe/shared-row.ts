// One thread's row of counters in a shared BigInt64Array: counted in plain numbers on the request path
// and stored into shared memory once per event-loop turn, before any response bytes of that turn reach
// a socket (the engine's write hold, http/write-hold.ts). A BigInt store costs far more than a number
// increment, and a turn's requests mostly touch the same slots, so only the slots changed in the turn
// are stored, once each. Any thread reading the rows sees every response a client has received.

import { holdWrites } from "../http/transport.ts";

export class SharedRow {
  readonly #shared: BigInt64Array;
  readonly #base: number;
  readonly #local: Float64Array;
  /** Slots changed this turn (each listed once, flagged in #marked). */
  readonly #dirty: Int32Array;
  readonly #marked: Uint8Array;
  #dirtyCount = 0;
  readonly #flush = (): void => this.flush();

  /** The row of `slots` slots starting at `base`; a restarted thread continues what its predecessor stored. */
  constructor(shared: BigInt64Array, base: number, slots: number) {
    this.#shared = shared;
    this.#base = base;
    // Copied by the built-in (no JavaScript loop): the 6,500 slots of a thread's three rows made a loop
    // here hot enough for V8 to wake its optimising compiler at every start, whose code pages then stay
    // resident (~5 MiB). Plain reads suffice: the predecessor's stores precede this thread's start.
    this.#local = Float64Array.from(shared.subarray(base, base + slots), Number);
    this.#dirty = new Int32Array(slots);
    this.#marked = new Uint8Array(slots);
  }

  get(slot: number): number {
    return this.#local[slot]!;
  }

  add(slot: number, n: number): void {
    this.#local[slot] = this.#local[slot]! + n;
    this.#mark(slot);
  }

  set(slot: number, v: number): void {
    this.#local[slot] = v;
    this.#mark(slot);
  }

  /** Stores the slots changed since the last flush (the write hold calls it at the end of the turn). */
  flush(): void {
    const n = this.#dirtyCount;
    if (n === 0) return;
    this.#dirtyCount = 0;
    const shared = this.#shared;
    const base = this.#base;
    for (let i = 0; i < n; i++) {
      const slot = this.#dirty[i]!;
      this.#marked[slot] = 0;
      Atomics.store(shared, base + slot, BigInt(this.#local[slot]!));
    }
  }

  #mark(slot: number): void {
    if (this.#marked[slot] === 1) return;
    this.#marked[slot] = 1;
    this.#dirty[this.#dirtyCount++] = slot;
    if (this.#dirtyCount === 1) holdWrites(this.#flush);
  }
}
