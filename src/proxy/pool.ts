// The keep-alive pool of one upstream in one worker: idle connections ready for the next request,
// bounded so an upstream never holds more than `max` idle sockets per thread. Most recently used
// first, so the warmest connection is reused and the cold ones age out on the idle timeout.

/** What the pool needs from a pooled connection. */
export interface Poolable {
  /** Closes the connection for good. */
  destroy(): void;
}

export class KeepAlivePool<T extends Poolable> {
  readonly #idle: T[] = [];
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#idle.length;
  }

  /** The most recently parked connection, or null. */
  take(): T | null {
    return this.#idle.pop() ?? null;
  }

  /** Keeps `conn` for reuse; false (and the caller closes it) when the pool is full. */
  park(conn: T): boolean {
    if (this.#idle.length >= this.#max) return false;
    this.#idle.push(conn);
    return true;
  }

  /** Forgets a connection that closed while idle. */
  remove(conn: T): void {
    const at = this.#idle.indexOf(conn);
    if (at !== -1) this.#idle.splice(at, 1);
  }

  /** Closes every idle connection (shutdown, or the upstream was ejected). */
  clear(): void {
    const idle = this.#idle.splice(0);
    for (const c of idle) c.destroy();
  }
}
