// Nothing a worker writes comes before the start-up banner. Workers' stdout and stderr streams
// (console output of an app, notices) are held in the main thread until the banner is out; the access
// log, which a worker writes itself with write(2), waits for the shared C_ANNOUNCED word before its
// first line (waitForBanner). The main thread's own start-up notices wait too (notice). Workers started
// after the banner (restarts, reloads) pass straight on.

import type { Readable, Writable } from "node:stream";
import type { Worker } from "node:worker_threads";
import { C_ANNOUNCED } from "./shared-memory.ts";

/**
 * Longest a worker's first log line waits for the banner: the other workers' start-up, normally well
 * under a second. Past it the line is written anyway: a log line is never lost to the wait.
 */
const BANNER_WAIT_MS = 10_000;

export class OutputGate {
  readonly #control: Int32Array;
  readonly #out: Writable;
  readonly #err: Writable;
  #open = false;
  #held: Worker[] = [];
  #heldNotices: Array<() => void> = [];

  constructor(control: Int32Array, out: Writable = process.stdout, err: Writable = process.stderr) {
    this.#control = control;
    this.#out = out;
    this.#err = err;
  }

  /** A worker spawned with `stdout: true, stderr: true`: its output is passed on once the gate is open. */
  attach(worker: Worker): void {
    if (this.#open) this.#forward(worker);
    else this.#held.push(worker);
  }

  /** A main-thread notice: written by `write` now once the banner is out, else when it is. */
  notice(line: string, write: (line: string) => void): void {
    if (this.#open) write(line);
    else this.#heldNotices.push(() => write(line));
  }

  /** The banner is out (or start-up failed): pass on what was held, and let workers log. */
  open(): void {
    if (this.#open) return;
    this.#open = true;
    for (const write of this.#heldNotices) write();
    this.#heldNotices = [];
    Atomics.store(this.#control, C_ANNOUNCED, 1);
    Atomics.notify(this.#control, C_ANNOUNCED);
    for (const worker of this.#held) this.#forward(worker);
    this.#held = [];
  }

  #forward(worker: Worker): void {
    pass(worker.stdout, this.#out);
    pass(worker.stderr, this.#err);
  }
}

/** Writes what the stream holds now (synchronously: an exit may follow), then whatever comes. */
function pass(from: Readable | null | undefined, to: Writable): void {
  if (from === null || from === undefined) return;
  for (let chunk = from.read() as Buffer | null; chunk !== null; chunk = from.read() as Buffer | null) to.write(chunk);
  // Not pipe(): with many threads, one pipe each would pile listeners onto process.stdout.
  from.on("data", (chunk: Buffer) => to.write(chunk));
}

/**
 * In a worker, before its first access-log line: waits until the banner is out. Blocks this thread,
 * at most BANNER_WAIT_MS and only while the others start — every later line passes at once.
 */
export function waitForBanner(control: Int32Array): void {
  if (Atomics.load(control, C_ANNOUNCED) === 0) Atomics.wait(control, C_ANNOUNCED, 0, BANNER_WAIT_MS);
}
