// UpstreamNotices: upstream state changes and errors become stderr lines; repeated errors are
// throttled per upstream and code, with a count of the lines left out.

import assert from "node:assert/strict";
import { test } from "node:test";
import { upstreamDownChannel, upstreamErrorChannel, upstreamUpChannel } from "../../src/proxy/events.ts";
import { UpstreamNotices } from "../../src/runtime/upstream-notices.ts";

test("an upstream leaving and rejoining the rotation is written with its source and reason", () => {
  const lines: string[] = [];
  const notices = new UpstreamNotices(3, (l) => lines.push(l));
  notices.start();
  try {
    upstreamDownChannel.publish({ upstream: "10.0.0.1:80", source: "active", reason: "health check got status 500" });
    upstreamUpChannel.publish({ upstream: "10.0.0.1:80", source: "passive", reason: "trial request succeeded" });
  } finally {
    notices.stop();
  }
  assert.deepEqual(lines, [
    "portico: upstream 10.0.0.1:80 is out of rotation (active: health check got status 500) [worker 3]",
    "portico: upstream 10.0.0.1:80 is back in rotation (passive: trial request succeeded) [worker 3]",
  ]);
});

test("upstream errors are written at most once a second per upstream and code, counting those left out", () => {
  const lines: string[] = [];
  let now = 1000;
  const notices = new UpstreamNotices(
    0,
    (l) => lines.push(l),
    () => now,
  );
  notices.start();
  const error = (upstream: string, code: string): void =>
    upstreamErrorChannel.publish({ upstream, code, message: `${code} at ${upstream}` });
  try {
    error("a:1", "CONNECT_FAILED");
    error("a:1", "CONNECT_FAILED");
    error("a:1", "RESPONSE_TIMEOUT");
    error("b:1", "CONNECT_FAILED");
    now += 500;
    error("a:1", "CONNECT_FAILED");
    now += 600;
    error("a:1", "CONNECT_FAILED");
    error("a:1", "CONNECT_FAILED");
  } finally {
    notices.stop();
  }
  assert.deepEqual(lines, [
    "portico: upstream error CONNECT_FAILED: CONNECT_FAILED at a:1 [worker 0]",
    "portico: upstream error RESPONSE_TIMEOUT: RESPONSE_TIMEOUT at a:1 [worker 0]",
    "portico: upstream error CONNECT_FAILED: CONNECT_FAILED at b:1 [worker 0]",
    "portico: upstream error CONNECT_FAILED: CONNECT_FAILED at a:1 (2 more like it since the last line) [worker 0]",
  ]);
});
