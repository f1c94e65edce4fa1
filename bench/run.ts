// `npm run bench [-- --quick] [--only a,b] [--servers a,b] [--rounds N] [--seconds S] [--out DIR]`:
// wrk against Portico, nginx and the Node peers on the same generated files (and against Portico,
// nginx and http-proxy as reverse proxies in front of one nginx backend), server pinned to one CPU and
// wrk to the other, warm-up then alternating rounds, medians and ratios to nginx. A full run writes
// bench/RESULTS.md and bench/results.svg; partial runs (--quick, --only, --servers) write to bench/out/.

import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { renderChart } from "./lib/chart.ts";
import { createDocroot } from "./lib/docroot.ts";
import { measureIdleMemory, measureIdleRss } from "./lib/memory.ts";
import {
  addRatios,
  type Cell,
  checkTargets,
  type IdleCell,
  idleTable,
  markdownTable,
  type MemoryCell,
  memoryTable,
  summarize,
  targetsText,
  textTable,
} from "./lib/report.ts";
import { type Scenario, scenarios as allScenarios } from "./lib/scenarios.ts";
import { nginxProxyBlocks } from "./lib/nginx-conf.ts";
import { cpuSeconds, PROXY_BACKEND, type RunningServer, type ServerEnv, startServer } from "./lib/servers.ts";
import { commandPath, ensureTools, machineSummary, toolVersion } from "./lib/tools.ts";
import { h2loadArgs, runH2load } from "./lib/h2load.ts";
import { type LoadResult, type LoadSpec, runWrk, wrkArgs } from "./lib/wrk.ts";

/** The scenario's load tool: wrk for HTTP/1.1, h2load for HTTP/2. */
function runLoad(spec: LoadSpec, port: number, seconds: number, cpus: string): Promise<LoadResult> {
  return spec.tool === "h2load" ? runH2load(spec, port, seconds, cpus) : runWrk(spec, port, seconds, cpus);
}

function loadCommand(spec: LoadSpec, seconds: number): string {
  const tool = spec.tool ?? "wrk";
  const args = tool === "h2load" ? h2loadArgs(spec, 0, seconds) : wrkArgs(spec, 0, seconds);
  const shown = args.map((a) => (a.includes(" ") ? `'${a}'` : a));
  return `taskset -c ${loadCpus} ${tool} ${shown.join(" ").replace("127.0.0.1:0", "127.0.0.1:PORT")}`;
}

const REPO = path.resolve(import.meta.dirname, "..");
const NOTES_MARKER = "<!-- Everything below this line is kept when the benchmark rewrites this file. -->";

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    servers: { type: "string" },
    rounds: { type: "string" },
    seconds: { type: "string" },
    idle: { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opts.help) {
  process.stdout.write(`usage: npm run bench -- [--quick] [--only SCENARIO,…] [--servers NAME,…] [--rounds N] [--seconds S] [--idle N] [--out DIR]
scenarios: ${allScenarios(REPO, true)
    .map((s) => s.name)
    .join(", ")}
servers: ${[...new Set(allScenarios(REPO, true).flatMap((s) => s.variants.map((v) => v.id)))].join(", ")}\n`);
  process.exit(0);
}

const quick = opts.quick;
const rounds = Number(opts.rounds ?? (quick ? 1 : 5));
const seconds = Number(opts.seconds ?? (quick ? 2 : 3));
const warmSeconds = quick ? 1 : 2;
const idleConnections = Number(opts.idle ?? (quick ? 2000 : 10000));
/** Fresh starts per idle-rss reading (the median counts). */
const idleRuns = quick ? 1 : 3;
const partial = quick || opts.only !== undefined || opts.servers !== undefined;
const outDir = path.resolve(opts.out ?? (partial ? path.join(REPO, "bench/out") : path.join(REPO, "bench")));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const missing = ensureTools(["wrk", "nginx", "taskset"], log);
const h2Tools = ensureTools(["h2load", "caddy", "curl"], log);
if (missing.includes("wrk") || missing.includes("taskset")) process.exit(1);
const cores = os.availableParallelism();
const serverCpus = cores >= 2 ? "1" : "0";
const loadCpus = "0";
if (cores < 2) log("only one CPU: server and wrk share it, ratios will be rough");

const node = path.join(REPO, "node_modules/.bin/node");
const portico = spawnSync(node, [path.join(REPO, "src/cli.ts"), "--help"], { encoding: "utf8" }).stdout;
const hasAccessLog = portico.includes("--access-log");
if (!hasAccessLog) log("portico has no --access-log flag yet: the access-log scenario runs without it");

