// The proxy's upstream events as lines on stderr, as nginx's error log and HAProxy's "Server is DOWN"
// give them: an upstream taken out of rotation or put back, and upstream errors (the cause behind a
// 502/504). Errors repeat under load, so each upstream and error code gets at most one line per
// second, with the count of those left out. Not here: the events themselves (proxy/events.ts).

import {
  upstreamDownChannel,
  upstreamErrorChannel,
  type UpstreamErrorMessage,
  type UpstreamStateMessage,
  upstreamUpChannel,
} from "../proxy/events.ts";

const ERROR_LINE_INTERVAL_MS = 1000;

export class UpstreamNotices {
  readonly #write: (line: string) => void;
  readonly #worker: number;
  /** "upstream code" → when its last line was written and how many were left out since. */
  readonly #recent = new Map<string, { at: number; skipped: number }>();
  readonly #now: () => number;

  constructor(worker: number, write: (line: string) => void, now: () => number = Date.now) {
    this.#worker = worker;
    this.#write = write;
    this.#now = now;
  }

  start(): void {
    upstreamDownChannel.subscribe(this.#onDown);
    upstreamUpChannel.subscribe(this.#onUp);
    upstreamErrorChannel.subscribe(this.#onError);
  }

  stop(): void {
    upstreamDownChannel.unsubscribe(this.#onDown);
    upstreamUpChannel.unsubscribe(this.#onUp);
    upstreamErrorChannel.unsubscribe(this.#onError);
  }

  readonly #onDown = (message: unknown): void => {
    const m = message as UpstreamStateMessage;
    this.#write(
      `portico: upstream ${m.upstream} is out of rotation (${m.source}: ${m.reason}) [worker ${this.#worker}]`,
    );
  };

  readonly #onUp = (message: unknown): void => {
    const m = message as UpstreamStateMessage;
    this.#write(
      `portico: upstream ${m.upstream} is back in rotation (${m.source}: ${m.reason}) [worker ${this.#worker}]`,
    );
  };

  readonly #onError = (message: unknown): void => {
    const m = message as UpstreamErrorMessage;
    const key = `${m.upstream} ${m.code}`;
    const now = this.#now();
    const last = this.#recent.get(key);
    if (last !== undefined && now - last.at < ERROR_LINE_INTERVAL_MS) {
      last.skipped++;
      return;
    }
    const more = last !== undefined && last.skipped > 0 ? ` (${last.skipped} more like it since the last line)` : "";
    this.#recent.set(key, { at: now, skipped: 0 });
    this.#write(`portico: upstream error ${m.code}: ${m.message}${more} [worker ${this.#worker}]`);
  };
}
