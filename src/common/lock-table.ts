// Reader–writer locks and version counters for keys (URIs), kept in shared Int32Arrays so every
// worker thread sees the same locks. Keys hash onto slots; acquiring never blocks an event loop:
// the uncontended case is synchronous, a contended one waits with Atomics.waitAsync.
// Writers have priority over newly arriving readers so a stream of reads cannot starve a write.

const STATE = 0; // > 0: that many readers; -1: one writer; 0: free
const WAITING_WRITERS = 1;

export class LockTable {
  /** Two Int32 per slot: state and waiting writers. */
  readonly #locks: Int32Array;
  /** One Int32 version per slot. */
  readonly #versions: Int32Array;
  readonly #mask: number;

  constructor(locks: Int32Array, versions: Int32Array) {
    if (versions.length & (versions.length - 1) || locks.length !== versions.length * 2) {
      throw new Error("lock table sizes must be a power of two, two lock words per version");
    }
    this.#locks = locks;
    this.#versions = versions;
    this.#mask = versions.length - 1;
  }

  static local(slots = 1024): LockTable {
    return new LockTable(
      new Int32Array(new SharedArrayBuffer(slots * 8)),
      new Int32Array(new SharedArrayBuffer(slots * 4)),
    );
  }

  /** The slot of a key (FNV-1a). */
  slotOf(key: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) {
      h ^= key.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return (h >>> 0) & this.#mask;
  }

  version(slot: number): number {
    return Atomics.load(this.#versions, slot);
  }

  /** Bumps a slot's version; call while holding its write lock. */
  bump(slot: number): number {
    return Atomics.add(this.#versions, slot, 1) + 1;
  }

  /** Takes the shared lock at once if possible. */
  tryRead(slot: number): boolean {
    const locks = this.#locks;
    const i = slot * 2;
    if (Atomics.load(locks, i + WAITING_WRITERS) !== 0) return false;
    const state = Atomics.load(locks, i + STATE);
    return state >= 0 && Atomics.compareExchange(locks, i + STATE, state, state + 1) === state;
  }

  /** Takes the shared lock, waiting (without blocking the thread) while a writer holds or awaits it. */
  read(slot: number): Promise<void> | undefined {
    if (this.tryRead(slot)) return undefined;
    return this.#readSlow(slot);
  }

  async #readSlow(slot: number): Promise<void> {
    const locks = this.#locks;
    const i = slot * 2;
    while (true) {
      const writers = Atomics.load(locks, i + WAITING_WRITERS);
      if (writers !== 0) {
        await Atomics.waitAsync(locks, i + WAITING_WRITERS, writers).value;
        continue;
      }
      const state = Atomics.load(locks, i + STATE);
      if (state >= 0) {
        if (Atomics.compareExchange(locks, i + STATE, state, state + 1) === state) return;
        continue;
      }
      await Atomics.waitAsync(locks, i + STATE, state).value;
    }
  }

  /**
   * Runs before any lock is released: whatever records the order of operations (the audit log) must
   * be on file before another thread can take the lock and act on the same URI.
   */
  beforeRelease: (() => void) | null = null;

  releaseRead(slot: number): void {
    this.beforeRelease?.();
    const i = slot * 2;
    if (Atomics.sub(this.#locks, i + STATE, 1) === 1) Atomics.notify(this.#locks, i + STATE);
  }

  /** Takes the exclusive lock, waiting (without blocking the thread) for readers and writers to leave. */
  write(slot: number): Promise<void> | undefined {
    const locks = this.#locks;
    const i = slot * 2;
    if (Atomics.load(locks, i + WAITING_WRITERS) === 0 && Atomics.compareExchange(locks, i + STATE, 0, -1) === 0)
      return undefined;
    return this.#writeSlow(slot);
  }

  async #writeSlow(slot: number): Promise<void> {
    const locks = this.#locks;
    const i = slot * 2;
    Atomics.add(locks, i + WAITING_WRITERS, 1);
    try {
      while (true) {
        const state = Atomics.compareExchange(locks, i + STATE, 0, -1);
        if (state === 0) return;
        await Atomics.waitAsync(locks, i + STATE, state).value;
      }
    } finally {
      if (Atomics.sub(locks, i + WAITING_WRITERS, 1) === 1) Atomics.notify(locks, i + WAITING_WRITERS);
    }
  }

  releaseWrite(slot: number): void {
    this.beforeRelease?.();
    const i = slot * 2;
    Atomics.store(this.#locks, i + STATE, 0);
    Atomics.notify(this.#locks, i + STATE);
  }
}
