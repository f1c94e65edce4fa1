// Unit tests for temporary upload files (upload-files.ts): names carry their writer, the verdict on
// who may still be writing one, and the sweep over real directories with real (live and dead)
// processes — never a file a live writer could own, always one nobody can.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import {
  isAbandoned,
  type JudgeContext,
  OneAtATime,
  parseUploadName,
  SELF,
  startFromStat,
  type UploadOwner,
  UploadSweeper,
  uploadTempName,
} from "../../src/static/upload-files.ts";

const LINUX = process.platform === "linux" && fs.existsSync("/proc/self/stat");
const HOUR = 3_600_000;

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "portico-uploads-"));
}

/** The pid and start time of a process that has exited (its pid not reused yet, or reused: either way dead). */
async function deadProcess(): Promise<{ pid: number; start: string }> {
  const child = spawn("sleep", ["5"]);
  const pid = child.pid!;
  const start = startFromStat(fs.readFileSync(`/proc/${pid}/stat`, "latin1"))!;
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  return { pid, start };
}

function nameFor(base: string, owner: Omit<UploadOwner, "thread"> & { thread?: number }): string {
  return `.${base}.0123abcd-${owner.pid}-${owner.thread ?? 1}-${owner.start}-${owner.host}.portico-upload`;
}

describe("names", () => {
  test("a temporary name sits beside its target, hidden, and names this process and thread", () => {
    const temp = uploadTempName("/srv/site/dir/photo.jpg");
    assert.equal(path.dirname(temp), "/srv/site/dir");
    assert.ok(path.basename(temp).startsWith(".photo.jpg."));
    assert.deepEqual(parseUploadName(path.basename(temp)), SELF);
  });

  test("a name from an older Portico has no owner; other names are not uploads", () => {
    assert.deepEqual(parseUploadName(".t.bin.3f9a2c1b0d4e.portico-upload"), {
      pid: 0,
      thread: 0,
      start: "",
      host: "",
    });
    for (const name of ["t.bin.3f9a.portico-upload", ".t.bin.portico-upload", ".t.bin.3f9a.upload", "index.html"])
      assert.equal(parseUploadName(name), null, name);
  });

  test("the start time is field 22 of /proc/PID/stat, whatever the command name holds", () => {
    const rest = "S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 98765 20 21";
    assert.equal(startFromStat(`123 (node) ${rest}`), "98765");
    assert.equal(startFromStat(`123 (a) b (c) ${rest}`), "98765");
  });
});

describe("who may still be writing", () => {
  const now = 10 * HOUR;
  const base: JudgeContext = { self: SELF, staleMs: 90_000, startOf: () => null };

  test("this process's files are kept unless the supervisor knows their thread is gone", () => {
    const own = { ...SELF, thread: 7 };
    assert.equal(isAbandoned(own, 0, now, base), false);
    assert.equal(isAbandoned(own, 0, now, { ...base, isLiveThread: (t) => t === 7 }), false);
    assert.equal(isAbandoned(own, 0, now, { ...base, isLiveThread: () => false }), true);
  });

  test("a file of this host is judged by its writer: gone, or its pid reused, means abandoned", {
    skip: LINUX ? false : "needs /proc",
  }, () => {
    const other = { pid: 4242, thread: 1, start: "555", host: SELF.host };
    assert.equal(isAbandoned(other, now, now, { ...base, startOf: () => "555" }), false, "alive, even if old");
    assert.equal(isAbandoned(other, now, now, { ...base, startOf: () => null }), true, "no such process");
    assert.equal(isAbandoned(other, now, now, { ...base, startOf: () => "556" }), true, "pid reused");
  });

  test("a file nobody can vouch for (another host, an old name) is abandoned only once untouched long enough", () => {
    const foreign = { pid: 4242, thread: 1, start: "555", host: "elsewhere" };
    assert.equal(isAbandoned(foreign, now - 89_000, now, base), false);
    assert.equal(isAbandoned(foreign, now - 91_000, now, base), true);
    const old = parseUploadName(".t.bin.3f9a2c1b0d4e.portico-upload")!;
    assert.equal(isAbandoned(old, now - 1000, now, base), false);
    assert.equal(isAbandoned(old, now - HOUR, now, base), true);
  });
});

