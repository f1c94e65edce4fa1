// The registry of route slots (the same slot for the same site and route in every thread and across
// reloads, a fresh one for a new route, the overflow slot once full) and the sums over thread rows.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  NO_ROUTE_LABEL,
  OVERFLOW_LABEL,
  R_RATE_LIMITED,
  ROUTE_FIELDS,
  ROUTE_OVERFLOW,
  ROUTE_ROW_SLOTS,
  ROUTE_SLOTS,
  ROUTE_UNMATCHED,
  RouteSlots,
  routeField,
  routeLabel,
  routeSnapshot,
} from "../../src/observe/route-stats.ts";

function registry(): BigInt64Array {
  return new BigInt64Array(new SharedArrayBuffer(ROUTE_SLOTS * 8));
}

test("two threads registering the same routes get the same slots; a new route gets a new one", () => {
  const table = registry();
  const a = new RouteSlots(table);
  const b = new RouteSlots(table);
  const api = a.slotOf("shop.test", "/api/");
  const root = a.slotOf("shop.test", "/");
  assert.notEqual(api, root);
  assert.ok(api !== ROUTE_UNMATCHED && api !== ROUTE_OVERFLOW);
  assert.equal(b.slotOf("shop.test", "/"), root);
  assert.equal(b.slotOf("shop.test", "/api/"), api);
  // The same path on another site is another route.
  assert.notEqual(b.slotOf("blog.test", "/api/"), api);
  // A reload that drops a route and brings it back later finds its slot (and its totals) again.
  const later = new RouteSlots(table);
  later.slotOf("shop.test", "/new/");
  assert.equal(later.slotOf("shop.test", "/api/"), api);
});

test("once every slot is taken, further routes share the overflow slot", () => {
  const slots = new RouteSlots(registry());
  const taken = new Set<number>();
  for (let i = 0; i < ROUTE_SLOTS - 2; i++) taken.add(slots.slotOf("s", `/r${i}/`));
  assert.equal(taken.size, ROUTE_SLOTS - 2);
  assert.equal(slots.slotOf("s", "/one-too-many/"), ROUTE_OVERFLOW);
  assert.equal(slots.slotOf("s", "/r0/"), [...taken][0], "registered ones are still found");
});

test("labels: an exact route is written with its =, as in the file", () => {
  assert.equal(routeLabel({ path: "/healthz", exact: true }), "=/healthz");
  assert.equal(routeLabel({ path: "/api/", exact: false }), "/api/");
});

test("a finished request's counter: protocol × status class; no counter for a status outside 1xx–5xx", () => {
  assert.equal(routeField(1, 200), 5 + 1);
  assert.equal(routeField(0, 101), 0);
  assert.equal(routeField(2, 599), 2 * 5 + 4);
  assert.equal(routeField(1, 0), -1);
  assert.equal(routeField(1, 600), -1);
});

test("the snapshot sums the thread rows; unmatched and overflow rows appear only when they counted", () => {
  const rows = new BigInt64Array(new SharedArrayBuffer(2 * ROUTE_ROW_SLOTS * 8));
  const add = (thread: number, slot: number, field: number, n: number): void => {
    rows[thread * ROUTE_ROW_SLOTS + slot * ROUTE_FIELDS + field]! += BigInt(n);
  };
  add(0, 2, routeField(1, 200), 3);
  add(1, 2, routeField(1, 200), 4);
  add(1, 2, routeField(2, 404), 1);
  add(0, 2, R_RATE_LIMITED, 2);
  add(1, ROUTE_UNMATCHED, routeField(1, 400), 1);
  const entries = [
    { site: "a.test", route: "/api/", slot: 2, rateLimited: true },
    { site: "a.test", route: "/", slot: 3, rateLimited: false },
    { site: "a.test", route: NO_ROUTE_LABEL, slot: 4, rateLimited: false },
  ];
  const snap = routeSnapshot(rows, 2, entries);
  assert.deepEqual(
    snap.map((r) => [r.site, r.route, r.requests, r.rateLimited]),
    [
      ["a.test", "/api/", 8, 2],
      ["a.test", "/", 0, null],
      [NO_ROUTE_LABEL, NO_ROUTE_LABEL, 1, null],
    ],
  );
  assert.deepEqual(snap[0]!.classes, { "1xx": 0, "2xx": 7, "3xx": 0, "4xx": 1, "5xx": 0 });
  assert.equal(snap[0]!.byProtocol["HTTP/1.1"]!["2xx"], 7);
  assert.equal(snap[0]!.byProtocol["HTTP/2"]!["4xx"], 1);
  // Overflowed routes are shown together, never under one route's name.
  add(0, ROUTE_OVERFLOW, routeField(1, 200), 5);
  const over = routeSnapshot(rows, 2, [{ site: "b.test", route: "/x/", slot: ROUTE_OVERFLOW, rateLimited: false }]);
  assert.deepEqual(
    over.map((r) => [r.site, r.route, r.requests]),
    [
      [NO_ROUTE_LABEL, NO_ROUTE_LABEL, 1],
      [OVERFLOW_LABEL, OVERFLOW_LABEL, 5],
    ],
  );
});
