// Unit test for the method gate: methods the site does not implement get 501 (RFC 9110 §9.1).

import assert from "node:assert/strict";
import { test } from "node:test";
import { MethodGate } from "../../src/route/method-gate.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";

test("listed methods pass on; any other gets 501", () => {
  const gate = new MethodGate(["GET", "HEAD", "PUT"]);
  for (const method of ["GET", "HEAD", "PUT"]) {
    const { req, res, sink } = exchangeFor("/", {}, method);
    assert.equal(gate.handle(req, res), false, method);
    assert.equal(sink.writes.length, 0);
  }
  const { req, res, sink } = exchangeFor("/", {}, "DELETE");
  assert.equal(gate.handle(req, res), true);
  assert.equal(sink.parsed().status, 501);
});
