// The dashboard page served by admin.ts: one self-contained HTML document (no external assets) that
// polls the JSON statistics once a second and shows rates, status codes, latency and threads.
// Its Content-Security-Policy (admin.ts) allows exactly what it uses: inline style and script, fetches
// to its own origin, and the inline data: icon.

/**
 * The page's own icon, inline: without one the browser asks the served site for /favicon.ico, which
 * logs a console error and shows up as a 404 in the very counters the page displays.
 */
const ICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%23345'/%3E%3C/svg%3E";

export function dashboardHtml(statsUrl: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portico status</title>
<link rel="icon" href="${ICON}">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;color:#222;background:#fafafa}
h1{font-size:1.3rem;margin:0 0 1rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(9.5rem,1fr));gap:.75rem;margin-bottom:1.5rem}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:.75rem}
.card b{display:block;font-size:1.4rem;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;background:#fff;margin:0 1.5rem 1.5rem 0;display:inline-table;vertical-align:top}
td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:right}
#error{color:#b00}
</style></head>
<body>
<h1>Portico <span id="version"></span></h1>
<p id="error"></p>
<div class="grid">
<div class="card">Requests/s<b id="rps">–</b></div>
<div class="card">Requests<b id="requests">–</b></div>
<div class="card">Active connections<b id="active">–</b></div>
<div class="card">Sent<b id="sent">–</b></div>
<div class="card">Latency p50 / p99<b id="latency">–</b></div>
<div class="card">Uptime<b id="uptime">–</b></div>
</div>
<table><thead><tr><th>Status</th><th>Count</th></tr></thead><tbody id="status"></tbody></table>
<table><thead><tr><th>Thread</th><th>Requests</th><th>Connections</th></tr></thead><tbody id="threads"></tbody></table>
<script>
const url = ${JSON.stringify(statsUrl)};
let last = null;
const fmtBytes = (n) => n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KiB" : n < 1073741824 ? (n / 1048576).toFixed(1) + " MiB" : (n / 1073741824).toFixed(2) + " GiB";
// No-break spaces: a narrow card wraps between the two latencies, never inside one.
const fmtMs = (n) => n < 1 ? Math.round(n * 1000) + "\u00a0µs" : n < 1000 ? +n.toPrecision(3) + "\u00a0ms" : (n / 1000).toFixed(2) + "\u00a0s";
const set = (id, text) => { document.getElementById(id).textContent = text; };
function rows(id, data) {
  const body = document.getElementById(id);
  body.replaceChildren(...data.map((cells) => {
    const tr = document.createElement("tr");
    for (const c of cells) { const td = document.createElement("td"); td.textContent = String(c); tr.append(td); }
    return tr;
  }));
}
async function tick() {
  try {
    const s = await (await fetch(url, { cache: "no-store" })).json();
    const now = performance.now();
    if (last) set("rps", Math.round((s.requests - last.s.requests) / ((now - last.t) / 1000)).toLocaleString());
    last = { s, t: now };
    set("version", s.version);
    set("requests", s.requests.toLocaleString());
    set("active", s.connections.active.toLocaleString());
    set("sent", fmtBytes(s.bytesOut));
    set("latency", fmtMs(s.latency.p50Ms) + " / " + fmtMs(s.latency.p99Ms));
    set("uptime", s.uptimeSeconds + " s");
    rows("status", Object.entries(s.status));
    rows("threads", s.perThread.map((t) => [t.thread, t.requests.toLocaleString(), t.activeConnections]));
    set("error", "");
  } catch (e) { set("error", "cannot reach " + url + ": " + e); }
}
tick(); setInterval(tick, 1000);
</script>
</body></html>
`;
}
