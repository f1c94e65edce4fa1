// Size-based rotation of the access log file shared by every thread (--access-log-max-size, --access-log-keep):
// the threads add what they append to one shared size; the thread whose write crosses the limit takes
// the rotation lock, renames FILE → FILE.1 (FILE.1 → FILE.2 …, the oldest dropped) or, with dated
// names, FILE → FILE-20261204T184512Z (the oldest beyond `keep` removed), resets the size and bumps a
// generation; every thread reopens FILE when it sees a new generation before its next write.
// Lines a thread appends between the rename and its reopen land whole at the end of the rotated file:
// nothing is lost or torn. With gzip, the rotated file is compressed once no thread can still be
// appending to it (log-compress.ts). Not here: writing lines (access-log.ts).

import fs from "node:fs";
import path from "node:path";
import { LogCompressor } from "./log-compress.ts";

/** BigInt64 slots of the shared rotation state (runtime/shared-memory.ts allocates them). */
export const LOG_STATE_SLOTS = 5;
const L_SIZE = 0;
const L_GENERATION = 1;
/** The rotation lock: held while files are renamed (rotation, or a compressed file taking its place). */
const L_ROTATING = 2;
/** Threads between reading the generation and finishing their write (only counted with gzip). */
const L_WRITERS = 3;
/** 1 once a thread has cleaned what a previous process left (half-written .gz files). */
const L_CLEANED = 4;

export type RotationNaming = "numbered" | "dated";

export interface RotationOptions {
  /** Rotate when the file reaches this many bytes. */
  readonly maxBytes: number;
  /** Rotated files kept: FILE.1 (newest) … FILE.keep, or the `keep` newest dated ones. */
  readonly keep: number;
  /** Shared by all threads writing the same file. */
  readonly state: BigInt64Array;
  /** FILE.1, FILE.2… (default) or FILE-<UTC time>. */
  readonly naming?: RotationNaming;
  /** Compress rotated files to NAME.gz. */
  readonly gzip?: boolean;
  /** Wall-clock milliseconds for dated names (tests pass their own). */
  readonly now?: () => number;
}

/** What log-compress.ts needs to find a rotated file and take the rotation lock. */
export interface RotatedFiles {
  /** The rotated files, newest first (each name without ".gz"). */
  list(): string[];
  tryLock(): boolean;
  unlock(): void;
  /** True when no thread is between reading the generation and finishing its write. */
  isQuiet(): boolean;
}

export class LogRotation {
  readonly #path: string;
  readonly #options: RotationOptions;
  readonly #naming: RotationNaming;
  readonly #compressor: LogCompressor | null;
  #generation: bigint;

