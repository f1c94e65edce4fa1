// Unit tests for the files handlers of one worker: one handler (and file cache) per root and settings,
// writes in front only where a route enables them, and files in front of a proxy declining what is missing.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { LockTable } from "../../src/common/lock-table.ts";
import type { FilesHandlerModel } from "../../src/config/model.ts";
import { defaultValues } from "../../src/config/options.ts";
import { filesSettings } from "../../src/config/model-parts.ts";
import { FilesBuilder } from "../../src/route/files.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";

const locks = new LockTable(
  new Int32Array(new SharedArrayBuffer(1 << 12)),
  new Int32Array(new SharedArrayBuffer(1 << 11)),
);

function model(root: string, overrides: Partial<FilesHandlerModel["settings"]> = {}): FilesHandlerModel {
  return { kind: "files", root, settings: { ...filesSettings(defaultValues()), ...overrides } };
}

test("routes serving one root the same way share one handler; other settings get their own", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "portico-files-"));
  const files = new FilesBuilder(locks, 411, 30_000);
  const a = files.handler(model(root), false);
  assert.equal(files.handler(model(root), false), a);
  assert.notEqual(files.handler(model(root, { spa: true }), false), a);
  assert.notEqual(files.handler(model(root), true), a, "a fallthrough handler is another");
});

test("a writable route takes PUT; a read-only one answers it 405", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "portico-files-"));
  const files = new FilesBuilder(locks, 411, 30_000);
  const readOnly = exchangeFor("/x.txt", { "Content-Length": "0" }, "PUT");
  await files.handler(model(root), false).handle(readOnly.req, readOnly.res);
  assert.equal(readOnly.sink.parsed().status, 405);
  const noLength = exchangeFor("/x.txt", {}, "PUT");
  await files.handler(model(root, { writable: true }), false).handle(noLength.req, noLength.res);
  assert.equal(noLength.sink.parsed().status, 411, "the writes handler is in front, with the preset's status");
});

test("files in front of a proxy decline a missing path so the proxy can take it", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "portico-files-"));
  const files = new FilesBuilder(locks, 411, 30_000);
  const { req, res, sink } = exchangeFor("/missing");
  assert.equal(await files.handler(model(root), true).handle(req, res), false);
  assert.equal(sink.writes.length, 0);
});
