import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDelay, MAX_RETRY_MS, renewalTime, retryDelay, timeInWindow } from "../../../src/tls/acme/renewal.ts";

const DAY = 86_400_000;

test("renewal is due when a third of the lifetime remains, up to a thirtieth earlier with jitter", () => {
  const notBefore = 0;
  const notAfter = 90 * DAY;
  assert.equal(renewalTime(notBefore, notAfter, 0), 60 * DAY);
  assert.equal(renewalTime(notBefore, notAfter, 0.999999), 60 * DAY - 0.999999 * 3 * DAY);
  assert.ok(renewalTime(notBefore, notAfter, 0.5) < 60 * DAY);
  assert.equal(renewalTime(0, 6 * DAY, 0), 4 * DAY);
});

test("a time inside the CA's renewal window (RFC 9773 §4.2)", () => {
  assert.equal(timeInWindow(100, 200, 0), 100);
  assert.equal(timeInWindow(100, 200, 0.5), 150);
  assert.equal(timeInWindow(200, 100, 0.5), 200);
});

test("back-off doubles from the first delay, is capped, and honours Retry-After", () => {
  assert.deepEqual(
    [1, 2, 3, 4].map((n) => retryDelay(n, 60_000)),
    [60_000, 120_000, 240_000, 480_000],
  );
  assert.equal(retryDelay(40, 60_000), MAX_RETRY_MS);
  assert.equal(retryDelay(1, 60_000, 3_600_000), 3_600_000);
});

test("delays read as seconds, minutes or hours", () => {
  assert.equal(formatDelay(1000), "1s");
  assert.equal(formatDelay(90_000), "90s");
  assert.equal(formatDelay(30 * 60_000), "30m");
  assert.equal(formatDelay(6 * 3_600_000), "6h");
});
