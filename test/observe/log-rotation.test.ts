// Rotation of the access log file with small sizes: numbered and dated names, `keep`, gzip of rotated
// files (whole, in order, never a line lost: a thread still writing to the rotated file holds the
// compression back), and what a stopped compression leaves cleaned up at the next start.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import zlib from "node:zlib";
import { datedStamp, LOG_STATE_SLOTS, LogRotation, type RotationOptions } from "../../src/observe/log-rotation.ts";

function tempFile(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "portico-rotation-")), "access.log");
}

function state(): BigInt64Array {
  return new BigInt64Array(new SharedArrayBuffer(LOG_STATE_SLOTS * 8));
}

function open(file: string): number {
  return fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o644);
}

/** A thread's writer as access-log.ts drives the rotation: check the generation, write, count. */
function writer(file: string, options: RotationOptions) {
  const rotation = new LogRotation(file, options);
  let fd = open(file);
  rotation.opened(fd);
  const reopen = (): void => {
    fs.closeSync(fd);
    fd = open(file);
  };
  return {
    rotation,
    write(line: string): void {
      if (rotation.beforeWrite()) reopen();
      fs.writeSync(fd, line);
      if (rotation.afterWrite(line.length)) reopen();
    },
    get fd() {
      return fd;
    },
  };
}

/** Waits until the directory has no uncompressed rotated file and no .part file left. */
async function compressed(file: string, uncompressed: (name: string) => boolean): Promise<string[]> {
  const dir = path.dirname(file);
  for (let i = 0; i < 500; i++) {
    const names = fs.readdirSync(dir).sort();
    if (!names.some((n) => n.endsWith(".part") || uncompressed(n))) return names;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`still compressing: ${fs.readdirSync(dir).join(", ")}`);
}

function read(file: string): string {
  const bytes = fs.readFileSync(file);
  return file.endsWith(".gz") ? zlib.gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
}

const line = (i: number): string => `line ${String(i).padStart(4, "0")} ${"x".repeat(18)}\n`;

test("numbered with gzip: FILE.1.gz … FILE.keep.gz, the oldest dropped, every kept line whole and in order", async () => {
  const file = tempFile();
  const w = writer(file, { maxBytes: 100, keep: 3, state: state(), gzip: true });
  for (let i = 0; i < 40; i++) w.write(line(i));
  const names = await compressed(file, (n) => /^access\.log\.\d+$/.test(n));
  assert.deepEqual(names, ["access.log", "access.log.1.gz", "access.log.2.gz", "access.log.3.gz"]);
  const text = ["access.log.3.gz", "access.log.2.gz", "access.log.1.gz", "access.log"]
    .map((n) => read(path.join(path.dirname(file), n)))
    .join("");
  const lines = text.split("\n").filter((l) => l !== "");
  const first = Number(lines[0]!.slice(5, 9));
  assert.deepEqual(
    lines.map((l) => `${l}\n`),
    Array.from({ length: 40 - first }, (_, k) => line(first + k)),
    "a contiguous run up to the last line",
  );
  fs.closeSync(w.fd);
});

test("dated names: FILE-<UTC time>, a counter within one second, the keep newest kept", () => {
  const file = tempFile();
  const at = Date.UTC(2026, 11, 4, 18, 45, 12);
  assert.equal(datedStamp(at), "20261204T184512Z");
  const w = writer(file, { maxBytes: 100, keep: 3, state: state(), naming: "dated", now: () => at });
  for (let i = 0; i < 20; i++) w.write(line(i));
  const names = fs.readdirSync(path.dirname(file)).sort();
  // Five rotations in one second: -1 … -4 after the plain name; the two oldest removed.
  assert.deepEqual(names, [
    "access.log",
    "access.log-20261204T184512Z-2",
    "access.log-20261204T184512Z-3",
    "access.log-20261204T184512Z-4",
  ]);
  fs.closeSync(w.fd);
});

test("dated names with gzip: NAME.gz for each kept file; lines in order across them", async () => {
  const file = tempFile();
  let now = Date.UTC(2026, 11, 4, 0, 0, 0);
  const w = writer(file, {
    maxBytes: 100,
    keep: 2,
    state: state(),
    naming: "dated",
    gzip: true,
    now: () => (now += 1000),
  });
  for (let i = 0; i < 20; i++) w.write(line(i));
  const names = await compressed(file, (n) => /Z$/.test(n));
  assert.deepEqual(names, ["access.log", "access.log-20261204T000004Z.gz", "access.log-20261204T000005Z.gz"]);
  const lines = names
    .slice(1)
    .concat("access.log")
    .map((n) => read(path.join(path.dirname(file), n)))
    .join("")
    .split("\n")
    .filter((l) => l !== "");
  assert.equal(lines.at(-1), line(19).trimEnd());
  fs.closeSync(w.fd);
});

test("a thread still writing to the rotated file holds its compression back: its line is in the .gz", async () => {
  const file = tempFile();
  const shared = state();
  const a = writer(file, { maxBytes: 50, keep: 5, state: shared, gzip: true });
  const b = writer(file, { maxBytes: 50, keep: 5, state: shared, gzip: true });
  a.write(line(0));
  // Thread b has read the generation (no rotation yet) and is about to write to its descriptor…
  assert.equal(b.rotation.beforeWrite(), false);
  // …when thread a's write rotates the file.
  a.write(line(1));
  assert.ok(fs.existsSync(`${file}.1`));
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(fs.existsSync(`${file}.1`) && !fs.existsSync(`${file}.1.gz`), "not compressed while b writes");
  fs.writeSync(b.fd, line(2));
  b.rotation.afterWrite(line(2).length);
  const names = await compressed(file, (n) => /^access\.log\.\d+$/.test(n));
  assert.ok(names.includes("access.log.1.gz"));
  assert.equal(read(`${file}.1.gz`), line(0) + line(1) + line(2));
  fs.closeSync(a.fd);
  fs.closeSync(b.fd);
});

test("a start after a stopped compression removes the half-written .gz and compresses what is left", async () => {
  const file = tempFile();
  fs.writeFileSync(file, "");
  fs.writeFileSync(`${file}.1`, line(2));
  fs.writeFileSync(`${file}.2.gz`, zlib.gzipSync(line(1)));
  fs.writeFileSync(`${file}.1234.gz.part`, "half");
  // Stopped between the .gz taking its place and removing the original: the .gz is whole.
  fs.writeFileSync(`${file}.3`, line(0));
  fs.writeFileSync(`${file}.3.gz`, zlib.gzipSync(line(0)));
  const w = writer(file, { maxBytes: 1000, keep: 5, state: state(), gzip: true });
  const names = await compressed(file, (n) => /^access\.log\.\d+$/.test(n));
  assert.deepEqual(names, ["access.log", "access.log.1.gz", "access.log.2.gz", "access.log.3.gz"]);
  assert.equal(read(`${file}.1.gz`), line(2));
  fs.closeSync(w.fd);
});
