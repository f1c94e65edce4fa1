// Temporary upload files (`.NAME.<tag>.portico-upload`): their names, which carry the identity of the
// process and thread writing them, and the sweep that removes those a stopped process left behind
// (kill -9, a crash, power loss) without ever touching one a live Portico sharing the root is writing.
// Not here: receiving the upload and renaming it into place (writes.ts).

import { Buffer } from "node:buffer";
import fs from "node:fs";
import * as fsa from "../common/fs-async.ts";
import path from "node:path";
import { threadId } from "node:worker_threads";

export const UPLOAD_SUFFIX = ".portico-upload";

/**
 * Who writes a temporary file. `host` names the kernel and PID namespace (boot id + namespace), so a
 * pid means something only to a process with the same `host`; `start` is the process's start time in
 * clock ticks since boot (/proc/PID/stat), so a reused pid is told apart from the writer.
 */
export interface UploadOwner {
  readonly pid: number;
  readonly thread: number;
  readonly start: string;
  readonly host: string;
}

/** This process, as written into the names of its temporary files. */
export const SELF: UploadOwner = readSelf();

/** A fresh temporary name beside `file`: `.NAME.<random>-<pid>-<thread>-<start>-<host>.portico-upload`. */
export function uploadTempName(file: string): string {
  const random = Math.floor(Math.random() * 0x1_0000_0000)
    .toString(16)
    .padStart(8, "0");
  const tag = `${random}-${SELF.pid}-${SELF.thread}-${SELF.start}-${SELF.host}`;
  return path.join(path.dirname(file), `.${path.basename(file).slice(0, 64)}.${tag}${UPLOAD_SUFFIX}`);
}

const NAME = /^\..+\.[0-9a-f]+(?:-(\d+)-(\d+)-([0-9a-z]+)-([0-9a-z]+))?\.portico-upload$/;

/**
 * Whether `name` is a temporary upload file, and who wrote it: null when it is not one, an owner
 * of pid 0 for a name without one (written by an older Portico).
 */
export function parseUploadName(name: string): UploadOwner | null {
  const m = NAME.exec(name);
  if (m === null) return null;
  if (m[1] === undefined) return UNKNOWN_OWNER;
  return { pid: Number(m[1]), thread: Number(m[2]), start: m[3]!, host: m[4]! };
}

const UNKNOWN_OWNER: UploadOwner = { pid: 0, thread: 0, start: "", host: "" };
/** The host tag of a process that cannot read other processes' start times (no /proc). */
const NO_HOST = "0";

export interface JudgeContext {
  readonly self: UploadOwner;
  /** Untouched this long, a file nobody can vouch for is abandoned (see UploadSweepOptions.staleMs). */
  readonly staleMs: number;
  /**
   * For this process's own files: whether the thread that wrote one still runs. Absent: they are
   * kept (only the supervisor, which knows every worker, judges them).
   */
  readonly isLiveThread?: (thread: number) => boolean;
  /** The start time of a process of this host, or null when no such process runs. */
  readonly startOf: (pid: number) => string | null;
}

/**
 * True when nobody can be writing the file any more. A writer of this host is asked directly (is
 * its process, same start time, still there?); for any other file — another host or container
 * sharing the root, an older name — only its age speaks: an upload silent for the body timeout is
 * aborted (408) and its file removed by the writer itself, so a file untouched for longer than
 * that (with a margin) has no live writer.
 */
export function isAbandoned(owner: UploadOwner, mtimeMs: number, nowMs: number, ctx: JudgeContext): boolean {
  const self = ctx.self;
  if (owner.pid === self.pid && owner.start === self.start && owner.host === self.host) {
    return ctx.isLiveThread === undefined ? false : !ctx.isLiveThread(owner.thread);
  }
  if (owner.pid !== 0 && self.host !== NO_HOST && owner.host === self.host) {
    const start = ctx.startOf(owner.pid);
    return start === null || start !== owner.start;
  }
  return nowMs - mtimeMs > ctx.staleMs;
}

export interface UploadSweepOptions {
  /** Walk directories whose name starts with "." too (writes go there only with --dotfiles allow). */
  readonly dotfiles: boolean;
  /** How long a file whose writer cannot be asked must be untouched: the body timeout plus a margin. */
  readonly staleMs: number;
  readonly isLiveThread?: (thread: number) => boolean;
}

export interface SweepResult {
  files: number;
  bytes: number;
}

/** The margin added to the body timeout before an unattributable file counts as abandoned. */
export const STALE_MARGIN_MS = 60_000;

