// Unit tests for the static handlers' shared error answers: the file system error → status mapping
// (one table for reads and writes), fault reporting, and the `Reason\n` text/plain bodies.

import assert from "node:assert/strict";
import diagnosticsChannel from "node:diagnostics_channel";
import { test } from "node:test";
import { serializeFields } from "../../src/http/h1-writer.ts";
import { NOT_FOUND_PLAIN, reportFsError, sendStatus, statusForFsError, statusText } from "../../src/static/errors.ts";
import type { StaticErrorMessage } from "../../src/static/events.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";

const err = (code: string) => Object.assign(new Error(code), { code });

test("file system errors map to 404, 403, 500 and — out of descriptors — 503", () => {
  for (const code of ["ENOENT", "ENOTDIR", "ELOOP", "ENAMETOOLONG"])
    assert.equal(statusForFsError(err(code)), 404, code);
  for (const code of ["EACCES", "EPERM", "EISDIR", "EROFS"]) assert.equal(statusForFsError(err(code)), 403, code);
  for (const code of ["EIO", "ENOSPC"]) assert.equal(statusForFsError(err(code)), 500, code);
  for (const code of ["EMFILE", "ENFILE"]) assert.equal(statusForFsError(err(code)), 503, code);
  assert.equal(statusForFsError(null), 500);
  assert.equal(statusForFsError(new Error("no code")), 500);
});

test("only server faults and overload (500, 503) are published when reported", () => {
  const seen: StaticErrorMessage[] = [];
  const listener = (message: unknown): void => void seen.push(message as StaticErrorMessage);
  diagnosticsChannel.subscribe("portico:static.error", listener);
  try {
    assert.equal(reportFsError("/a", err("ENOENT")), 404);
    assert.equal(reportFsError("/b", err("EACCES")), 403);
    const fault = err("EIO");
    assert.equal(reportFsError("/c", fault), 500);
    assert.equal(reportFsError("/d", err("EMFILE")), 503);
  } finally {
    diagnosticsChannel.unsubscribe("portico:static.error", listener);
  }
  assert.equal(seen.length, 2);
  assert.equal(seen[0]!.path, "/c");
  assert.equal((seen[0]!.error as { code: string }).code, "EIO");
});

test("a status is answered as its reason phrase on one text/plain line, with extra fields after", () => {
  const { res, sink } = exchangeFor("/x");
  sendStatus(res, 405, ["Allow", "GET, HEAD"]);
  const { status, headers, body } = sink.parsed();
  assert.equal(status, 405);
  assert.equal(headers["content-type"], "text/plain; charset=utf-8");
  assert.equal(headers["x-content-type-options"], "nosniff");
  assert.equal(headers.allow, "GET, HEAD");
  assert.equal(body.toString(), "Method Not Allowed\n");
  assert.equal(statusText(201), "Created\n");
  assert.equal(statusText(411), "Length Required\n");
  assert.equal(statusText(599), "Error\n");
});

test("the prepared plain 404 says Not Found", () => {
  assert.equal(NOT_FOUND_PLAIN.status, 404);
  assert.equal(NOT_FOUND_PLAIN.body.toString(), "Not Found\n");
  assert.match(serializeFields(NOT_FOUND_PLAIN.fields), /Content-Type: text\/plain; charset=utf-8\r\n/);
});

test("a 503 says when to come back", () => {
  const { res, sink } = exchangeFor("/x");
  sendStatus(res, 503);
  const { status, headers, body } = sink.parsed();
  assert.equal(status, 503);
  assert.equal(headers["retry-after"], "1");
  assert.equal(body.toString(), "Service Unavailable\n");
});
