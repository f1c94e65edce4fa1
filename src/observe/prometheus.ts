// The Prometheus text exposition format 0.0.4 of a statistics snapshot: counters end in _total,
// the latency histogram has cumulative _bucket series with le="+Inf", _sum and _count, and every label
// set is bounded (status codes, classes, protocols, threads, configured sites, routes, upstreams and
// certificates; never request paths).

import type { StatsSnapshot } from "./admin.ts";

type Sample = readonly [labels: string, value: number];

export function prometheus(s: StatsSnapshot): string {
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, samples: readonly Sample[]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${labels} ${formatNumber(value)}`);
  };
  metric(
    "portico_requests_total",
    "counter",
    "Requests answered, by status code (the status path's own excluded).",
    Object.entries(s.status).map(([code, n]) => [`{code="${code}"}`, n]),
  );
  metric(
    "portico_responses_by_class_total",
    "counter",
    "Requests answered, by status class.",
    Object.entries(s.statusClasses).map(([cls, n]) => [`{class="${cls}"}`, n]),
  );
  metric(
    "portico_requests_by_protocol_total",
    "counter",
    "Requests answered, by protocol version.",
    Object.entries(s.protocols).map(([protocol, n]) => [`{protocol="${protocol}"}`, n]),
  );
  metric("portico_status_path_requests_total", "counter", "Requests for the status path itself.", [
    ["", s.statusPathRequests],
  ]);
  out.push(
    "# HELP portico_request_duration_seconds Time from a request's first byte read to its last byte handed to the socket.",
    "# TYPE portico_request_duration_seconds histogram",
  );
  let cumulative = 0;
  for (const b of s.latency.buckets) {
    cumulative += b.count;
    if (Number.isFinite(b.leMs))
      out.push(`portico_request_duration_seconds_bucket{le="${formatNumber(b.leMs / 1000)}"} ${cumulative}`);
  }
  out.push(
    `portico_request_duration_seconds_bucket{le="+Inf"} ${s.latency.count}`,
    `portico_request_duration_seconds_sum ${formatNumber(s.latency.sumSeconds)}`,
    `portico_request_duration_seconds_count ${s.latency.count}`,
  );
  metric("portico_bytes_received_total", "counter", "Request bytes received (heads and declared bodies).", [
    ["", s.bytesIn],
  ]);
  metric("portico_bytes_sent_total", "counter", "Response body bytes sent.", [["", s.bytesOut]]);
  metric("portico_connections_active", "gauge", "Open client connections.", [["", s.connections.active]]);
  metric("portico_connections_total", "counter", "Client connections accepted.", [["", s.connections.total]]);
  metric("portico_connections_rejected_total", "counter", "Connections refused by --max-connections.", [
    ["", s.connections.rejected],
  ]);
  const threads = (pick: (t: StatsSnapshot["perThread"][number]) => number): Sample[] =>
    s.perThread.map((t) => [`{thread="${t.thread}"}`, pick(t)]);
  metric(
    "portico_thread_requests_total",
    "counter",
    "Requests answered per worker thread.",
    threads((t) => t.requests),
  );
  metric(
    "portico_thread_connections_active",
    "gauge",
    "Open client connections per worker thread.",
    threads((t) => t.activeConnections),
  );
  metric(
    "portico_thread_heap_used_bytes",
    "gauge",
    "JavaScript heap in use per worker thread.",
    threads((t) => t.heapUsedBytes),
  );
  metric(
    "portico_thread_heap_total_bytes",
    "gauge",
    "JavaScript heap reserved per worker thread.",
    threads((t) => t.heapTotalBytes),
  );
  metric(
    "portico_thread_event_loop_delay_p99_seconds",
    "gauge",
    "99th percentile of the event-loop delay over the last second, per worker thread.",
    threads((t) => t.loopDelayP99Ms / 1000),
  );
  metric(
    "portico_thread_event_loop_delay_max_seconds",
    "gauge",
    "Longest event-loop delay over the last second, per worker thread.",
    threads((t) => t.loopDelayMaxMs / 1000),
  );
  metric("portico_file_cache_hits_total", "counter", "File cache lookups that found an entry.", [
    ["", s.fileCache.hits],
  ]);
  metric("portico_file_cache_misses_total", "counter", "File cache lookups that found none.", [
    ["", s.fileCache.misses],
  ]);
  metric("portico_file_cache_bytes", "gauge", "Bytes held by the file caches of all threads.", [
    ["", s.fileCache.bytes],
  ]);
  metric("portico_file_cache_entries", "gauge", "Entries held by the file caches of all threads.", [
    ["", s.fileCache.entries],
  ]);
  metric("portico_process_resident_memory_bytes", "gauge", "Resident set size of the process.", [
    ["", s.process.residentBytes],
  ]);
  metric("portico_uptime_seconds", "gauge", "Seconds since start.", [["", s.uptimeSeconds]]);
  if (s.upstreams.length > 0) upstreamMetrics(s, metric, out);
  routeMetrics(s, metric);
  tlsMetrics(s, metric);
  return `${out.join("\n")}\n`;
}

/** Requests by site, route, status class and protocol; the rate limit's rejections per route. */
function routeMetrics(s: StatsSnapshot, metric: MetricWriter): void {
  if (s.routes.length === 0) return;
  const label = (r: (typeof s.routes)[number]): string =>
    `site="${escapeLabel(r.site)}",route="${escapeLabel(r.route)}"`;
  metric(
    "portico_route_requests_total",
    "counter",
    "Requests answered, by site, route, status class and protocol (the status path's own excluded).",
    s.routes.flatMap((r) =>
      Object.entries(r.byProtocol).flatMap(([protocol, classes]) =>
        Object.entries(classes).map(([cls, n]): Sample => [`{${label(r)},class="${cls}",protocol="${protocol}"}`, n]),
      ),
    ),
  );
  const limited = s.routes.filter((r) => r.rateLimited !== null);
  if (limited.length === 0) return;
  metric(
    "portico_route_rate_limited_total",
    "counter",
    "Requests the route's rate limit answered 429.",
    limited.map((r): Sample => [`{${label(r)}}`, r.rateLimited ?? 0]),
  );
}

/** TLS handshakes and the certificates served, with their expiry as a Unix time. */
function tlsMetrics(s: StatsSnapshot, metric: MetricWriter): void {
  const t = s.tls;
  // Without a TLS listener there is nothing to say.
  if (t.certificates.length === 0 && t.handshakes.full + t.handshakes.resumed === 0) return;
  metric("portico_tls_handshakes_total", "counter", "TLS handshakes completed, by whether a session was resumed.", [
    ['{resumed="false"}', t.handshakes.full],
    ['{resumed="true"}', t.handshakes.resumed],
  ]);
  metric(
    "portico_tls_handshake_failures_total",
    "counter",
    "TLS handshakes that failed, by kind: version, cipher, certificate, reset, other.",
    Object.entries(t.failures).map(([kind, n]): Sample => [`{kind="${kind}"}`, n]),
  );
  if (t.certificates.length === 0) return;
  const label = (c: (typeof t.certificates)[number]): string =>
    `{name="${escapeLabel(c.name)}",source="${c.source}",key_type="${escapeLabel(c.keyType)}"}`;
  metric(
    "portico_tls_certificate_not_after_timestamp_seconds",
    "gauge",
    "When each served certificate expires (notAfter), in seconds since the Unix epoch.",
    t.certificates.map((c): Sample => [label(c), c.notAfterSeconds]),
  );
  metric(
    "portico_tls_certificate_not_before_timestamp_seconds",
    "gauge",
    "When each served certificate became valid (notBefore), in seconds since the Unix epoch.",
    t.certificates.map((c): Sample => [label(c), Math.floor(Date.parse(c.notBefore) / 1000)]),
  );
}

type MetricWriter = (name: string, type: string, help: string, samples: readonly Sample[]) => void;

/** The per-upstream series, labelled by "host:port" (bounded: the configured upstreams). */
function upstreamMetrics(s: StatsSnapshot, metric: MetricWriter, out: string[]): void {
  const ups = s.upstreams;
  const label = (u: (typeof ups)[number]): string => `upstream="${escapeLabel(u.upstream)}"`;
  const each = (pick: (u: (typeof ups)[number]) => number): Sample[] => ups.map((u) => [`{${label(u)}}`, pick(u)]);
  metric(
    "portico_upstream_requests_total",
    "counter",
    "Tries sent to each upstream, retries included.",
    each((u) => u.tries),
  );
  metric(
    "portico_upstream_idle_connections",
    "gauge",
    "Idle keep-alive connections to each upstream (sampled once a second).",
    each((u) => u.idle),
  );
  metric(
    "portico_upstream_retries_total",
    "counter",
    "Tries that were retries of a failed try.",
    each((u) => u.retries),
  );
  metric(
    "portico_upstream_active_requests",
    "gauge",
    "Tries in flight.",
    each((u) => u.active),
  );
  metric(
    "portico_upstream_failures_total",
    "counter",
    "Failed tries, by kind: connect, timeout, reset, protocol.",
    ups.flatMap((u) => Object.entries(u.failures).map(([kind, n]): Sample => [`{${label(u)},kind="${kind}"}`, n])),
  );
  metric(
    "portico_upstream_responses_total",
    "counter",
    "Upstream answers, by status class.",
    ups.flatMap((u) => Object.entries(u.status).map(([cls, n]): Sample => [`{${label(u)},class="${cls}"}`, n])),
  );
  metric(
    "portico_upstream_up",
    "gauge",
    "1 while every thread has the upstream in rotation.",
    each((u) => (u.up ? 1 : 0)),
  );
  metric(
    "portico_upstream_ejections_total",
    "counter",
    "Times a thread took the upstream out of rotation.",
    each((u) => u.ejections),
  );
  metric(
    "portico_upstream_weight",
    "gauge",
    "Configured balancing weight.",
    each((u) => u.weight),
  );
  out.push(
    "# HELP portico_upstream_response_duration_seconds Time from choosing an upstream to the end of its answer.",
    "# TYPE portico_upstream_response_duration_seconds histogram",
  );
  for (const u of ups) {
    for (const b of u.responseTime.buckets) {
      const le = Number.isFinite(b.leMs) ? formatNumber(b.leMs / 1000) : "+Inf";
      out.push(`portico_upstream_response_duration_seconds_bucket{${label(u)},le="${le}"} ${b.count}`);
    }
    out.push(
      `portico_upstream_response_duration_seconds_sum{${label(u)}} ${formatNumber(u.responseTime.sumSeconds)}`,
      `portico_upstream_response_duration_seconds_count{${label(u)}} ${u.responseTime.count}`,
    );
  }
}

/** A label value as the text format escapes it. */
function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** A float as Prometheus reads it: no exponent surprises for small bucket bounds. */
function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12)));
}
