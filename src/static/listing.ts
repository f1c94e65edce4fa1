// Directory listings: reads a directory (dotfiles and escaping symlinks never listed), sorts it —
// directories first, then names in natural order (`file-2` before `file-10`, case-insensitive) — and
// renders it as JSON in the shape of nginx's autoindex_format json. Reading does I/O in slices of
// bounded time; sorting and rendering are pure.
// Not here: the HTML page (listing-page.ts), caching and revalidating built listings (listing-cache.ts).

import fs from "node:fs";
import * as fsa from "../common/fs-async.ts";
import path from "node:path";
import type { DiskMap } from "./lookup.ts";

export interface ListingItem {
  readonly name: string;
  readonly directory: boolean;
  readonly size: number;
  readonly mtimeMs: number;
}

/**
 * Longest stretch of synchronous metadata reads before other work gets its turn (and at most 512
 * entries). A listing needs one
 * stat per entry: done through the thread pool, 10,000 of them queue in front of every other request's
 * file system call and cost a promise each (340–511 ms, and seconds for a small GET behind them);
 * done synchronously in slices they cost ~1–5 µs each and delay others by at most a slice.
 */
const SLICE_MS = 1;

/** Reads the visible entries of a directory, sorted: directories first, then by name (sortListing). */
export async function readListing(dir: string, disk: DiskMap): Promise<ListingItem[]> {
  // One thread-pool call for the names and their types (getdents gives d_type: no stat for that).
  const entries = await fsa.readdirEntries(dir);
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  const items: ListingItem[] = [];
  let i = 0;
  while (i < entries.length) {
    const until = performance.now() + SLICE_MS;
    do {
      const item = readEntry(prefix, entries[i]!, disk);
      if (item !== null) items.push(item);
      i++;
    } while (i < entries.length && ((i & 15) !== 0 || ((i & 511) !== 0 && performance.now() < until)));
    if (i < entries.length) await nextTurn();
  }
  return sortListing(items);
}

/** One entry's metadata; null when it is hidden, gone, unreadable, not a file or directory, or outside the jail. */
function readEntry(prefix: string, entry: fs.Dirent, disk: DiskMap): ListingItem | null {
  const name = entry.name;
  // Dotfiles are never listed, whatever --dotfiles says: a listing must not advertise them.
  if (name.charCodeAt(0) === 0x2e) return null;
  const full = prefix + name;
  try {
    let stat: fs.Stats | undefined;
    if (entry.isSymbolicLink()) {
      // Only a link is checked against the jail: anything else in a listed directory is inside it.
      const real = fs.realpathSync.native(full);
      if (!disk.isInside(real)) return null;
      stat = fs.statSync(real, { throwIfNoEntry: false });
    } else {
      stat = fs.lstatSync(full, { throwIfNoEntry: false });
    }
    if (stat === undefined) return null;
    const directory = stat.isDirectory();
    if (!directory && !stat.isFile()) return null;
    return { name, directory, size: directory ? 0 : stat.size, mtimeMs: stat.mtimeMs };
  } catch {
    return null; // vanished or unreadable: not worth listing
  }
}

/** Resolves after the event loop has run whatever else was waiting (I/O included). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A tag of what a listing shows (names, kinds, sizes, times): equal tags, equal pages. FNV-1a, 52 bits. */
export function listingTag(items: readonly ListingItem[]): string {
  let lo = 0x811c9dc5;
  let hi = 0x050c5d1f;
  const mix = (n: number): void => {
    lo = Math.imul(lo ^ (n & 0xffff), 0x01000193);
    hi = Math.imul(hi ^ (n >>> 16), 0x01000193);
  };
  for (const item of items) {
    const name = item.name;
    for (let k = 0; k < name.length; k++) mix(name.charCodeAt(k));
    mix(item.directory ? 1 : 2);
    mix(item.size % 0x1_0000_0000);
    mix(Math.floor(item.size / 0x1_0000_0000));
    mix(Math.floor(item.mtimeMs) % 0x1_0000_0000);
    mix(Math.floor(item.mtimeMs / 0x1_0000_0000));
  }
  return ((hi >>> 0) & 0xfffff).toString(36) + (lo >>> 0).toString(36);
}

/**
 * Directories first, then by name in natural order: case-insensitive, digit runs compared as numbers
 * ("file-2" < "file-10"); names equal that way fall back to code points, so the order is total. Each
 * name's key is made once (digit runs zero-padded to the longest run, up to NATURAL_DIGITS), so the
 * sort itself compares plain strings: a 20,000-name directory sorts in milliseconds.
 */
