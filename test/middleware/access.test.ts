// Unit tests for allow/deny: IPv4 and IPv6 ranges, IPv4-mapped addresses, deny over allow, and the
// 403 a refused client gets.

import assert from "node:assert/strict";
import { test } from "node:test";
import { AccessControl } from "../../src/middleware/access.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";

test("with an allow list only addresses in it pass, IPv4 and IPv6 alike", () => {
  const access = new AccessControl({ allow: ["10.0.0.0/8", "192.168.1.7", "2001:db8::/32"], deny: [] });
  assert.equal(access.admits("10.200.3.4"), true);
  assert.equal(access.admits("192.168.1.7"), true);
  assert.equal(access.admits("192.168.1.8"), false);
  assert.equal(access.admits("11.0.0.1"), false);
  assert.equal(access.admits("2001:db8:1::5"), true);
  assert.equal(access.admits("2001:db9::5"), false);
});

test("an IPv4-mapped IPv6 peer (a dual-stack socket) is judged as its IPv4 address", () => {
  const access = new AccessControl({ allow: ["10.0.0.0/8"], deny: [] });
  assert.equal(access.admits("::ffff:10.1.2.3"), true);
  assert.equal(access.admits("::ffff:127.0.0.1"), false);
});

test("a deny list refuses its addresses and lets the rest through; deny wins over allow", () => {
  const deny = new AccessControl({ allow: [], deny: ["203.0.113.0/24", "::1"] });
  assert.equal(deny.admits("203.0.113.9"), false);
  assert.equal(deny.admits("::1"), false);
  assert.equal(deny.admits("198.51.100.1"), true);
  const both = new AccessControl({ allow: ["10.0.0.0/8"], deny: ["10.9.0.0/16"] });
  assert.equal(both.admits("10.1.0.1"), true);
  assert.equal(both.admits("10.9.0.1"), false);
});

test("the same address asked twice in a row gets the same verdict (the one-entry memory)", () => {
  const access = new AccessControl({ allow: ["127.0.0.0/8"], deny: [] });
  for (let i = 0; i < 3; i++) assert.equal(access.admits("127.0.0.1"), true);
  assert.equal(access.admits("10.0.0.1"), false);
  assert.equal(access.admits("127.0.0.1"), true);
});

test("an address that cannot be parsed is refused", () => {
  assert.equal(new AccessControl({ allow: [], deny: ["10.0.0.0/8"] }).admits("not-an-address"), false);
});

test("a refused request is answered 403 and the handler never runs; an admitted one goes on", () => {
  const refused = exchangeFor("/internal/");
  assert.equal(new AccessControl({ allow: ["10.0.0.0/8"], deny: [] }).intercept(refused.req, refused.res), true);
  const { status, body } = refused.sink.parsed();
  assert.equal(status, 403);
  assert.equal(body.toString(), "Forbidden\n");
  const admitted = exchangeFor("/internal/");
  assert.equal(new AccessControl({ allow: ["127.0.0.1"], deny: [] }).intercept(admitted.req, admitted.res), false);
  assert.equal(admitted.sink.writes.length, 0);
});
