// Who may see the status path: loopback always (IPv4, IPv6 and IPv4-mapped), listed networks too.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ClientAllow, checkAllowEntry } from "../../src/observe/client-allow.ts";

test("loopback only by default, whatever the address family", () => {
  const allow = new ClientAllow([]);
  for (const a of ["127.0.0.1", "127.9.8.7", "::1", "::ffff:127.0.0.1"]) assert.equal(allow.allows(a), true, a);
  for (const a of ["192.0.2.1", "10.0.0.1", "::ffff:10.0.0.1", "fd00::1", "", "not-an-address"])
    assert.equal(allow.allows(a), false, a);
});

test("listed addresses and CIDR blocks are allowed, IPv4 ones for IPv4-mapped peers too", () => {
  const allow = new ClientAllow(["10.0.0.0/8", "192.0.2.7", "fd00::/8"]);
  for (const a of ["10.1.2.3", "::ffff:10.1.2.3", "192.0.2.7", "fd12::1", "127.0.0.1"])
    assert.equal(allow.allows(a), true, a);
  for (const a of ["11.0.0.1", "192.0.2.8", "fe80::1"]) assert.equal(allow.allows(a), false, a);
});

test("entries that are not addresses or blocks are refused with the reason", () => {
  assert.equal(checkAllowEntry("10.0.0.0/8"), "");
  assert.equal(checkAllowEntry("::1"), "");
  assert.match(checkAllowEntry("10.0.0.0/33"), /prefix length must be 0–32/);
  assert.match(checkAllowEntry("fd00::/129"), /0–128/);
  assert.match(checkAllowEntry("example.com"), /not an IP address/);
  assert.throws(() => new ClientAllow(["10.0.0.0/x"]));
});
