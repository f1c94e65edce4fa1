// Running out of file descriptors (EMFILE for this process, ENFILE for the system) as lines on stderr.
// While it lasts, every accept and every request that needs a descriptor meets it again, so each code
// and place ("accepting connections", "serving files") gets at most one line a second, with the count
// of those left out. Requests meanwhile get 503 with Retry-After. Not here: the events
// (http/events.ts, static/events.ts).

import { acceptErrorChannel, type AcceptErrorMessage } from "../http/events.ts";

const LINE_INTERVAL_MS = 1000;

/** Whether an error is a shortage of file descriptors: overload, not a fault. */
export function isDescriptorShortage(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === "EMFILE" || code === "ENFILE";
}

export class OverloadNotices {
  readonly #write: (line: string) => void;
  readonly #worker: number;
  readonly #now: () => number;
  /** "code place" → when its last line was written and how many were left out since. */
  readonly #recent = new Map<string, { at: number; skipped: number }>();
  readonly #onAcceptError = (message: unknown): void =>
    this.report((message as AcceptErrorMessage).code, "accepting connections");

  constructor(worker: number, write: (line: string) => void, now: () => number = Date.now) {
    this.#worker = worker;
    this.#write = write;
    this.#now = now;
  }

  start(): void {
    acceptErrorChannel.subscribe(this.#onAcceptError);
  }

  stop(): void {
    acceptErrorChannel.unsubscribe(this.#onAcceptError);
  }

  /** One occurrence of `code` while doing `what`; written unless one like it was this second. */
  report(code: string, what: string): void {
    const where = what.startsWith("serving ") ? "serving files" : what;
    const key = `${code} ${where}`;
    const now = this.#now();
    const last = this.#recent.get(key);
    if (last !== undefined && now - last.at < LINE_INTERVAL_MS) {
      last.skipped++;
      return;
    }
    this.#recent.set(key, { at: now, skipped: 0 });
    const more = last !== undefined && last.skipped > 0 ? ` (${last.skipped} more since the last line)` : "";
    const why = code === "ENFILE" ? "the system is out of file descriptors" : "this process is out of file descriptors";
    const answer = where === "accepting connections" ? "new connections are closed" : "answering 503";
    this.#write(
      `portico: ${why} (${code}) while ${what}; ${answer} until some are free${more} [worker ${this.#worker}]`,
    );
  }
}
