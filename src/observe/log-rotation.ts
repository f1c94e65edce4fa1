// Size-based rotation of the access log file shared by every thread (--access-log-max-size, --access-log-keep):
// the threads add what they append to one shared size; the thread whose write crosses the limit takes
// the rotation lock, renames FILE → FILE.1 (FILE.1 → FILE.2 …, the oldest dropped), resets the size and
// bumps a generation; every thread reopens FILE when it sees a new generation before its next write.
// Lines a thread appends between the rename and its reopen land whole at the end of FILE.1: nothing is
// lost or torn. Not here: writing lines (access-log.ts).

import fs from "node:fs";

/** BigInt64 slots of the shared rotation state (runtime/shared-memory.ts allocates them). */
export const LOG_STATE_SLOTS = 3;
const L_SIZE = 0;
const L_GENERATION = 1;
const L_ROTATING = 2;

export interface RotationOptions {
  /** Rotate when the file reaches this many bytes. */
  readonly maxBytes: number;
  /** Rotated files kept: FILE.1 (newest) … FILE.keep. */
  readonly keep: number;
  /** Shared by all threads writing the same file. */
  readonly state: BigInt64Array;
}

export class LogRotation {
  readonly #path: string;
  readonly #options: RotationOptions;
  #generation: bigint;

  constructor(path: string, options: RotationOptions) {
    this.#path = path;
    this.#options = options;
    this.#generation = Atomics.load(options.state, L_GENERATION);
  }

  /** A thread opened the file: the first one tells the others how large it already is. */
  opened(fd: number): void {
    const size = fs.fstatSync(fd).size;
    if (size > 0) Atomics.compareExchange(this.#options.state, L_SIZE, 0n, BigInt(size));
  }

  /** True when another thread rotated since this one last wrote: reopen the path before writing. */
  rotatedElsewhere(): boolean {
    const generation = Atomics.load(this.#options.state, L_GENERATION);
    if (generation === this.#generation) return false;
    this.#generation = generation;
    return true;
  }

  /** Counts `bytes` appended; true when this thread rotated the file (reopen the path). */
  appended(bytes: number): boolean {
    const state = this.#options.state;
    const size = Atomics.add(state, L_SIZE, BigInt(bytes)) + BigInt(bytes);
    if (size < BigInt(this.#options.maxBytes)) return false;
    if (Atomics.compareExchange(state, L_ROTATING, 0n, 1n) !== 0n) return false;
    try {
      // Another thread may have rotated between our add and the lock: the size says so.
      if (Atomics.load(state, L_SIZE) < BigInt(this.#options.maxBytes)) return false;
      this.#shift();
      Atomics.store(state, L_SIZE, 0n);
      this.#generation = Atomics.add(state, L_GENERATION, 1n) + 1n;
      return true;
    } finally {
      Atomics.store(state, L_ROTATING, 0n);
    }
  }

  /** FILE.(keep-1) → FILE.keep … FILE → FILE.1; a rename over FILE.keep drops the oldest. */
  #shift(): void {
    const path = this.#path;
    for (let i = this.#options.keep - 1; i >= 1; i--) {
      try {
        fs.renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      } catch {
        // Fewer rotated files than `keep` so far.
      }
    }
    try {
      fs.renameSync(path, `${path}.1`);
    } catch {
      // Removed from outside meanwhile: the reopen creates it again.
    }
  }
}