export function sortListing(items: ListingItem[]): ListingItem[] {
  let width = 0;
  for (const item of items) {
    const runs = item.name.match(DIGIT_RUNS);
    if (runs !== null) for (const run of runs) if (run.length > width) width = run.length;
  }
  width = Math.min(width, NATURAL_DIGITS);
  const keys = items.map((item) => {
    const lower = item.name.toLowerCase();
    return width <= 1 ? lower : lower.replace(DIGIT_RUNS, (run) => run.padStart(width, "0"));
  });
  const order = items.map((_, i) => i);
  order.sort((a, b) => {
    const x = items[a]!;
    const y = items[b]!;
    if (x.directory !== y.directory) return x.directory ? -1 : 1;
    const ka = keys[a]!;
    const kb = keys[b]!;
    if (ka !== kb) return ka < kb ? -1 : 1;
    return x.name < y.name ? -1 : x.name > y.name ? 1 : 0;
  });
  const sorted = order.map((i) => items[i]!);
  for (let i = 0; i < sorted.length; i++) items[i] = sorted[i]!;
  return items;
}

const DIGIT_RUNS = /\d+/g;
/** Digit runs longer than this compare by their leading digits (no file name needs more). */
const NATURAL_DIGITS = 32;

/** Escapes text for HTML element content and double- or single-quoted attributes. */
export function escapeHtml(text: string): string {
  // Most names hold none of the five: a test is cheaper than a replace that builds a new string.
  return HTML_SPECIAL.test(text) ? text.replace(HTML_SPECIALS, (c) => HTML_ESCAPES[c]!) : text;
}

const HTML_SPECIAL = /[&<>"']/;
const HTML_SPECIALS = /[&<>"']/g;

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** The JSON listing: an array of { name, type, mtime, size? } like nginx's autoindex_format json. */
export function renderListingJson(items: readonly ListingItem[]): string {
  // Built as text (JSON.stringify for the names only): twice as fast as stringifying objects made for it.
  const parts: string[] = [];
  for (const item of items) {
    const mtime = formatHttpDate(item.mtimeMs);
    parts.push(
      item.directory
        ? `{"name":${JSON.stringify(item.name)},"type":"directory","mtime":"${mtime}"}`
        : `{"name":${JSON.stringify(item.name)},"type":"file","mtime":"${mtime}","size":${item.size}}`,
    );
  }
  return `[${parts.join(",")}]\n`;
}

// Dates are formatted by arithmetic rather than through Date objects (a third of a 10,000-entry page's
// rendering went to toISOString), and the last result is kept: entries made together share it.

let lastMinute = Number.NaN;
let lastMinuteText = "";

/** `YYYY-MM-DD HH:MM` in UTC. */
export function formatListingDate(ms: number): string {
  const minute = Math.floor(ms / 60_000);
  if (minute !== lastMinute) {
    const c = civil(minute * 60_000);
    lastMinute = minute;
    lastMinuteText = `${pad(c.year, 4)}-${pad(c.month, 2)}-${pad(c.day, 2)} ${pad(c.hour, 2)}:${pad(c.minute, 2)}`;
  }
  return lastMinuteText;
}

let lastSecond = Number.NaN;
let lastSecondText = "";
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** The IMF-fixdate of a time (RFC 9110 §5.6.7): `Mon, 01 Jan 2024 00:00:00 GMT`. */
export function formatHttpDate(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    const c = civil(second * 1000);
    lastSecond = second;
    lastSecondText = `${WEEKDAYS[c.weekday]}, ${pad(c.day, 2)} ${MONTHS[c.month - 1]} ${pad(c.year, 4)} ${pad(c.hour, 2)}:${pad(c.minute, 2)}:${pad(c.second, 2)} GMT`;
  }
  return lastSecondText;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** The UTC calendar date and time of `ms` (days to civil date: H. Hinnant's algorithm, proleptic Gregorian). */
function civil(ms: number): {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
} {
  const days = Math.floor(ms / 86_400_000);
  const secondsOfDay = Math.floor((ms - days * 86_400_000) / 1000);
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return {
    year: yoe + era * 400 + (month <= 2 ? 1 : 0),
    month,
    day: doy - Math.floor((153 * mp + 2) / 5) + 1,
    hour: Math.floor(secondsOfDay / 3600),
    minute: Math.floor(secondsOfDay / 60) % 60,
    second: secondsOfDay % 60,
    // 1970-01-01 was a Thursday.
    weekday: (((days + 4) % 7) + 7) % 7,
  };
}