describe("sweeping", { skip: LINUX ? false : "needs /proc" }, () => {
  test("removes what dead writers left, keeps what live ones write, touches nothing else", async () => {
    const dir = tempDir();
    const dead = await deadProcess();
    const live = spawn("sleep", ["30"]);
    try {
      const liveStart = startFromStat(fs.readFileSync(`/proc/${live.pid}/stat`, "latin1"))!;
      const files: Record<string, boolean> = {
        // name → should survive
        [nameFor("dead.bin", { pid: dead.pid, start: dead.start, host: SELF.host })]: false,
        [nameFor("live.bin", { pid: live.pid!, start: liveStart, host: SELF.host })]: true,
        [nameFor("reused.bin", { pid: live.pid!, start: `${liveStart}0`, host: SELF.host })]: false,
        [nameFor("mine.bin", { ...SELF })]: true,
        [nameFor("foreign.bin", { pid: 1, start: "1", host: "elsewhere" })]: true,
        ".old.bin.3f9a2c1b0d4e.portico-upload": true,
        ".stale.bin.3f9a2c1b0d4e.portico-upload": false,
        "keep.portico-upload": true,
        ".keep.txt": true,
        "data.bin": true,
      };
      for (const name of Object.keys(files)) fs.writeFileSync(path.join(dir, name), "12345");
      const hourAgo = new Date(Date.now() - HOUR);
      fs.utimesSync(path.join(dir, ".stale.bin.3f9a2c1b0d4e.portico-upload"), hourAgo, hourAgo);
      const swept = await new UploadSweeper({ dotfiles: false, staleMs: 90_000 }).sweepDirectory(dir);
      assert.deepEqual(swept, { files: 3, bytes: 15 });
      for (const [name, survives] of Object.entries(files))
        assert.equal(fs.existsSync(path.join(dir, name)), survives, name);
    } finally {
      live.kill("SIGKILL");
    }
  });

  test("a tree is swept at every depth, hidden directories only with dotfiles, symbolic links never followed", async () => {
    const root = tempDir();
    const outside = tempDir();
    const dead = await deadProcess();
    const leftover = nameFor("x.bin", { pid: dead.pid, start: dead.start, host: SELF.host });
    for (const d of ["a/b/c", ".hidden", "a/.git"]) fs.mkdirSync(path.join(root, d), { recursive: true });
    for (const d of ["", "a", "a/b/c", ".hidden", "a/.git"]) fs.writeFileSync(path.join(root, d, leftover), "x");
    fs.writeFileSync(path.join(outside, leftover), "x");
    fs.symlinkSync(outside, path.join(root, "link"));
    const swept = await new UploadSweeper({ dotfiles: false, staleMs: 90_000 }).sweepTree(root);
    assert.equal(swept.files, 3);
    assert.ok(fs.existsSync(path.join(root, ".hidden", leftover)));
    assert.ok(fs.existsSync(path.join(root, "a/.git", leftover)));
    assert.ok(fs.existsSync(path.join(outside, leftover)), "nothing outside the root");
    const all = await new UploadSweeper({ dotfiles: true, staleMs: 90_000 }).sweepTree(root);
    assert.equal(all.files, 2);
  });

  test("a directory that cannot be read is skipped, not an error", async () => {
    const missing = path.join(tempDir(), "gone");
    assert.deepEqual(await new UploadSweeper({ dotfiles: false, staleMs: 1 }).sweepTree(missing), {
      files: 0,
      bytes: 0,
    });
  });
});

test("sweeps asked for while one runs make one more run after it, not one each", async () => {
  let runs = 0;
  let finish: () => void = () => {};
  const sweeps = new OneAtATime(() => {
    runs++;
    return new Promise<void>((resolve) => (finish = resolve));
  });
  sweeps.request();
  sweeps.request();
  sweeps.request();
  assert.equal(runs, 1, "one at a time");
  finish();
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 2, "the requests made meanwhile are one more run");
  finish();
  await new Promise((r) => setImmediate(r));
  assert.equal(runs, 2, "then nothing until asked again");
  sweeps.request();
  assert.equal(runs, 3);
  finish();
});
