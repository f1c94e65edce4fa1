// The shared reader–writer lock table: readers share, writers exclude, writers are not starved,
// versions bump, and waits work across worker threads without blocking an event loop.

import assert from "node:assert/strict";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { LockTable } from "../../src/common/lock-table.ts";
import { delay } from "../helpers/wait.ts";

test("readers share a slot and a writer waits for them", async () => {
  const locks = LockTable.local(16);
  const slot = locks.slotOf("/a");
  assert.equal(locks.read(slot), undefined);
  assert.equal(locks.read(slot), undefined);
  let written = false;
  const writing = locks.write(slot);
  assert.ok(writing instanceof Promise);
  void writing.then(() => (written = true));
  await delay(20);
  assert.equal(written, false);
  locks.releaseRead(slot);
  await delay(20);
  assert.equal(written, false);
  locks.releaseRead(slot);
  await writing;
  assert.equal(written, true);
  locks.releaseWrite(slot);
});

test("a waiting writer keeps new readers out (no writer starvation)", async () => {
  const locks = LockTable.local(16);
  const slot = locks.slotOf("/b");
  assert.equal(locks.read(slot), undefined);
  const writing = locks.write(slot)!;
  assert.equal(locks.tryRead(slot), false);
  const order: string[] = [];
  const reading = locks.read(slot)!;
  void reading.then(() => order.push("reader"));
  void writing.then(() => order.push("writer"));
  locks.releaseRead(slot);
  await writing;
  await delay(20);
  assert.deepEqual(order, ["writer"]);
  locks.releaseWrite(slot);
  await reading;
  assert.deepEqual(order, ["writer", "reader"]);
  locks.releaseRead(slot);
});

test("different keys use different slots and versions bump", () => {
  const locks = LockTable.local(1024);
  const a = locks.slotOf("/one.txt");
  const b = locks.slotOf("/two.txt");
  assert.notEqual(a, b);
  assert.equal(locks.write(a), undefined);
  assert.equal(locks.read(b), undefined, "a write on one key does not block another");
  assert.equal(locks.version(a), 0);
  assert.equal(locks.bump(a), 1);
  assert.equal(locks.version(a), 1);
  locks.releaseWrite(a);
  locks.releaseRead(b);
});

test("a writer in another thread is waited for without blocking this event loop", async () => {
  const locks = new Int32Array(new SharedArrayBuffer(16 * 8));
  const versions = new Int32Array(new SharedArrayBuffer(16 * 4));
  const table = new LockTable(locks, versions);
  const slot = table.slotOf("/x");
  const code = `
    const { workerData, parentPort } = require("node:worker_threads");
    const locks = new Int32Array(workerData.locks);
    const i = workerData.slot * 2;
    Atomics.store(locks, i, -1);
    parentPort.postMessage("locked");
    setTimeout(() => { Atomics.add(new Int32Array(workerData.versions), workerData.slot, 1); Atomics.store(locks, i, 0); Atomics.notify(locks, i); parentPort.postMessage("released"); }, 100);
  `;
  const worker = new Worker(code, { eval: true, workerData: { locks: locks.buffer, versions: versions.buffer, slot } });
  await new Promise((r) => worker.once("message", r));
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 5);
  const waiting = table.read(slot);
  assert.ok(waiting instanceof Promise);
  await waiting;
  clearInterval(ticker);
  assert.ok(ticks > 3, "the event loop kept running while waiting");
  assert.equal(table.version(slot), 1);
  table.releaseRead(slot);
  await worker.terminate();
});