  constructor(file: string, options: RotationOptions) {
    this.#path = file;
    this.#options = options;
    this.#naming = options.naming ?? "numbered";
    this.#generation = Atomics.load(options.state, L_GENERATION);
    this.#compressor = options.gzip === true ? new LogCompressor(file, this.#files) : null;
    // The first thread of a process cleans up after a previous one that stopped mid-compression.
    if (this.#compressor !== null && Atomics.compareExchange(options.state, L_CLEANED, 0n, 1n) === 0n)
      this.#compressor.recover();
  }

  /** A thread opened the file: the first one tells the others how large it already is. */
  opened(fd: number): void {
    const size = fs.fstatSync(fd).size;
    if (size > 0) Atomics.compareExchange(this.#options.state, L_SIZE, 0n, BigInt(size));
  }

  /**
   * Before a write: true when another thread rotated since this one last wrote (reopen the path
   * before writing). With gzip the thread counts as writing until afterWrite().
   */
  beforeWrite(): boolean {
    const state = this.#options.state;
    if (this.#compressor !== null) Atomics.add(state, L_WRITERS, 1n);
    const generation = Atomics.load(state, L_GENERATION);
    if (generation === this.#generation) return false;
    this.#generation = generation;
    return true;
  }

  /** After a write of `bytes`: true when this thread rotated the file (reopen the path). */
  afterWrite(bytes: number): boolean {
    const state = this.#options.state;
    if (this.#compressor !== null) Atomics.sub(state, L_WRITERS, 1n);
    const size = Atomics.add(state, L_SIZE, BigInt(bytes)) + BigInt(bytes);
    if (size < BigInt(this.#options.maxBytes)) return false;
    if (Atomics.compareExchange(state, L_ROTATING, 0n, 1n) !== 0n) return false;
    let rotated: string | null = null;
    try {
      // Another thread may have rotated between our add and the lock: the size says so.
      if (Atomics.load(state, L_SIZE) < BigInt(this.#options.maxBytes)) return false;
      rotated = this.#naming === "dated" ? this.#rotateDated() : this.#rotateNumbered();
      Atomics.store(state, L_SIZE, 0n);
      this.#generation = Atomics.add(state, L_GENERATION, 1n) + 1n;
    } finally {
      Atomics.store(state, L_ROTATING, 0n);
    }
    if (rotated !== null) this.#compressor?.add(rotated);
    return true;
  }

  /** FILE.(keep-1) → FILE.keep … FILE → FILE.1, each with its .gz; the oldest dropped. Returns FILE.1. */
  #rotateNumbered(): string | null {
    const file = this.#path;
    const keep = this.#options.keep;
    removeQuietly(`${file}.${keep}`);
    removeQuietly(`${file}.${keep}.gz`);
    for (let i = keep - 1; i >= 1; i--) {
      renameQuietly(`${file}.${i}`, `${file}.${i + 1}`);
      renameQuietly(`${file}.${i}.gz`, `${file}.${i + 1}.gz`);
    }
    return renameQuietly(file, `${file}.1`) ? `${file}.1` : null;
  }

  /** FILE → FILE-<UTC time>[-N]; dated files beyond `keep` removed, oldest first. */
  #rotateDated(): string | null {
    const file = this.#path;
    const stamp = datedStamp((this.#options.now ?? Date.now)());
    // Within one second, a counter past the highest one there (the oldest may have been removed).
    let seq = -1;
    for (const f of datedFiles(file)) if (f.stamp === stamp) seq = Math.max(seq, f.seq);
    const name = seq < 0 ? `${file}-${stamp}` : `${file}-${stamp}-${seq + 1}`;
    if (!renameQuietly(file, name)) return null;
    const rotated = this.#files.list();
    for (const old of rotated.slice(this.#options.keep)) {
      removeQuietly(old);
      removeQuietly(`${old}.gz`);
    }
    return name;
  }

  readonly #files: RotatedFiles = {
    list: () =>
      this.#naming === "dated"
        ? datedFiles(this.#path).map((f) => f.name)
        : numberedFiles(this.#path, this.#options.keep),
    tryLock: () => Atomics.compareExchange(this.#options.state, L_ROTATING, 0n, 1n) === 0n,
    unlock: () => {
      Atomics.store(this.#options.state, L_ROTATING, 0n);
    },
    isQuiet: () => Atomics.load(this.#options.state, L_WRITERS) === 0n,
  };
}

/** "20261204T184512Z": ISO 8601 basic format in UTC, which sorts as it reads. */
export function datedStamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

/** FILE.1 … FILE.keep that exist (compressed or not), newest first, each named without ".gz". */
function numberedFiles(file: string, keep: number): string[] {
  const out: string[] = [];
  for (let i = 1; i <= keep; i++) {
    const name = `${file}.${i}`;
    if (fs.existsSync(name) || fs.existsSync(`${name}.gz`)) out.push(name);
  }
  return out;
}

const DATED = /^-(\d{8}T\d{6}Z)(?:-(\d+))?(?:\.gz)?$/;

interface DatedFile {
  /** Without ".gz". */
  readonly name: string;
  readonly stamp: string;
  /** The counter after the stamp; 0 for none. */
  readonly seq: number;
}

/** FILE-<stamp>[-N][.gz] in the file's directory, newest first, each once. */
function datedFiles(file: string): DatedFile[] {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const found = new Map<string, DatedFile>();
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return [];
  }
  for (const entry of entries) {
    if (!entry.startsWith(base)) continue;
    const m = DATED.exec(entry.slice(base.length));
    if (m === null) continue;
    const name = path.join(dir, entry.endsWith(".gz") ? entry.slice(0, -3) : entry);
    found.set(name, { name, stamp: m[1]!, seq: Number(m[2] ?? 0) });
  }
  return [...found.values()].sort((a, b) => (a.stamp === b.stamp ? b.seq - a.seq : a.stamp < b.stamp ? 1 : -1));
}

function renameQuietly(from: string, to: string): boolean {
  try {
    fs.renameSync(from, to);
    return true;
  } catch {
    // Fewer rotated files than `keep` so far, or removed from outside meanwhile (the reopen creates FILE).
    return false;
  }
}

function removeQuietly(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch {
    // Not there.
  }
}
