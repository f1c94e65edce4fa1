// The opt-in status endpoints: statistics summed over all worker threads as JSON and Prometheus
// text, and the dashboard page that polls them.

import assert from "node:assert/strict";
import { test } from "node:test";
import { exchange, parseResponses } from "../helpers/raw.ts";
import { makeSite, startServer } from "../helpers/server.ts";

async function get(port: number, target: string): Promise<{ status: number; body: string; type: string }> {
  const { bytes } = await exchange(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
  const [res] = parseResponses(bytes);
  return { status: res!.status, body: res!.body.toString(), type: res!.headers["content-type"] ?? "" };
}

test("--status-path serves stats of all threads as JSON, Prometheus and a dashboard", async () => {
  const server = await startServer({
    args: ["--root", makeSite({ "a.txt": "hello" }), "-t", "2", "--quiet", "--status-path", "/_portico/"],
  });
  try {
    for (let i = 0; i < 30; i++) await get(server.port, "/a.txt");
    for (let i = 0; i < 5; i++) await get(server.port, "/nope");
    await new Promise((r) => setTimeout(r, 600));
    const stats = await get(server.port, "/_portico/stats");
    assert.equal(stats.type, "application/json; charset=utf-8");
    const s = JSON.parse(stats.body) as {
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

    const metrics = await get(server.port, "/_portico/metrics");
    assert.match(metrics.type, /^text\/plain; version=0\.0\.4/);
    assert.match(metrics.body, /^portico_requests_total\{code="200"\} 3\d$/m);
    assert.match(metrics.body, /^# TYPE portico_request_duration_seconds histogram$/m);

    const page = await get(server.port, "/_portico");
    assert.equal(page.status, 200);
    assert.match(page.body, /<title>Portico status<\/title>/);
    assert.match(page.body, /"\/_portico\/stats"/);
    assert.equal((await get(server.port, "/_portico/other")).status, 404);
  } finally {
    await server.stop();
  }
});
