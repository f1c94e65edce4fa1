// OverloadNotices: a shortage of file descriptors becomes at most one stderr line a second per code
// and place, with a count of the lines left out; accept errors from the engine are among them.

import assert from "node:assert/strict";
import { test } from "node:test";
import { acceptErrorChannel } from "../../src/http/events.ts";
import { isDescriptorShortage, OverloadNotices } from "../../src/runtime/overload-notices.ts";

test("EMFILE and ENFILE are shortages; other errors are not", () => {
  const err = (code: string) => Object.assign(new Error(code), { code });
  assert.equal(isDescriptorShortage(err("EMFILE")), true);
  assert.equal(isDescriptorShortage(err("ENFILE")), true);
  assert.equal(isDescriptorShortage(err("EIO")), false);
  assert.equal(isDescriptorShortage(null), false);
});

test("at most one line a second per code and place, counting those left out", () => {
  const lines: string[] = [];
  let now = 5000;
  const notices = new OverloadNotices(
    2,
    (l) => lines.push(l),
    () => now,
  );
  notices.report("EMFILE", "serving /a.txt");
  notices.report("EMFILE", "serving /b.txt");
  notices.report("EMFILE", "serving /c.txt");
  notices.report("ENFILE", "serving /a.txt");
  now += 999;
  notices.report("EMFILE", "serving /d.txt");
  now += 1;
  notices.report("EMFILE", "serving /e.txt");
  assert.deepEqual(lines, [
    "portico: this process is out of file descriptors (EMFILE) while serving /a.txt; answering 503 until some are free [worker 2]",
    "portico: the system is out of file descriptors (ENFILE) while serving /a.txt; answering 503 until some are free [worker 2]",
    "portico: this process is out of file descriptors (EMFILE) while serving /e.txt; answering 503 until some are free (3 more since the last line) [worker 2]",
  ]);
});

test("accept errors the listener publishes are reported too", () => {
  const lines: string[] = [];
  const notices = new OverloadNotices(
    0,
    (l) => lines.push(l),
    () => 0,
  );
  notices.start();
  try {
    acceptErrorChannel.publish({ code: "EMFILE" });
    acceptErrorChannel.publish({ code: "EMFILE" });
  } finally {
    notices.stop();
  }
  assert.deepEqual(lines, [
    "portico: this process is out of file descriptors (EMFILE) while accepting connections; new connections are closed until some are free [worker 0]",
  ]);
});
