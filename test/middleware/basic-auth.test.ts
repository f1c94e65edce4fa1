// Unit tests for basic_auth (RFC 7617) against bcrypt entries: the challenge, wrong and right
// credentials, unknown users, and verdicts remembered so a browser's repeated field costs one check.

import assert from "node:assert/strict";
import { test } from "node:test";
import bcrypt from "bcryptjs";
import { BasicAuth } from "../../src/middleware/basic-auth.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";

const users = [{ name: "admin", hash: bcrypt.hashSync("secret", 4) }];
const basic = (credentials: string): Record<string, string> => ({
  Authorization: `Basic ${Buffer.from(credentials).toString("base64")}`,
});

test("no credentials: 401 with a challenge naming the realm (RFC 7617 §2)", () => {
  const auth = new BasicAuth({ realm: "shop admin", users });
  const { req, res, sink } = exchangeFor("/admin/");
  assert.equal(auth.intercept(req, res), true);
  const { status, headers } = sink.parsed();
  assert.equal(status, 401);
  assert.equal(headers["www-authenticate"], 'Basic realm="shop admin", charset="UTF-8"');
});

test("another scheme is refused like no credentials", () => {
  const auth = new BasicAuth({ realm: "r", users });
  const { req, res, sink } = exchangeFor("/", { Authorization: "Bearer abc" });
  assert.equal(auth.intercept(req, res), true);
  assert.equal(sink.parsed().status, 401);
});

test("the right password lets the request through; a wrong one or an unknown user gets 401", async () => {
  const auth = new BasicAuth({ realm: "r", users });
  const right = exchangeFor("/", basic("admin:secret"));
  assert.equal(await auth.intercept(right.req, right.res), false);
  assert.equal(right.sink.writes.length, 0);
  for (const credentials of ["admin:wrong", "nobody:secret", "no-colon"]) {
    const wrong = exchangeFor("/", basic(credentials));
    assert.equal(await auth.intercept(wrong.req, wrong.res), true, credentials);
    assert.equal(wrong.sink.parsed().status, 401);
  }
});

test("a verdict is remembered: the same field again is judged at once, without a promise", async () => {
  const auth = new BasicAuth({ realm: "r", users });
  const first = exchangeFor("/", basic("admin:secret"));
  const pending = auth.intercept(first.req, first.res);
  assert.ok(pending instanceof Promise, "the first check runs bcrypt asynchronously");
  assert.equal(await pending, false);
  const again = exchangeFor("/", basic("admin:secret"));
  assert.equal(auth.intercept(again.req, again.res), false);
  const wrong = exchangeFor("/", basic("admin:nope"));
  await auth.intercept(wrong.req, wrong.res);
  const wrongAgain = exchangeFor("/", basic("admin:nope"));
  assert.equal(auth.intercept(wrongAgain.req, wrongAgain.res), true, "a refusal is remembered too");
});

test("concurrent requests with the same credentials share one check", async () => {
  const auth = new BasicAuth({ realm: "r", users });
  const a = exchangeFor("/", basic("admin:secret"));
  const b = exchangeFor("/", basic("admin:secret"));
  const [ra, rb] = [auth.intercept(a.req, a.res), auth.intercept(b.req, b.res)];
  assert.ok(ra instanceof Promise && rb instanceof Promise);
  assert.deepEqual(await Promise.all([ra, rb]), [false, false]);
});
