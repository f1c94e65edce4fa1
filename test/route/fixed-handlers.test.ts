// Unit tests for the redirect and respond handlers: the matched path replaced with one slash at the
// seam, the rest and the query kept; a fixed answer sent as one prepared response.

import assert from "node:assert/strict";
import { test } from "node:test";
import { RedirectHandler, RespondHandler } from "../../src/route/fixed-handlers.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";

function redirect(handler: RedirectHandler, target: string) {
  const { req, res, sink } = exchangeFor(target);
  assert.equal(handler.handle(req, res), true);
  return sink.parsed();
}

test("a prefix route's path is replaced; the rest of the path and the query are kept", () => {
  const old = new RedirectHandler("/old/", "/new/", 301, false);
  const r = redirect(old, "/old/a/b.html?x=1&y=2");
  assert.equal(r.status, 301);
  assert.equal(r.headers.location, "/new/a/b.html?x=1&y=2");
  assert.equal(redirect(old, "/old/").headers.location, "/new/");
});

test("the seam keeps exactly one slash; a URL target works the same", () => {
  assert.equal(redirect(new RedirectHandler("/old", "/new/", 302, false), "/old/x").headers.location, "/new/x");
  assert.equal(redirect(new RedirectHandler("/old/", "/new", 302, false), "/old/x").headers.location, "/newx");
  const away = redirect(new RedirectHandler("/", "https://example.test/", 308, false), "/a?b");
  assert.equal(away.status, 308);
  assert.equal(away.headers.location, "https://example.test/a?b");
});

test("an exact route's whole path is replaced", () => {
  const r = redirect(new RedirectHandler("/login", "/account/login", 307, true), "/login?next=/x");
  assert.equal(r.status, 307);
  assert.equal(r.headers.location, "/account/login?next=/x");
});

test("respond sends its status, body and content type", () => {
  const handler = new RespondHandler(200, "ok\n", "text/plain; charset=utf-8");
  const { req, res, sink } = exchangeFor("/healthz");
  assert.equal(handler.handle(req, res), true);
  const { status, headers, body } = sink.parsed();
  assert.equal(status, 200);
  assert.equal(headers["content-type"], "text/plain; charset=utf-8");
  assert.equal(headers["content-length"], "3");
  assert.equal(body.toString(), "ok\n");
  const head = exchangeFor("/healthz", {}, "HEAD");
  handler.handle(head.req, head.res);
  assert.equal(head.sink.parsed().body.length, 0);
});
