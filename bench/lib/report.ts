// Turns samples into results: medians per (scenario, server), ratios to nginx (nginx proxy_pass in the
// proxy scenario), the issues' targets
// checked one by one, a plain-text table for the terminal and the Markdown for bench/RESULTS.md.

import type { MemoryResult } from "./memory.ts";
import type { Scenario } from "./scenarios.ts";
import type { LoadResult } from "./wrk.ts";

export interface Cell {
  readonly scenario: string;
  readonly server: string;
  readonly rounds: number;
  readonly rps: number;
  readonly bytesPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  /** Server CPU µs per request (median); robust to other load on the machine. */
  readonly cpuUs: number;
  /** Headline number (req/s or bytes/s) over the scenario's baseline (nginx); NaN without it. */
  ratio: number;
  /** The baseline's CPU per request over this server's (higher is better, like ratio); NaN without it. */
  cpuRatio: number;
  note: string;
}

export interface MemoryCell {
  readonly server: string;
  readonly result: MemoryResult;
}

/** A whole idle server's resident memory (the idle-rss scenario). */
export interface IdleCell {
  readonly server: string;
  readonly threads: number;
  readonly bytes: number;
}

export interface Target {
  readonly text: string;
  readonly value: number;
  readonly goal: string;
  readonly met: boolean | null;
  /** How the value reads: "×" (a ratio, the default) or a unit such as " MiB". */
  readonly unit?: string;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(scenario: Scenario, server: string, samples: readonly LoadResult[], note: string): Cell {
  return {
    scenario: scenario.name,
    server,
    rounds: samples.length,
    rps: median(samples.map((s) => s.requestsPerSec)),
    bytesPerSec: median(samples.map((s) => s.bytesPerSec)),
    p50Ms: median(samples.map((s) => s.p50Ms)),
    p99Ms: median(samples.map((s) => s.p99Ms)),
    non2xx: samples.reduce((a, s) => a + s.non2xx, 0),
    socketErrors: samples.reduce((a, s) => a + s.socketErrors, 0),
    cpuUs: median(samples.map((s) => s.cpuUsPerRequest)),
    cpuRatio: Number.NaN,
    ratio: Number.NaN,
    note,
  };
}

export function headline(scenario: Scenario, cell: Cell): number {
  return scenario.metric === "throughput" ? cell.bytesPerSec : cell.rps;
}

/** Fills each cell's ratio to the baseline cell of its scenario (nginx, or nginx-proxy-fwd). */
export function addRatios(scenarios: readonly Scenario[], cells: Cell[]): void {
  for (const s of scenarios) {
    const base = cells.find((c) => c.scenario === s.name && c.server === (s.baseline ?? "nginx"));
    for (const c of cells) {
      if (c.scenario !== s.name) continue;
      c.ratio = base === undefined ? Number.NaN : headline(s, c) / headline(s, base);
      c.cpuRatio = base === undefined ? Number.NaN : base.cpuUs / c.cpuUs;
    }
  }
}

export function checkTargets(
  scenarios: readonly Scenario[],
  cells: readonly Cell[],
  memory: readonly MemoryCell[],
  idle: readonly IdleCell[] = [],
): Target[] {
  const cell = (scenario: string, server: string): Cell | undefined =>
    cells.find((c) => c.scenario === scenario && c.server === server);
  const targets: Target[] = [];
  const add = (text: string, value: number, goal: string, ok: (v: number) => boolean, unit = "×"): void => {
    targets.push({ text, value, goal, met: Number.isNaN(value) ? null : ok(value), unit });
  };
  for (const name of ["small-50", "small-1000", "not-found"]) {
    add(`Portico / nginx, ${name}`, cell(name, "portico")?.ratio ?? Number.NaN, "≥ 1.0×", (v) => v >= 1);
    add(`  same, by CPU per request`, cell(name, "portico")?.cpuRatio ?? Number.NaN, "≥ 1.0×", (v) => v >= 1);
  }
  for (const name of ["file-1m", "file-100m"]) {
    add(`Portico / nginx, ${name}`, cell(name, "portico")?.ratio ?? Number.NaN, "≥ 0.6×", (v) => v >= 0.6);
    add(`  same, by CPU per request`, cell(name, "portico")?.cpuRatio ?? Number.NaN, "≥ 0.6×", (v) => v >= 0.6);
  }
  for (const s of scenarios.filter((x) => x.small)) {
    const mine = cell(s.name, "portico");
    const peers = cells.filter(
      (c) => c.scenario === s.name && !c.server.startsWith("portico") && !c.server.startsWith("nginx"),
    );
    const best = Math.max(...peers.map((c) => headline(s, c)));
    add(
      `Portico / fastest Node peer, ${s.name}`,
      mine === undefined || peers.length === 0 ? Number.NaN : headline(s, mine) / best,
      "≥ 8×",
      (v) => v >= 8,
    );
    const leanest = Math.min(...peers.map((c) => c.cpuUs));
    add(
      `  same, by CPU per request`,
      mine === undefined || peers.length === 0 ? Number.NaN : leanest / mine.cpuUs,
      "≥ 8×",
      (v) => v >= 8,
    );
  }
  // Issue 18: Portico running an app ≥ 3× the faster of @hono/node-server and fastify on each test.
  for (const name of ["app-plaintext", "app-pipelined", "app-json"]) {
    const mine = cell(name, "portico-app");
    const peers = ["hono-node", "fastify"].map((id) => cell(name, id)).filter((c) => c !== undefined);
    const ok = mine !== undefined && peers.length > 0;
    add(
      `Portico --app / faster of hono-node and fastify, ${name}`,
      ok ? mine.rps / Math.max(...peers.map((c) => c.rps)) : Number.NaN,
      "≥ 3×",
      (v) => v >= 3,
    );
    add(
      `  same, by CPU per request`,
      ok ? Math.min(...peers.map((c) => c.cpuUs)) / mine.cpuUs : Number.NaN,
      "≥ 3×",
      (v) => v >= 3,
    );
  }
  const p = cell("small-50", "portico");
  const n = cell("small-50", "nginx");
  add(
    "p99 latency Portico / nginx, small-50",
    p !== undefined && n !== undefined ? p.p99Ms / n.p99Ms : Number.NaN,
    "≤ 1.5×",
    (v) => v <= 1.5,
  );
  // Issue 13: an idle Portico, as published (compiled), within 70 MiB on one thread and 15 MiB per
  // further thread; the TypeScript sources (development) carry Node's type stripper in every thread.
  const mib = (server: string): number => (idle.find((c) => c.server === server)?.bytes ?? Number.NaN) / 1048576;
  add("idle RSS, Portico compiled, -t 1", mib("portico-js"), "≤ 70 MiB", (v) => v <= 70, " MiB");
  add(
    "  per further thread, -t 1 to -t 4",
    (mib("portico-js-t4") - mib("portico-js")) / 3,
    "≤ 15 MiB",
    (v) => v <= 15,
    " MiB",
  );
  add("idle RSS, Portico from sources, -t 1 (information)", mib("portico"), "—", () => true, " MiB");
  add("  per further thread (information)", (mib("portico-t4") - mib("portico")) / 3, "—", () => true, " MiB");
  const pm = memory.find((m) => m.server === "portico");
  const nm = memory.find((m) => m.server === "nginx");
  add(
    "idle memory per connection Portico / nginx",
    pm !== undefined && nm !== undefined ? pm.result.bytesPerConnection / nm.result.bytesPerConnection : Number.NaN,
    "≤ 2×",
    (v) => v <= 2,
  );
  const quiet = cell("access-log", "portico");
  const logged = cell("access-log", "portico-log");
  add(
    "access log on / off, Portico",
    quiet !== undefined && logged !== undefined ? logged.rps / quiet.rps : Number.NaN,
    "≥ 0.85×",
    (v) => v >= 0.85,
  );
  add(
    `  same, by CPU per request`,
    quiet !== undefined && logged !== undefined ? quiet.cpuUs / logged.cpuUs : Number.NaN,
    "≥ 0.85×",
    (v) => v >= 0.85,
  );
  // Issue 6: the proxy against nginx proxy_pass doing the same work (the forwarding fields Portico sends
  // by default: the proxy scenario's baseline), nginx with no forwarding fields (information) and
  // http-proxy.
  const proxy = cell("proxy", "portico-proxy");
  const bareNginx = cell("proxy", "nginx-proxy");
  const nodeProxy = cell("proxy", "http-proxy");
  add(
    "Portico / nginx proxy_pass with the same forwarding fields, proxy",
    proxy?.ratio ?? Number.NaN,
    "≥ 1.0×",
    (v) => v >= 1,
  );
  add(`  same, by CPU per request`, proxy?.cpuRatio ?? Number.NaN, "≥ 1.0×", (v) => v >= 1);
  add(
    "Portico / nginx proxy_pass without forwarding fields (information)",
    proxy !== undefined && bareNginx !== undefined ? proxy.rps / bareNginx.rps : Number.NaN,
    "—",
    () => true,
  );
  add(
    `  same, by CPU per request (information)`,
    proxy !== undefined && bareNginx !== undefined ? bareNginx.cpuUs / proxy.cpuUs : Number.NaN,
    "—",
    () => true,
  );
  add(
    "Portico / http-proxy, proxy",
    proxy !== undefined && nodeProxy !== undefined ? proxy.rps / nodeProxy.rps : Number.NaN,
    "≥ 5×",
    (v) => v >= 5,
  );
  add(
    `  same, by CPU per request`,
    proxy !== undefined && nodeProxy !== undefined ? nodeProxy.cpuUs / proxy.cpuUs : Number.NaN,
    "≥ 5×",
    (v) => v >= 5,
  );
  // Issue 14: routing costs nothing measurable: the example configuration's site within 5% of one
  // site from flags, per CPU.
  const sites = cell("sites", "portico-sites");
  add("Portico example sites / one site from flags, sites", sites?.ratio ?? Number.NaN, "≥ 0.95×", (v) => v >= 0.95);
  add(`  same, by CPU per request`, sites?.cpuRatio ?? Number.NaN, "≥ 0.95×", (v) => v >= 0.95);
  // Issue 16: HTTP/2 (over h2c until TLS lands) against nginx's.
  const h2 = cell("h2-small", "portico-h2");
  add("Portico / nginx, HTTP/2 h2-small", h2?.ratio ?? Number.NaN, "≥ 1.0×", (v) => v >= 1);
  add(`  same, by CPU per request`, h2?.cpuRatio ?? Number.NaN, "≥ 1.0×", (v) => v >= 1);
  const h2File = cell("h2-file-1m", "portico-h2");
  add("Portico / nginx, HTTP/2 h2-file-1m", h2File?.ratio ?? Number.NaN, "≥ 0.8×", (v) => v >= 0.8);
  add(`  same, by CPU per request`, h2File?.cpuRatio ?? Number.NaN, "≥ 0.8×", (v) => v >= 0.8);
  const h2Proxy = cell("h2-proxy", "portico-proxy-h2");
  add("Portico / nginx, HTTP/2 to HTTP/1.1 proxy, h2-proxy", h2Proxy?.ratio ?? Number.NaN, "≥ 1.0×", (v) => v >= 1);
  add(`  same, by CPU per request`, h2Proxy?.cpuRatio ?? Number.NaN, "≥ 1.0×", (v) => v >= 1);
  // The node:net fallback (--transport net) against the libuv handles: the price of running without
  // Node's internal bindings.
  for (const [name, handles, net] of [
    ["small-50", "portico", "portico-net"],
    ["proxy", "portico-proxy", "portico-proxy-net"],
  ] as const) {
    const a = cell(name, handles);
    const b = cell(name, net);
    add(
      `Portico on node:net / on libuv handles, ${name} (information)`,
      a !== undefined && b !== undefined ? b.rps / a.rps : Number.NaN,
      "—",
      () => true,
    );
    add(
      `  same, by CPU per request (information)`,
      a !== undefined && b !== undefined ? a.cpuUs / b.cpuUs : Number.NaN,
      "—",
      () => true,
    );
  }
  const t1 = cell("threads", "portico");
  const t2 = cell("threads", "portico-t2");
  add(
    "Portico -t 2 / -t 1 (information)",
    t1 !== undefined && t2 !== undefined ? t2.rps / t1.rps : Number.NaN,
    "—",
    () => true,
  );
  return targets;
}

function fmt(n: number, digits = 0): string {
  if (Number.isNaN(n)) return "—";
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function fmtMs(ms: number): string {
  if (Number.isNaN(ms)) return "—";
  return ms < 1 ? `${fmt(ms * 1000)} µs` : `${fmt(ms, 2)} ms`;
}

function rows(scenarios: readonly Scenario[], cells: readonly Cell[]): string[][] {
  const out: string[][] = [];
  for (const s of scenarios) {
    for (const c of cells.filter((x) => x.scenario === s.name)) {
      const errors = c.socketErrors > 0 ? `${c.socketErrors} socket errors` : "";
      const bad = s.name !== "not-found" && c.non2xx > 0 ? `${c.non2xx} non-2xx` : "";
      out.push([
        s.name,
        c.server,
        fmt(c.rps),
        fmt(c.bytesPerSec / 1024 / 1024, 1),
        fmtMs(c.p50Ms),
        fmtMs(c.p99Ms),
        Number.isNaN(c.ratio) ? "—" : `${fmt(c.ratio, 2)}×`,
        fmt(c.cpuUs, 2),
        Number.isNaN(c.cpuRatio) ? "—" : `${fmt(c.cpuRatio, 2)}×`,
        [c.note, bad, errors].filter(Boolean).join("; "),
      ]);
    }
  }
  return out;
}

const HEAD = ["scenario", "server", "req/s", "MiB/s", "p50", "p99", "× nginx", "CPU µs/req", "× nginx (CPU)", "notes"];
const LAST_NUMBER = 8;

export function textTable(
  scenarios: readonly Scenario[],
  cells: readonly Cell[],
  memory: readonly MemoryCell[],
  idle: readonly IdleCell[] = [],
): string {
  const body = rows(scenarios, cells);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string =>
    r
      .map((v, i) => (i >= 2 && i <= LAST_NUMBER ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const out = [line(HEAD), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)];
  for (const m of memory)
    out.push(
      `memory  ${m.server}: ${fmt(m.result.bytesPerConnection / 1024, 2)} KiB per idle connection (${m.result.connections} connections)`,
    );
  for (const c of idle)
    out.push(`idle    ${c.server}: ${fmt(c.bytes / 1048576, 1)} MiB resident (${c.threads} thread(s))`);
  return out.join("\n");
}

export function markdownTable(scenarios: readonly Scenario[], cells: readonly Cell[]): string {
  const body = rows(scenarios, cells);
  const align = HEAD.map((_, i) => (i >= 2 && i <= LAST_NUMBER ? "---:" : "---"));
  return [HEAD, align, ...body].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

export function idleTable(idle: readonly IdleCell[]): string {
  if (idle.length === 0) return "(not measured in this run)";
  const lines = ["| server | threads | idle RSS | per thread beyond the first |", "| --- | ---: | ---: | ---: |"];
  for (const c of idle) {
    const family = (id: string): string => id.replace(/-(t|w)\d+$/, "");
    const one = idle.find((o) => o.threads === 1 && family(o.server) === family(c.server));
    const per =
      one === undefined || c.threads === 1 ? "" : `${fmt((c.bytes - one.bytes) / (c.threads - 1) / 1048576, 1)} MiB`;
    lines.push(`| ${c.server} | ${c.threads} | ${fmt(c.bytes / 1048576, 1)} MiB | ${per} |`);
  }
  return lines.join("\n");
}

export function memoryTable(memory: readonly MemoryCell[]): string {
  if (memory.length === 0) return "(not measured in this run)";
  const lines = [
    "| server | connections | RSS before | RSS with connections | per connection |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const m of memory) {
    const r = m.result;
    lines.push(
      `| ${m.server} | ${fmt(r.connections)} | ${fmt(r.baselineBytes / 1024 / 1024, 1)} MiB | ${fmt(r.loadedBytes / 1024 / 1024, 1)} MiB | ${fmt(r.bytesPerConnection / 1024, 2)} KiB |`,
    );
  }
  return lines.join("\n");
}

export function targetsText(targets: readonly Target[], markdown: boolean): string {
  const mark = (t: Target): string =>
    t.met === null ? "not measured" : t.goal === "—" ? "" : t.met ? "met" : "NOT met";
  if (!markdown)
    return targets
      .map(
        (t) =>
          `${t.text}: ${Number.isNaN(t.value) ? "—" : `${fmt(t.value, 2)}${t.unit ?? "×"}`} (target ${t.goal}) ${mark(t)}`,
      )
      .join("\n");
  const lines = ["| target | measured | goal | |", "| --- | ---: | ---: | --- |"];
  for (const t of targets)
    lines.push(
      `| ${t.text} | ${Number.isNaN(t.value) ? "—" : `${fmt(t.value, 2)}${t.unit ?? "×"}`} | ${t.goal} | ${mark(t)} |`,
    );
  return lines.join("\n");
}
