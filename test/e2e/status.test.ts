// The opt-in status endpoints: statistics summed over all worker threads as JSON and Prometheus
// text, and the dashboard page that polls them.

import assert from "node:assert/strict";
import { test } from "node:test";
import { get } from "../helpers/raw.ts";
import { makeSite, startServer } from "../helpers/server.ts";
import { delay } from "../helpers/wait.ts";

test("--status-path serves stats of all threads as JSON, Prometheus and a dashboard", async () => {
  const server = await startServer({
    args: ["--root", makeSite({ "a.txt": "hello" }), "-t", "2", "--quiet", "--status-path", "/_portico/"],
  });
  try {
    for (let i = 0; i < 30; i++) await get(server.port, "/a.txt");
    for (let i = 0; i < 5; i++) await get(server.port, "/nope");
    await delay(600);
    const stats = await get(server.port, "/_portico/stats");
    assert.equal(stats.headers["content-type"], "application/json; charset=utf-8");
    const s = JSON.parse(stats.body.toString()) as {
      requests: number;
      status: Record<string, number>;
      threads: number;
      bytesOut: number;
      perThread: Array<{ requests: number }>;
    };
    assert.equal(s.threads, 2);
    assert.equal(s.status["200"], 30);
    assert.equal(s.status["404"], 5);
    assert.equal(s.requests, 35);
    assert.equal(
      s.perThread.reduce((n, t) => n + t.requests, 0),
      35,
    );
    assert.ok(s.bytesOut >= 150);
    // 35 lookups: the first of /a.txt on each thread may miss, the 404s always do.
    const cache = (s as unknown as { fileCache: { hits: number; misses: number } }).fileCache;
    assert.equal(cache.hits + cache.misses, 35);
    assert.ok(cache.hits >= 28, `${cache.hits} hits`);

    const metrics = await get(server.port, "/_portico/metrics");
    assert.match(metrics.headers["content-type"] ?? "", /^text\/plain; version=0\.0\.4/);
    assert.match(metrics.body.toString(), /^portico_requests_total\{code="200"\} 3\d$/m);
    assert.match(metrics.body.toString(), /^# TYPE portico_request_duration_seconds histogram$/m);

    const page = await get(server.port, "/_portico");
    assert.equal(page.status, 200);
    assert.match(page.body.toString(), /<title>Portico status<\/title>/);
    assert.match(page.body.toString(), /data-base="\/_portico"/);
    assert.equal((await get(server.port, "/_portico/uplot.js")).status, 200, "uPlot is served by Portico");
    assert.equal((await get(server.port, "/_portico/other")).status, 404);
  } finally {
    await server.stop();
  }
});
