// The dashboard page served by admin.ts: one HTML document that polls PREFIX/history once a second
// and draws the last minutes as uPlot charts (requests/s, status classes, latency percentiles,
// bandwidth, connections), with cards, a status-code table, an upstream table like HAProxy's stats page,
// a table of sites and routes, the TLS certificates with their expiry, and a row per thread. uPlot comes from PREFIX/uplot.js (Portico serves it; no CDN). Its
// Content-Security-Policy (admin.ts) allows exactly what it uses. Not here: the figures (admin.ts).

/**
 * The page's own icon, inline: without one the browser asks the served site for /favicon.ico, which
 * logs a console error and shows up as a 404 in the very counters the page displays.
 */
const ICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%23345'/%3E%3C/svg%3E";

const STYLE = `
:root{--fg:#1d2330;--muted:#667;--bg:#f6f7f9;--card:#fff;--line:#dde1e7;--up:#1a7f37;--down:#c62828}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--muted:#9aa3ad;--bg:#14171c;--card:#1d2128;--line:#2e343d}}
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,sans-serif;margin:0;padding:1rem;color:var(--fg);background:var(--bg)}
h1{font-size:1.25rem;margin:0 0 .75rem}h2{font-size:1rem;margin:1.25rem 0 .5rem}
#version{color:var(--muted);font-weight:normal;font-size:.9rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(9rem,1fr));gap:.6rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.6rem}
.card b{display:block;font-size:1.3rem;font-variant-numeric:tabular-nums}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,26rem),1fr));gap:.6rem;margin-top:.75rem}
.chart{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.4rem;min-height:14rem;min-width:0;overflow:hidden}
.chart .u-title{font-size:.9rem;font-weight:600}
.chart .u-legend{font-size:.75rem}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;background:var(--card);font-variant-numeric:tabular-nums;margin:0 1rem .5rem 0}
.tables{display:flex;flex-wrap:wrap;align-items:flex-start}.tables>div{min-width:0;max-width:100%}
#upstreams-box{max-width:100%}
td,th{border:1px solid var(--line);padding:.3rem .55rem;text-align:right;white-space:nowrap}
th{background:var(--bg)}td:first-child,th:first-child{text-align:left}
.up{color:var(--up);font-weight:600}.down{color:var(--down);font-weight:600}
#error{color:var(--down);min-height:1.2em;margin:0}
@media (max-width:30rem){body{padding:.5rem}.card b{font-size:1.1rem}}
`;

