// Unit test for the middleware contract's one helper: a short plain-text answer.

import assert from "node:assert/strict";
import { test } from "node:test";
import { answer } from "../../src/middleware/middleware.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";

test("answer sends the status, a plain-text body and the extra fields, and says the request is answered", () => {
  const { res, sink } = exchangeFor("/");
  assert.equal(answer(res, 429, "Too Many Requests\n", ["Retry-After", "3"]), true);
  const { status, headers, body } = sink.parsed();
  assert.equal(status, 429);
  assert.equal(headers["content-type"], "text/plain; charset=utf-8");
  assert.equal(headers["retry-after"], "3");
  assert.equal(body.toString(), "Too Many Requests\n");
});