const wantedServers = opts.servers?.split(",").map((s) => s.trim());
const keepServer = (id: string): boolean => {
  if (missing.includes("nginx") && id.startsWith("nginx")) return false;
  if (h2Tools.includes("caddy") && id.startsWith("caddy")) return false;
  return wantedServers === undefined || wantedServers.some((w) => id === w || id.startsWith(`${w}-`));
};
const wantedScenarios = opts.only?.split(",").map((s) => s.trim());
const all = allScenarios(REPO, hasAccessLog);
for (const w of wantedScenarios ?? []) {
  if (!all.some((s) => s.name === w)) {
    log(`unknown scenario ${w}; one of: ${all.map((s) => s.name).join(", ")}`);
    process.exit(2);
  }
}
const selected = all
  .filter((s) => wantedScenarios === undefined || wantedScenarios.includes(s.name))
  .filter((s) => {
    if (s.load?.tool === "h2load" && (h2Tools.includes("h2load") || h2Tools.includes("curl"))) {
      log(`${s.name}: skipped, h2load and curl are needed`);
      return false;
    }
    if (s.backend !== true || !missing.includes("nginx")) return true;
    log(`${s.name}: skipped, its backend is nginx`);
    return false;
  })
  .map((s) => ({ ...s, variants: s.variants.filter((v) => keepServer(v.id)) }))
  .filter((s) => s.variants.length > 0);

const docroot = createDocroot();
const work = fs.mkdtempSync(path.join(os.tmpdir(), "portico-bench-work-"));
fs.chmodSync(work, 0o755);
let env: ServerEnv = {
  repo: REPO,
  node,
  root: docroot.dir,
  work,
  serverCpus,
  nginx: commandPath("nginx"),
  caddy: h2Tools.includes("caddy") ? "" : commandPath("caddy"),
};

// Progress: one line per step when not a terminal, a rewritten line when it is.
const steps = selected.reduce(
  (n, s) => n + (s.kind === "load" ? s.variants.length * (rounds + 1) : s.variants.length),
  0,
);
const stepSeconds = selected.reduce(
  (n, s) =>
    n +
    (s.kind === "memory"
      ? s.variants.length * 12
      : s.kind === "idle"
        ? s.variants.length * idleRuns * 18
        : s.variants.length * (rounds * seconds + warmSeconds + 1)),
  0,
);
let done = 0;
const started = Date.now();
function progress(text: string): void {
  const elapsed = (Date.now() - started) / 1000;
  const line = `[${done}/${steps}] ${elapsed.toFixed(0)}s of ~${stepSeconds}s  ${text}`;
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
  else log(line);
}

const cells: Cell[] = [];
const memory: MemoryCell[] = [];
const idle: IdleCell[] = [];
const commands = new Map<string, string>();
const wrkCommands = new Map<string, string>();
// One backend for the whole run, pinned with wrk so that the proxy's CPU is all the server CPU measures.
let backend: RunningServer | undefined;
/** Shown in the commands as BACKEND: the proxies' command lines carry it too. */
let backendPort = "";
const shownCommand = (server: RunningServer, portName = "PORT"): string => {
  const c = backendPort === "" ? server.command : server.command.replaceAll(backendPort, "BACKEND");
  return c.replaceAll(String(server.port), portName);
};

async function runLoadScenario(s: Scenario): Promise<void> {
  const spec = s.load!;
  const running: RunningServer[] = [];
  const notes = new Map<string, string>();
  if (s.backend === true && backend !== undefined) commands.set(PROXY_BACKEND.id, shownCommand(backend, "BACKEND"));
  try {
    for (const v of s.variants) {
      progress(`${s.name}: starting ${v.id}`);
      const server = await startServer(v, env);
      running.push(server);
      commands.set(v.id, shownCommand(server));
      if (s.expectHeader !== undefined) {
        const [name, value] = s.expectHeader.request;
        const res = await fetch(`http://127.0.0.1:${server.port}${spec.path}`, {
          headers: { [name!]: value! },
          decompress: false,
        } as RequestInit);
        await res.arrayBuffer();
        if (res.headers.get(s.expectHeader.name) !== s.expectHeader.value)
          notes.set(v.id, `no ${s.expectHeader.name}: ${s.expectHeader.value}`);
      }
    }
    wrkCommands.set(s.name, loadCommand(spec, seconds));
    for (const server of running) {
      progress(`${s.name}: warm-up ${server.variant.id}`);
      await runLoad(spec, server.port, warmSeconds, loadCpus);
      done++;
    }
    const samples = new Map<string, LoadResult[]>();
    for (let r = 0; r < rounds; r++) {
      // Alternate the order each round so drift in machine load spreads over every server.
      for (let i = 0; i < running.length; i++) {
        const server = running[(i + r) % running.length]!;
        progress(`${s.name}: round ${r + 1}/${rounds} ${server.variant.id}`);
        const cpuBefore = cpuSeconds(server.pid);
        const result = await runLoad(spec, server.port, seconds, loadCpus);
        result.cpuUsPerRequest =
          result.requests > 0 ? ((cpuSeconds(server.pid) - cpuBefore) * 1e6) / result.requests : Number.NaN;
        const list = samples.get(server.variant.id) ?? [];
        list.push(result);
        samples.set(server.variant.id, list);
        done++;
      }
    }
    for (const server of running)
      cells.push(
        summarize(s, server.variant.id, samples.get(server.variant.id) ?? [], notes.get(server.variant.id) ?? ""),
      );
  } finally {
    for (const server of running) await server.stop();
  }
}