/** The page's script: plain ES2020 run by the browser (strings concatenated: no template literals here). */
const SCRIPT = `
const base = document.body.dataset.base;
const charted = document.body.dataset.charts === "1";
const MAX_POINTS = 300;
let since = 0;
const fmtNum = (n) => n >= 100 ? Math.round(n).toLocaleString() : +n.toPrecision(3) + "";
const fmtBytes = (n) => n < 1024 ? Math.round(n) + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KiB" : n < 1073741824 ? (n / 1048576).toFixed(1) + " MiB" : (n / 1073741824).toFixed(2) + " GiB";
// No-break spaces: a narrow card wraps between two figures, never inside one.
const fmtMs = (n) => n < 1 ? Math.round(n * 1000) + "\\u00a0µs" : n < 1000 ? +n.toPrecision(3) + "\\u00a0ms" : (n / 1000).toFixed(2) + "\\u00a0s";
const set = (id, text) => { document.getElementById(id).textContent = text; };
function rows(id, data) {
  const body = document.getElementById(id);
  body.replaceChildren(...data.map((cells) => {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      if (c && typeof c === "object") { td.textContent = c.text; td.className = c.cls; if (c.title) td.title = c.title; }
      else td.textContent = String(c);
      tr.append(td);
    }
    return tr;
  }));
}
const CHARTS = [
  { id: "c-rps", title: "Requests/s", fmt: fmtNum, series: [["requests/s", "#3366cc", (s) => s.rps]] },
  { id: "c-status", title: "Responses/s by status", fmt: fmtNum, series: [
    ["2xx", "#1a7f37", (s) => s.classes[1]], ["3xx", "#3b82f6", (s) => s.classes[2]],
    ["4xx", "#e69500", (s) => s.classes[3]], ["5xx", "#c62828", (s) => s.classes[4]], ["1xx", "#888", (s) => s.classes[0]]] },
  { id: "c-latency", title: "Latency", fmt: fmtMs, series: [
    ["p50", "#1a7f37", (s) => s.p50Ms], ["p90", "#e69500", (s) => s.p90Ms], ["p99", "#c62828", (s) => s.p99Ms]] },
  { id: "c-bandwidth", title: "Bandwidth", fmt: (n) => fmtBytes(n) + "/s", series: [
    ["sent", "#3366cc", (s) => s.bytesOutPerSec], ["received", "#8e44ad", (s) => s.bytesInPerSec]] },
  { id: "c-connections", title: "Open connections", fmt: fmtNum, series: [["connections", "#555", (s) => s.connections]] },
];
const data = CHARTS.map((c) => [[], ...c.series.map(() => [])]);
const plots = [];
function makePlots() {
  for (const [i, c] of CHARTS.entries()) {
    const el = document.getElementById(c.id);
    const width = Math.max(200, el.clientWidth - 10);
    const opts = {
      title: c.title, width, height: 170,
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [{ stroke: "#888", grid: { stroke: "rgba(128,128,128,.15)" } },
        { stroke: "#888", size: 84, grid: { stroke: "rgba(128,128,128,.15)" }, values: (u, vals) => vals.map(c.fmt) }],
      series: [{}, ...c.series.map(([label, color]) => ({ label, stroke: color, width: 1.5, value: (u, v) => v == null ? "–" : c.fmt(v) }))],
    };
    plots.push(new uPlot(opts, data[i], el));
  }
  new ResizeObserver(() => {
    for (const [i, c] of CHARTS.entries()) plots[i].setSize({ width: Math.max(200, document.getElementById(c.id).clientWidth - 10), height: 170 });
  }).observe(document.querySelector(".charts"));
}
function addSamples(samples) {
  for (const s of samples) {
    for (const [i, c] of CHARTS.entries()) {
      data[i][0].push(s.t / 1000);
      c.series.forEach((serie, k) => data[i][k + 1].push(serie[2](s)));
      if (data[i][0].length > MAX_POINTS) for (const column of data[i]) column.shift();
    }
    since = s.t;
  }
  if (!charted) return;
  for (const [i, c] of CHARTS.entries()) {
    plots[i].setData(data[i]);
    document.getElementById(c.id).dataset.points = String(data[i][0].length);
  }
}
function showStats(s) {
  const last = data[0][0].length > 0 ? data[0][1][data[0][1].length - 1] : 0;
  set("version", s.version);
  set("rps", fmtNum(last));
  set("requests", s.requests.toLocaleString());
  set("active", s.connections.active.toLocaleString());
  set("sent", fmtBytes(s.bytesOut));
  set("latency", fmtMs(s.latency.p50Ms) + " / " + fmtMs(s.latency.p99Ms));
  const errors = (s.statusClasses["5xx"] || 0);
  set("errors", errors.toLocaleString());
  set("uptime", s.uptimeSeconds < 3600 ? s.uptimeSeconds + " s" : (s.uptimeSeconds / 3600).toFixed(1) + " h");
  set("own", "status path: " + s.statusPathRequests.toLocaleString() + " requests (not counted above)");
  rows("status", Object.entries(s.status));
  rows("threads", s.perThread.map((t) => [t.thread, t.requests.toLocaleString(), t.activeConnections, fmtBytes(t.heapUsedBytes), fmtMs(t.loopDelayP99Ms)]));
  document.getElementById("upstreams-box").hidden = s.upstreams.length === 0;
  rows("upstreams", s.upstreams.map((u) => {
    const f = u.failures;
    const failed = f.connect + f.timeout + f.reset + f.protocol;
    const mean = u.responseTime.count > 0 ? fmtMs(u.responseTime.sumSeconds * 1000 / u.responseTime.count) : "–";
    const state = u.up ? { text: "UP", cls: "up" } : { text: "DOWN " + u.downThreads + "/" + s.threads, cls: "down", title: "threads that have it out of rotation" };
    const last = u.lastFailure ? { text: u.lastFailure.kind + " " + new Date(u.lastFailure.at).toLocaleTimeString(), cls: "" } : "–";
    return [u.upstream, state, u.weight, u.active, u.idle, u.tries.toLocaleString(), u.retries,
      { text: String(failed), cls: failed > 0 ? "down" : "", title: "connect " + f.connect + ", timeout " + f.timeout + ", reset " + f.reset + ", protocol " + f.protocol },
      u.status["5xx"], mean, u.ejections, last];
  }));
}
let lastRoutes = new Map();
function showRoutes(s) {
  document.getElementById("routes-box").hidden = s.routes.length === 0;
  const now = Date.now();
  const next = new Map();
  rows("routes", s.routes.map((r) => {
    const key = r.site + "\u0000" + r.route;
    next.set(key, { t: now, n: r.requests });
    const before = lastRoutes.get(key);
    const rate = before && now > before.t ? fmtNum(Math.max(0, r.requests - before.n) * 1000 / (now - before.t)) : "–";
    const c = r.classes;
    return [r.site, r.route, r.requests.toLocaleString(), rate, c["2xx"], c["3xx"], c["4xx"],
      { text: String(c["5xx"]), cls: c["5xx"] > 0 ? "down" : "" }, r.rateLimited === null ? "–" : r.rateLimited];
  }));
  lastRoutes = next;
}
function showTls(s) {
  const t = s.tls;
  document.getElementById("tls-box").hidden = t.certificates.length === 0;
  const failed = Object.values(t.failures).reduce((a, b) => a + b, 0);
  set("handshakes", "handshakes: " + t.handshakes.full.toLocaleString() + " full, " + t.handshakes.resumed.toLocaleString() + " resumed, " + failed.toLocaleString() + " failed" + (failed > 0 ? " (" + Object.entries(t.failures).filter((e) => e[1] > 0).map((e) => e[0] + " " + e[1]).join(", ") + ")" : ""));
  rows("certificates", t.certificates.map((c) => {
    const days = c.expiresInSeconds / 86400;
    // Red when something is wrong: a file's certificate within 14 days of expiry; a renewed one
    // (ACME, the local CA: renewed with a third of its life left) past a quarter, so overdue.
    const life = (Date.parse(c.notAfter) - Date.parse(c.notBefore)) / 1000;
    const warn = c.source === "file" ? 14 * 86400 : life / 4;
    const left = { text: days < 0 ? "expired" : days < 2 ? Math.round(days * 24) + " h" : Math.floor(days) + " d", cls: c.expiresInSeconds < warn ? "down" : "up", title: c.notAfter };
    return [{ text: c.name, cls: "", title: c.names.join(", ") }, c.source, c.keyType, c.notAfter.slice(0, 10), left];
  }));
}
async function tick() {
  try {
    const res = await fetch(base + "/history?since=" + since, { cache: "no-store" });
    const body = await res.json();
    addSamples(body.samples);
    showStats(body.stats);
    showRoutes(body.stats);
    showTls(body.stats);
    set("error", charted ? "" : "charts unavailable: uplot is not installed");
  } catch (e) { set("error", "cannot reach " + base + "/history: " + e); }
}
if (charted) makePlots();
tick(); setInterval(tick, 1000);
`;

