// Unit tests for the output gate: workers' output is held until the banner is out, then passed on in
// order; the access log's first line waits for the shared word the gate sets.

import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { OutputGate, waitForBanner } from "../../src/runtime/output-gate.ts";
import { C_ANNOUNCED } from "../../src/runtime/shared-memory.ts";

/** A stand-in for a Worker spawned with stdout: true and stderr: true. */
function fakeWorker(): { stdout: PassThrough; stderr: PassThrough } {
  return { stdout: new PassThrough(), stderr: new PassThrough() };
}

test("a worker's output written before the banner is held, then passed on in order", async () => {
  const control = new Int32Array(new SharedArrayBuffer(64));
  const out = new PassThrough();
  const err = new PassThrough();
  const gate = new OutputGate(control, out, err);
  const worker = fakeWorker();
  gate.attach(worker as never);
  worker.stdout.write("from the app\n");
  worker.stderr.write("a warning\n");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(out.read(), null, "nothing before the banner");
  assert.equal(Atomics.load(control, C_ANNOUNCED), 0);
  out.write("the banner\n");
  gate.open();
  assert.equal(Atomics.load(control, C_ANNOUNCED), 1);
  worker.stdout.write("later\n");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(String(out.read()), "the banner\nfrom the app\nlater\n");
  assert.equal(String(err.read()), "a warning\n");
  // A worker started after the banner (a restart) passes straight on.
  const restarted = fakeWorker();
  gate.attach(restarted as never);
  restarted.stdout.write("restarted\n");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(String(out.read()), "restarted\n");
});

test("the first log line waits until the banner is out, and not at all afterwards", async () => {
  const control = new Int32Array(new SharedArrayBuffer(64));
  // Another thread prints the banner a moment later; this one blocks in waitForBanner meanwhile.
  const opener = new Worker(
    `const { workerData } = require("node:worker_threads");
     const control = new Int32Array(workerData);
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
     Atomics.store(control, ${C_ANNOUNCED}, 1);
     Atomics.notify(control, ${C_ANNOUNCED});`,
    { eval: true, workerData: control.buffer },
  );
  waitForBanner(control);
  assert.equal(Atomics.load(control, C_ANNOUNCED), 1, "returned only once the banner was out");
  waitForBanner(control);
  await new Promise((resolve) => opener.once("exit", resolve));
});
