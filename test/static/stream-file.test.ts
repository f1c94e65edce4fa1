// Unit tests for streaming from an open descriptor: segments in order, and exactly one close of the
// descriptor whether the response completes or the client goes away.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { streamSegments } from "../../src/static/stream-file.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";
import { makeSite } from "../helpers/server.ts";
import { delay } from "../helpers/wait.ts";

const DATA = Buffer.alloc(700 * 1024);
for (let i = 0; i < DATA.length; i++) DATA[i] = i % 251;
const file = path.join(makeSite({ "f.bin": DATA }), "f.bin");

function isOpen(fd: number): boolean {
  try {
    fs.fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await delay(5);
}

test("segments are written in order, then the descriptor is closed", async () => {
  const fd = fs.openSync(file, "r");
  const { req, res, sink } = exchangeFor("/f.bin");
  const segments = ["<", { start: 0, end: 299_999 }, "|", { start: 600_000, end: DATA.length - 1 }, ">"];
  res.writeHead(206, [], 1 + 300_000 + 1 + (DATA.length - 600_000) + 1);
  streamSegments(req, res, fd, segments);
  await until(() => sink.finished);
  const body = sink.parsed().body;
  assert.equal(body.subarray(0, 1).toString(), "<");
  assert.ok(body.subarray(1, 300_001).equals(DATA.subarray(0, 300_000)));
  assert.equal(body.subarray(300_001, 300_002).toString(), "|");
  assert.ok(body.subarray(300_002, body.length - 1).equals(DATA.subarray(600_000)));
  assert.equal(body.subarray(body.length - 1).toString(), ">");
  await until(() => !isOpen(fd));
  assert.equal(isOpen(fd), false);
});

test("a client going away mid-stream closes the descriptor", async () => {
  const fd = fs.openSync(file, "r");
  const { req, res, sink } = exchangeFor("/f.bin");
  res.writeHead(200, [], DATA.length);
  streamSegments(req, res, fd, [{ start: 0, end: DATA.length - 1 }]);
  req.notifyAborted();
  await until(() => !isOpen(fd));
  assert.equal(isOpen(fd), false);
  assert.equal(sink.finished, false);
});