export function dashboardHtml(prefix: string, charts: boolean): string {
  const attr = (s: string): string => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  const chartAssets = charts
    ? `<link rel="stylesheet" href="${attr(prefix)}/uplot.css">\n<script src="${attr(prefix)}/uplot.js"></script>\n`
    : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portico status</title>
<link rel="icon" href="${ICON}">
${chartAssets}<style>${STYLE}</style></head>
<body data-base="${attr(prefix)}" data-charts="${charts ? "1" : "0"}">
<h1>Portico <span id="version"></span></h1>
<p id="error"></p>
<div class="grid">
<div class="card">Requests/s<b id="rps">–</b></div>
<div class="card">Requests<b id="requests">–</b></div>
<div class="card">5xx<b id="errors">–</b></div>
<div class="card">Open connections<b id="active">–</b></div>
<div class="card">Sent<b id="sent">–</b></div>
<div class="card">Latency p50 / p99<b id="latency">–</b></div>
<div class="card">Uptime<b id="uptime">–</b></div>
</div>
<div class="charts">
<div class="chart" id="c-rps"></div><div class="chart" id="c-status"></div><div class="chart" id="c-latency"></div>
<div class="chart" id="c-bandwidth"></div><div class="chart" id="c-connections"></div>
</div>
<div id="upstreams-box" hidden><h2>Upstreams</h2><div class="scroll"><table><thead><tr><th>Upstream</th><th>State</th><th>Weight</th><th>Active</th><th>Idle</th><th>Tries</th><th>Retries</th><th>Failed</th><th>5xx</th><th>Mean time</th><th>Ejections</th><th>Last failure</th></tr></thead><tbody id="upstreams"></tbody></table></div></div>
<div id="routes-box" hidden><h2>Sites and routes</h2><div class="scroll"><table><thead><tr><th>Site</th><th>Route</th><th>Requests</th><th>Req/s</th><th>2xx</th><th>3xx</th><th>4xx</th><th>5xx</th><th>Rate-limited</th></tr></thead><tbody id="routes"></tbody></table></div></div>
<div id="tls-box" hidden><h2>TLS certificates</h2><div class="scroll"><table><thead><tr><th>Name</th><th>Source</th><th>Key</th><th>Expires</th><th>Left</th></tr></thead><tbody id="certificates"></tbody></table></div><p id="handshakes" style="color:var(--muted);font-size:.8rem"></p></div>
<div class="tables">
<div><h2>Status codes</h2><div class="scroll"><table><thead><tr><th>Status</th><th>Count</th></tr></thead><tbody id="status"></tbody></table></div></div>
<div><h2>Threads</h2><div class="scroll"><table><thead><tr><th>Thread</th><th>Requests</th><th>Connections</th><th>Heap</th><th>Loop delay p99</th></tr></thead><tbody id="threads"></tbody></table></div></div>
</div>
<p id="own" style="color:var(--muted);font-size:.8rem"></p>
<script>${SCRIPT}</script>
</body></html>
`;
}