/**
 * Removes abandoned temporary files. Work is bounded per turn of the event loop: directories are
 * read in batches through the thread pool (fs.opendir) and judged one file at a time, so a huge
 * tree delays neither start-up nor requests; it only takes longer.
 */
export class UploadSweeper {
  readonly #options: UploadSweepOptions;

  constructor(options: UploadSweepOptions) {
    this.#options = options;
  }

  /** The abandoned temporary files directly in `dir`. */
  async sweepDirectory(dir: string, into: SweepResult = { files: 0, bytes: 0 }): Promise<SweepResult> {
    await this.#walk(dir, false, into);
    return into;
  }

  /** The abandoned temporary files anywhere under `root` (symbolic links are not followed). */
  async sweepTree(root: string): Promise<SweepResult> {
    const result: SweepResult = { files: 0, bytes: 0 };
    const pending = [root];
    while (pending.length > 0) {
      const dirs = await this.#walk(pending.pop()!, true, result);
      for (const d of dirs) pending.push(d);
    }
    return result;
  }

  /** Judges the files of one directory; returns its subdirectories when `descend`. */
  async #walk(dir: string, descend: boolean, result: SweepResult): Promise<string[]> {
    const subdirs: string[] = [];
    let handle: fs.Dir;
    try {
      handle = await fsa.opendir(dir);
    } catch {
      return subdirs; // gone or unreadable: nothing of ours to sweep there
    }
    const ctx: JudgeContext = {
      self: SELF,
      staleMs: this.#options.staleMs,
      startOf: processStart,
      ...(this.#options.isLiveThread !== undefined ? { isLiveThread: this.#options.isLiveThread } : {}),
    };
    try {
      for await (const entry of handle) {
        const name = entry.name;
        if (entry.isDirectory()) {
          if (descend && (this.#options.dotfiles || name.charCodeAt(0) !== 0x2e)) subdirs.push(path.join(dir, name));
          continue;
        }
        if (!entry.isFile() || !name.endsWith(UPLOAD_SUFFIX)) continue;
        const owner = parseUploadName(name);
        if (owner === null) continue;
        const file = path.join(dir, name);
        try {
          const stat = await fsa.lstat(file);
          if (!stat.isFile() || !isAbandoned(owner, stat.mtimeMs, Date.now(), ctx)) continue;
          await fsa.unlink(file);
          result.files++;
          result.bytes += stat.size;
        } catch {
          // Renamed into place or removed by its writer meanwhile: nothing left to do.
        }
      }
    } catch {
      // The directory went away while being read.
    }
    return subdirs;
  }
}

/** Start time of process `pid` of this host (field 22 of /proc/PID/stat), or null when it is not running. */
function processStart(pid: number): string | null {
  try {
    return startFromStat(fs.readFileSync(`/proc/${pid}/stat`, "latin1"));
  } catch {
    return null;
  }
}

/** Field 22 of a /proc/PID/stat line; the command name (field 2) may hold spaces and parentheses. */
export function startFromStat(stat: string): string | null {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields from 3 on: state is fields[0], so starttime (22) is fields[19].
  return fields[19] ?? null;
}

function readSelf(): UploadOwner {
  try {
    const start = startFromStat(fs.readFileSync("/proc/self/stat", "latin1"));
    const boot = fs.readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim();
    const namespace = fs.readlinkSync("/proc/self/ns/pid");
    if (start !== null) return { pid: process.pid, thread: threadId, start, host: hostTag(`${boot} ${namespace}`) };
  } catch {
    // Not Linux: pids of other processes cannot be checked; files are judged by age.
  }
  return { pid: process.pid, thread: threadId, start: Math.round(performance.timeOrigin).toString(36), host: NO_HOST };
}

/** A short tag of the kernel and PID namespace (FNV-1a, 32 bits, base 36). */
function hostTag(text: string): string {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0 || 1).toString(36);
}

/** Runs of a task, one at a time: one asked for while another runs follows it (once, however often asked). */
export class OneAtATime {
  readonly #task: () => Promise<void>;
  #state: "idle" | "running" | "again" = "idle";

  constructor(task: () => Promise<void>) {
    this.#task = task;
  }

  request(): void {
    if (this.#state !== "idle") {
      this.#state = "again";
      return;
    }
    this.#state = "running";
    void this.#task().finally(() => {
      const again = this.#state === "again";
      this.#state = "idle";
      if (again) this.request();
    });
  }
}
