// Unit tests for one route as a handler: its field edits on every response, its tighter body limits,
// its middleware in order (any may answer, synchronously or later), then its handler.

import assert from "node:assert/strict";
import { test } from "node:test";
import { FieldEdits } from "../../src/http/field-edits.ts";
import type { Handler } from "../../src/http/handler.ts";
import type { Middleware } from "../../src/middleware/middleware.ts";
import { RouteHandler, type RouteParts } from "../../src/route/route-handler.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";

const ok: Handler = {
  handle(_req, res) {
    res.send(200, ["Content-Type", "text/plain"], "handler");
    return true;
  },
};

/** A middleware that records its turn and lets the request through, or answers with `status`. */
function step(log: string[], name: string, status = 0, later = false): Middleware {
  return {
    intercept(_req, res) {
      log.push(name);
      const answer = (): boolean => {
        if (status === 0) return false;
        res.send(status, [], name);
        return true;
      };
      return later ? Promise.resolve().then(answer) : answer();
    },
  };
}

function parts(overrides: Partial<RouteParts>): RouteParts {
  return { edits: null, middleware: [], handler: ok, maxBodyBytes: -1, bodyTimeoutMs: -1, ...overrides };
}

test("the route's field edits are on the response the handler sends", () => {
  const edits = new FieldEdits([["X-Frame-Options", "DENY"]], [], []);
  const { req, res, sink } = exchangeFor("/");
  assert.equal(new RouteHandler(parts({ edits })).handle(req, res), true);
  assert.equal(res.edits, edits);
  assert.equal(sink.parsed().headers["x-frame-options"], "DENY");
});

test("middleware runs in order before the handler; the first to answer stops the rest", async () => {
  const log: string[] = [];
  const route = new RouteHandler(parts({ middleware: [step(log, "a"), step(log, "b", 403), step(log, "c")] }));
  const { req, res, sink } = exchangeFor("/");
  assert.equal(route.handle(req, res), true);
  assert.deepEqual(log, ["a", "b"]);
  assert.equal(sink.parsed().status, 403);
});

test("a middleware that decides later (bcrypt) holds the rest until it lets the request through", async () => {
  const log: string[] = [];
  const route = new RouteHandler(parts({ middleware: [step(log, "a"), step(log, "auth", 0, true), step(log, "c")] }));
  const { req, res, sink } = exchangeFor("/");
  const result = route.handle(req, res);
  assert.ok(result instanceof Promise);
  assert.equal(await result, true);
  assert.deepEqual(log, ["a", "auth", "c"]);
  assert.equal(sink.parsed().body.toString(), "handler");
  const refused: string[] = [];
  const denied = new RouteHandler(parts({ middleware: [step(refused, "auth", 401, true), step(refused, "c")] }));
  const second = exchangeFor("/");
  assert.equal(await denied.handle(second.req, second.res), true);
  assert.deepEqual(refused, ["auth"]);
  assert.equal(second.sink.parsed().status, 401);
});

test("a declared body above the route's max_body gets 413 before anything runs; the limits go on the request", () => {
  const log: string[] = [];
  const route = new RouteHandler(parts({ middleware: [step(log, "a")], maxBodyBytes: 10, bodyTimeoutMs: 500 }));
  const big = exchangeFor("/", { "Content-Length": "11" }, "POST");
  assert.equal(route.handle(big.req, big.res), true);
  assert.equal(big.sink.parsed().status, 413);
  assert.deepEqual(log, []);
  const small = exchangeFor("/", { "Content-Length": "10" }, "POST");
  route.handle(small.req, small.res);
  assert.equal(small.req.maxBodyBytes, 10, "a chunked body is held to it while it is read");
  assert.equal(small.req.bodyTimeoutMs, 500);
  const plain = exchangeFor("/", { "Content-Length": "10" }, "POST");
  new RouteHandler(parts({})).handle(plain.req, plain.res);
  assert.equal(plain.req.maxBodyBytes, -1, "without limits of its own the server's apply");
});