async function runIdleScenario(s: Scenario): Promise<void> {
  for (const v of s.variants) {
    progress(`idle-rss: ${v.id}`);
    try {
      idle.push({ server: v.id, threads: v.threads ?? 1, bytes: await measureIdleRss(v, env, idleRuns) });
    } catch (error) {
      log(`\nidle-rss scenario failed for ${v.id}: ${(error as Error).message}`);
    }
    done++;
  }
}

async function runMemoryScenario(s: Scenario): Promise<void> {
  for (const v of s.variants) {
    progress(`memory: ${idleConnections} idle connections to ${v.id}`);
    try {
      const result = await measureIdleMemory(v, env, idleConnections);
      memory.push({ server: v.id, result });
    } catch (error) {
      log(`\nmemory scenario failed for ${v.id}: ${(error as Error).message}`);
    }
    done++;
  }
}

try {
  if (selected.some((s) => s.backend === true)) {
    progress("starting the proxy backend (nginx)");
    backend = await startServer(PROXY_BACKEND, env, loadCpus);
    backendPort = String(backend.port);
    env = { ...env, upstream: `127.0.0.1:${backend.port}` };
  }
  for (const s of selected) {
    if (s.kind === "memory") await runMemoryScenario(s);
    else if (s.kind === "idle") await runIdleScenario(s);
    else await runLoadScenario(s);
  }
} finally {
  await backend?.stop();
  docroot.remove();
  fs.rmSync(work, { recursive: true, force: true });
}
if (process.stderr.isTTY) process.stderr.write("\n");

addRatios(selected, cells);
const targets = checkTargets(selected, cells, memory, idle);
process.stdout.write(`\n${textTable(selected, cells, memory, idle)}\n\n${targetsText(targets, false)}\n`);

fs.mkdirSync(outDir, { recursive: true });
const machine = machineSummary();
const subtitle = `${machine.cpu}, server on CPU ${serverCpus}, wrk on CPU ${loadCpus}; medians of ${rounds} × ${seconds}s`;
fs.writeFileSync(path.join(outDir, "results.svg"), await renderChart(selected, cells, subtitle));
// Raw medians for other tools; kept out of git (bench/out/ is ignored).
fs.mkdirSync(path.join(REPO, "bench/out"), { recursive: true });
fs.writeFileSync(
  path.join(REPO, "bench/out/results.json"),
  JSON.stringify({ date: new Date().toISOString(), machine, rounds, seconds, cells, memory, idle, targets }, null, 2),
);
fs.writeFileSync(path.join(outDir, "RESULTS.md"), resultsMarkdown());
log(
  `wrote ${path.relative(REPO, path.join(outDir, "RESULTS.md"))} and results.svg in ${((Date.now() - started) / 1000).toFixed(0)}s`,
);

