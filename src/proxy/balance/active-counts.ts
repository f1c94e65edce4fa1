// Active requests (or TCP streams) per upstream as the load-aware policies read them: one row of
// counts per worker thread, each thread adding to its own row only, readers summing the rows of the
// live threads. A thread that dies with requests in flight so takes its counts with it instead of
// leaving them behind for good. Not here: where the table lives (runtime/shared-memory.ts).

/** A table of per-thread rows, typically over SharedArrayBuffers; touched only through Atomics. */
export interface CountRows {
  /** Int32 table: row r's slot s is at r * stride + s. */
  readonly table: Int32Array;
  readonly stride: number;
  /** This thread's row. */
  readonly row: number;
  /** Int32: [rows worth scanning, then one flag per row, non-zero while that row's thread lives]. */
  readonly live: Int32Array;
}

export class ActiveCounts {
  readonly #table: Int32Array;
  readonly #stride: number;
  readonly #offset: number;
  /** Index of this thread's count of upstream 0. */
  readonly #own: number;
  readonly #live: Int32Array | null;

  /** `count` upstreams at slots [offset, offset + count) of every row; without rows, counts local to this thread. */
  constructor(count: number, rows?: CountRows, offset = 0) {
    if (rows === undefined) {
      this.#table = new Int32Array(count);
      this.#stride = count;
      this.#offset = 0;
      this.#own = 0;
      this.#live = null;
      return;
    }
    if (offset + count > rows.stride) throw new RangeError("upstream counts do not fit in a row");
    this.#table = rows.table;
    this.#stride = rows.stride;
    this.#offset = offset;
    this.#own = rows.row * rows.stride + offset;
    this.#live = rows.live;
  }

  /** One more request on upstream `index`, counted in this thread's row. */
  add(index: number): void {
    Atomics.add(this.#table, this.#own + index, 1);
  }

  /** One request fewer on upstream `index` (only ever after this thread's own add). */
  sub(index: number): void {
    Atomics.sub(this.#table, this.#own + index, 1);
  }

  /** This thread's own count for upstream `index`. */
  own(index: number): number {
    return Atomics.load(this.#table, this.#own + index);
  }

  /** Active requests on upstream `index` over all live threads. */
  load(index: number): number {
    const live = this.#live;
    if (live === null) return Atomics.load(this.#table, this.#own + index);
    const rows = Atomics.load(live, 0);
    let total = 0;
    for (let r = 0; r < rows; r++) {
      if (Atomics.load(live, 1 + r) !== 0) total += Atomics.load(this.#table, r * this.#stride + this.#offset + index);
    }
    return total;
  }
}
