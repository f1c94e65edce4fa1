// The exposition of a snapshot read back by a strict parser of the text format (the checks promtool's
// `check metrics` makes), and the parser itself refusing what Prometheus would refuse.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { StatsSnapshot } from "../../src/observe/admin.ts";
import { prometheus } from "../../src/observe/prometheus.ts";
import { parseExposition } from "../helpers/exposition.ts";

function snapshot(): StatsSnapshot {
  const buckets = Array.from({ length: 28 }, (_, k) => ({
    leMs: k === 27 ? Number.POSITIVE_INFINITY : 2 ** k / 1000,
    count: k === 10 ? 3 : k === 16 ? 2 : k === 27 ? 1 : 0,
  }));
  return {
    version: "1.2.3",
    uptimeSeconds: 12,
    threads: 2,
    requests: 6,
    statusPathRequests: 4,
    bytesIn: 600,
    bytesOut: 6000,
    connections: { active: 1, total: 5, rejected: 0 },
    status: { "200": 5, "404": 1 },
    statusClasses: { "1xx": 0, "2xx": 5, "3xx": 0, "4xx": 1, "5xx": 0 },
    protocols: { "HTTP/1.0": 1, "HTTP/1.1": 5, "HTTP/2": 0 },
    latency: { count: 6, sumSeconds: 200.5, meanMs: 33_416, p50Ms: 1, p90Ms: 60, p99Ms: 200_000, buckets },
    process: { residentBytes: 50_000_000 },
    fileCache: { hits: 9, misses: 2, bytes: 4096, entries: 2 },
    upstreams: [
      {
        upstream: "[::1]:8080",
        weight: 2,
        up: false,
        downThreads: 1,
        tries: 7,
        active: 1,
        idle: 3,
        retries: 2,
        failures: { connect: 2, timeout: 0, reset: 1, protocol: 0 },
        status: { "1xx": 0, "2xx": 3, "3xx": 0, "4xx": 0, "5xx": 1 },
        responseTime: {
          count: 4,
          sumSeconds: 0.25,
          buckets: [
            { leMs: 50, count: 1 },
            { leMs: 100, count: 4 },
            { leMs: Number.POSITIVE_INFINITY, count: 4 },
          ],
        },
        ejections: 1,
        lastFailure: { kind: "reset", at: "2026-12-04T16:00:00.000Z" },
      },
    ],
    perThread: [
      {
        thread: 0,
        requests: 4,
        activeConnections: 1,
        heapUsedBytes: 9e6,
        heapTotalBytes: 1e7,
        cacheBytes: 2048,
        loopDelayP99Ms: 10.2,
        loopDelayMaxMs: 11,
      },
      {
        thread: 1,
        requests: 2,
        activeConnections: 0,
        heapUsedBytes: 8e6,
        heapTotalBytes: 1e7,
        cacheBytes: 2048,
        loopDelayP99Ms: 10.1,
        loopDelayMaxMs: 10.5,
      },
    ],
    routes: [
      {
        site: "shop.test",
        route: "/api/",
        requests: 5,
        classes: { "1xx": 0, "2xx": 3, "3xx": 0, "4xx": 2, "5xx": 0 },
        byProtocol: {
          "HTTP/1.0": { "1xx": 0, "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
          "HTTP/1.1": { "1xx": 0, "2xx": 2, "3xx": 0, "4xx": 2, "5xx": 0 },
          "HTTP/2": { "1xx": 0, "2xx": 1, "3xx": 0, "4xx": 0, "5xx": 0 },
        },
        rateLimited: 2,
      },
      {
        site: 'odd "site"',
        route: "=/healthz",
        requests: 1,
        classes: { "1xx": 0, "2xx": 1, "3xx": 0, "4xx": 0, "5xx": 0 },
        byProtocol: { "HTTP/1.1": { "1xx": 0, "2xx": 1, "3xx": 0, "4xx": 0, "5xx": 0 } },
        rateLimited: null,
      },
    ],
    tls: {
      handshakes: { full: 7, resumed: 3 },
      failures: { version: 1, cipher: 0, certificate: 0, reset: 0, other: 0 },
      certificates: [
        {
          name: "shop.test",
          names: ["shop.test", "www.shop.test"],
          source: "acme",
          keyType: "ec",
          notBefore: "2026-12-01T00:00:00.000Z",
          notAfter: "2027-03-01T00:00:00.000Z",
          notAfterSeconds: Date.UTC(2027, 2, 1) / 1000,
          expiresInSeconds: 7_000_000,
        },
      ],
    },
  };
}

test("the exposition passes the strict parser: cumulative buckets, +Inf equal to _count, _sum", () => {
  const m = parseExposition(prometheus(snapshot()));
  assert.equal(m.families.get("portico_request_duration_seconds")?.type, "histogram");
  assert.equal(m.value("portico_request_duration_seconds_count"), 6);
  assert.equal(m.value("portico_request_duration_seconds_sum"), 200.5);
  assert.equal(m.value("portico_request_duration_seconds_bucket", { le: "0.001024" }), 3);
  assert.equal(m.value("portico_request_duration_seconds_bucket", { le: "0.065536" }), 5);
  assert.equal(m.value("portico_request_duration_seconds_bucket", { le: "67.108864" }), 5);
  assert.equal(m.value("portico_request_duration_seconds_bucket", { le: "+Inf" }), 6, "past the last bound");
  assert.equal(m.value("portico_requests_total", { code: "404" }), 1);
  assert.equal(m.value("portico_responses_by_class_total", { class: "2xx" }), 5);
  assert.equal(m.value("portico_requests_by_protocol_total", { protocol: "HTTP/1.0" }), 1);
  assert.equal(m.value("portico_status_path_requests_total"), 4);
  assert.equal(m.value("portico_thread_heap_used_bytes", { thread: "1" }), 8e6);
  assert.equal(m.value("portico_thread_event_loop_delay_p99_seconds", { thread: "0" }), 0.0102);
  assert.equal(m.value("portico_process_resident_memory_bytes"), 50_000_000);
  assert.equal(m.value("portico_file_cache_hits_total"), 9);
  assert.equal(m.value("portico_file_cache_bytes"), 4096);
  const up = { upstream: "[::1]:8080" };
  assert.equal(m.value("portico_upstream_requests_total", up), 7);
  assert.equal(m.value("portico_upstream_failures_total", { ...up, kind: "connect" }), 2);
  assert.equal(m.value("portico_upstream_responses_total", { ...up, class: "5xx" }), 1);
  assert.equal(m.value("portico_upstream_up", up), 0);
  assert.equal(m.value("portico_upstream_response_duration_seconds_bucket", { ...up, le: "0.1" }), 4);
  assert.equal(m.value("portico_upstream_response_duration_seconds_count", up), 4);
  const api = { site: "shop.test", route: "/api/" };
  assert.equal(m.value("portico_route_requests_total", { ...api, class: "4xx", protocol: "HTTP/1.1" }), 2);
  assert.equal(m.value("portico_route_requests_total", { ...api, class: "2xx", protocol: "HTTP/2" }), 1);
  assert.equal(m.value("portico_route_requests_total", { ...api, class: "5xx", protocol: "HTTP/1.0" }), 0);
  assert.equal(
    m.value("portico_route_requests_total", {
      site: 'odd "site"',
      route: "=/healthz",
      class: "2xx",
      protocol: "HTTP/1.1",
    }),
    1,
    "label values escaped",
  );
  assert.equal(m.value("portico_route_rate_limited_total", api), 2);
  assert.equal(m.families.get("portico_route_rate_limited_total")?.series.length, 1, "only rate-limited routes");
  assert.equal(m.value("portico_tls_handshakes_total", { resumed: "false" }), 7);
  assert.equal(m.value("portico_tls_handshakes_total", { resumed: "true" }), 3);
  assert.equal(m.value("portico_tls_handshake_failures_total", { kind: "version" }), 1);
  const cert = { name: "shop.test", source: "acme", key_type: "ec" };
  assert.equal(m.value("portico_tls_certificate_not_after_timestamp_seconds", cert), Date.UTC(2027, 2, 1) / 1000);
  assert.equal(m.value("portico_tls_certificate_not_before_timestamp_seconds", cert), Date.UTC(2026, 11, 1) / 1000);
  for (const [name, family] of m.families) {
    assert.notEqual(family.help, "", `${name} has HELP`);
    assert.notEqual(family.type, "untyped", `${name} has TYPE`);
  }
});

test("without a TLS listener or routes there are no TLS or route series", () => {
  const plain = {
    ...snapshot(),
    routes: [],
    tls: { handshakes: { full: 0, resumed: 0 }, failures: {}, certificates: [] },
  };
  const names = [...parseExposition(prometheus(plain)).families.keys()];
  assert.deepEqual(
    names.filter((n) => n.startsWith("portico_tls_") || n.startsWith("portico_route_")),
    [],
  );
});

test("the strict parser refuses what Prometheus refuses", () => {
  const bad = [
    "x_total 1", // no final newline
    "# TYPE a_total counter\na_total 1\n# TYPE a_total counter\n",
    "a 1\n# TYPE a gauge\n",
    "# TYPE c counter\nc 1\n",
    'a{1x="v"} 1\n',
    'a{x="v",x="w"} 1\n',
    "a 1\na 2\n",
    'a 1\nb 1\na{x="y"} 1\n',
    "a one\n",
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_sum 1\nh_count 2\n',
    '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n',
    '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_count 2\n',
  ];
  for (const text of bad) assert.throws(() => parseExposition(text), Error, JSON.stringify(text));
  assert.doesNotThrow(() =>
    parseExposition('# HELP a_total A \\\\ b.\n# TYPE a_total counter\na_total{x="q\\"n\\n"} 1 1700000000000\n'),
  );
});