function resultsMarkdown(): string {
  const previous = path.join(REPO, "bench/RESULTS.md");
  const kept = fs.existsSync(previous) ? (fs.readFileSync(previous, "utf8").split(NOTES_MARKER)[1] ?? "\n") : "\n";
  const git = (args: string[]): string => {
    try {
      return execFileSync("git", args, { cwd: REPO, encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  };
  const dirty = git(["status", "--porcelain", "--", "src"]) === "" ? "" : " (with uncommitted changes in src/)";
  const peerVersion = (pkg: string): string =>
    (JSON.parse(fs.readFileSync(path.join(REPO, "node_modules", pkg, "package.json"), "utf8")) as { version: string })
      .version;
  const lines = [
    "# Portico benchmark results",
    "",
    `Written by \`npm run bench${process.argv.slice(2).length > 0 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}\` on ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC.`,
    "Every number is the median of the rounds below; ratios compare with nginx in the same scenario and the same run (with nginx `proxy_pass` sending the same forwarding fields as Portico, `nginx-proxy-fwd`, in the `proxy` scenario).",
    "",
    "## Machine and versions",
    "",
    `- CPU: ${machine.cpu}, ${machine.cores} cores; memory ${machine.memory}; ${machine.kernel}`,
    `- Server pinned to CPU ${serverCpus} (\`taskset -c ${serverCpus}\`), wrk pinned to CPU ${loadCpus} with one thread; in the \`proxy\` scenario the proxy's backend (one nginx worker) runs on CPU ${loadCpus} with wrk; other people's jobs may share this machine: see "How to read these numbers" below`,
    `- Method: ${warmSeconds}s warm-up per server, then ${rounds} round(s) of ${seconds}s, servers in rotating order each round; medians`,
    `- Portico ${git(["rev-parse", "--short", "HEAD"])}${dirty} on ${toolVersion(node, ["--version"])}`,
    `- ${toolVersion(env.nginx, ["-v"])}; ${toolVersion("wrk", ["--version"]).split(" [")[0]}; ${toolVersion("h2load", ["--version"])}${env.caddy ? `; Caddy ${toolVersion(env.caddy, ["version"]).split(" ")[0]}` : ""}`,
    `- sirv-cli ${peerVersion("sirv-cli")}, http-server ${peerVersion("http-server")}, serve ${peerVersion("serve")}, fastify ${peerVersion("fastify")} + @fastify/static ${peerVersion("@fastify/static")}, http-proxy ${peerVersion("http-proxy")}, hono ${peerVersion("hono")} + @hono/node-server ${peerVersion("@hono/node-server")} (all on the same Node)`,
    "",
    "## Results",
    "",
    "![throughput relative to nginx](results.svg)",
    "",
    markdownTable(selected, cells),
    "",
    "### Idle keep-alive connections",
    "",
    memoryTable(memory),
    "",
    "### Idle server by thread count",
    "",
    `A fresh server, 200 requests, then 15 s alone (Portico gives memory back after ~10 s of quiet); resident memory of the process (nginx: master and workers), median of ${idleRuns} start(s). \`portico-js\` is Portico compiled to JavaScript (as the published package runs), \`portico\` its TypeScript sources (as \`npm start\` runs them, with Node's type stripper in every thread).`,
    "",
    idleTable(idle),
    "",
    "## Targets (issues 5, 6, 13 and 16)",
    "",
    targetsText(targets, true),
    "",
    "## Commands",
    "",
    "Servers (PORT is a free port picked per run; DOCROOT is a fresh temp folder with 1k.txt, app.js + app.js.gz, 1m.bin, 100m.bin):",
    "",
    "```",
    ...[...commands.entries()].map(
      ([id, c]) =>
        `${id.padEnd(16)} ${c.replaceAll(docroot.dir, "DOCROOT").replace(/\/tmp\/portico-bench-work-\w+/g, "WORK")}`,
    ),
    "```",
    "",
    ...proxyNote(),
    "Load:",
    "",
    "```",
    ...[...wrkCommands.entries()].map(([name, c]) => `${name.padEnd(12)} ${c.replace(REPO + "/", "")}`),
    "```",
    "",
    `Scenarios: ${selected.map((s) => `\`${s.name}\` ${s.title}`).join("; ")}.`,
    "",
    NOTES_MARKER,
  ];
  return `${lines.join("\n")}${kept}`;
}

/** What the nginx-proxy configuration adds to the file server's (the rest is the same). */
function proxyNote(): string[] {
  if (backendPort === "") return [];
  const blocks = nginxProxyBlocks("127.0.0.1:BACKEND");
  const forwarding = nginxProxyBlocks("127.0.0.1:BACKEND", true);
  return [
    `BACKEND is the port of \`${PROXY_BACKEND.id}\` (configured like \`nginx\`, on the same DOCROOT), which every proxy forwards to. \`nginx-proxy\`'s nginx.conf has the same settings as \`nginx\`'s, with \`${blocks.http}\` in \`http\` and \`${blocks.server}\` in place of \`root\`. \`nginx-proxy-fwd\` (the baseline) also sends the forwarding fields Portico sends by default: \`${forwarding.server}\`.`,
    "",
  ];
}
