// Per-upstream figures across reloads: an upstream is counted under its "host:port", not under its
// position in the list, so a reload that reorders the upstreams keeps each one's counters, one that
// removes an upstream leaves the others' counters alone, and a new upstream starts at zero; the idle
// keep-alive connections to each upstream.

import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { type Exposition, parseExposition } from "../helpers/exposition.ts";
import { exchange, parseResponses, rawRequest } from "../helpers/raw.ts";
import { type SiteServer, startSites } from "../helpers/site-server.ts";
import { waitFor } from "../helpers/wait.ts";

const BOUND = { timeout: 120_000 };

interface Backend {
  readonly server: http.Server;
  readonly port: number;
  hits: number;
}

async function backend(): Promise<Backend> {
  const b = { hits: 0 } as { server: http.Server; port: number; hits: number };
  b.server = http.createServer((_req, res) => {
    b.hits++;
    res.end("ok\n");
  });
  await new Promise<void>((resolve) => b.server.listen(0, "127.0.0.1", resolve));
  b.port = (b.server.address() as AddressInfo).port;
  return b;
}

let a: Backend;
let b: Backend;
let c: Backend;
let server: SiteServer | null = null;
let port = 0;

/**
 * One proxied route over `order` (backend ports); the backends count what reaches them. `a` weighs
 * three times the others, so its share differs from b's and a swap of their rows could not go unnoticed.
 */
function config(listen: number, order: readonly number[]): string {
  const upstreams = order.map((p) => `"http://127.0.0.1:${p}?weight=${p === a.port ? 3 : 1}"`).join(", ");
  return `threads = 1
status_path = "/_portico"

[log]
quiet = true

[[site]]
hosts = ["a.test"]
listen = ["127.0.0.1:${listen}"]

  [[site.route]]
  path = "/api/"
  proxy = { upstreams = [${upstreams}], lb = "weighted" }
`;
}

before(async () => {
  [a, b, c] = await Promise.all([backend(), backend(), backend()]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-upstream-reload-"));
  server = await startSites({ dir, ports: 1, text: ([p]) => config(p!, [a.port, b.port]), timeoutMs: 90_000 });
  port = server.ports[0]!;
});

after(async () => {
  await server?.stop();
  for (const x of [a, b, c]) x?.server.close();
});

async function ask(target: string): Promise<number> {
  const { bytes } = await exchange(port, rawRequest(target, { host: "a.test", close: true }), { timeoutMs: 15_000 });
  return parseResponses(bytes)[0]?.status ?? 0;
}

async function metrics(): Promise<Exposition> {
  const { bytes } = await exchange(port, rawRequest("/_portico/metrics", { host: "a.test", close: true }), {
    timeoutMs: 15_000,
  });
  const res = parseResponses(bytes)[0]!;
  assert.equal(res.status, 200);
  return parseExposition(res.body.toString());
}

function reloads(): number {
  return (server!.stdout().match(/reloaded the configuration/g) ?? []).length;
}

async function reloadTo(order: readonly number[]): Promise<void> {
  const before = reloads();
  fs.writeFileSync(server!.file, config(port, order));
  server!.child.kill("SIGHUP");
  const deadline = Date.now() + 60_000;
  while (reloads() <= before) {
    if (Date.now() > deadline) throw new Error(`no reload\nstdout: ${server!.stdout()}\nstderr: ${server!.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const tries = (m: Exposition, backendPort: number): number =>
  m.value("portico_upstream_requests_total", { upstream: `127.0.0.1:${backendPort}` });
const has = (m: Exposition, backendPort: number): boolean =>
  m.families
    .get("portico_upstream_requests_total")!
    .series.some((s) => s.labels.upstream === `127.0.0.1:${backendPort}`);

test("a reload that reorders upstreams keeps each one's counters", BOUND, async () => {
  for (let i = 0; i < 8; i++) assert.equal(await ask(`/api/${i}`), 200);
  const first = await metrics();
  assert.equal(tries(first, a.port), a.hits);
  assert.equal(tries(first, b.port), b.hits);
  assert.equal(a.hits + b.hits, 8);
  assert.notEqual(a.hits, b.hits, "unequal shares (weights 3 and 1)");
  const aBefore = a.hits;
  const bBefore = b.hits;
  await reloadTo([b.port, a.port]);
  const reordered = await metrics();
  assert.equal(tries(reordered, a.port), aBefore, "a's counter followed a to its new place");
  assert.equal(tries(reordered, b.port), bBefore, "b's counter followed b to its new place");
  for (let i = 0; i < 4; i++) assert.equal(await ask(`/api/r${i}`), 200);
  const after = await metrics();
  assert.equal(tries(after, a.port), a.hits, "and a keeps counting from there");
  assert.equal(tries(after, b.port), b.hits);
});

test("a reload that removes an upstream and adds one: the new one starts at zero", BOUND, async () => {
  const bBefore = b.hits;
  await reloadTo([c.port, b.port]);
  const m = await metrics();
  assert.equal(has(m, a.port), false, "a removed upstream leaves the exposition");
  assert.equal(tries(m, c.port), 0, "a new upstream starts at zero");
  assert.equal(tries(m, b.port), bBefore, "the one that stayed keeps its total");
  for (let i = 0; i < 4; i++) assert.equal(await ask(`/api/n${i}`), 200);
  const later = await metrics();
  assert.equal(tries(later, c.port), c.hits);
  assert.equal(tries(later, b.port), b.hits);
  const aTotal = a.hits;
  await reloadTo([a.port, b.port, c.port]);
  assert.equal(tries(await metrics(), a.port), aTotal, "an upstream brought back continues its total");
});

test("each upstream's idle keep-alive connections are shown", BOUND, async () => {
  for (let i = 0; i < 3; i++) assert.equal(await ask(`/api/idle${i}`), 200);
  // Sampled once a second: the pool keeps the connections the last requests used (the backends keep
  // them open for 5 s, Node's default); at least one upstream shows one.
  let seen = 0;
  await waitFor(
    async () => {
      const m = await metrics();
      seen = [a.port, b.port, c.port].reduce(
        (n, p) => n + m.value("portico_upstream_idle_connections", { upstream: `127.0.0.1:${p}` }),
        0,
      );
      return seen > 0;
    },
    "an idle connection in the gauge",
    { timeoutMs: 30_000, everyMs: 200 },
  );
  assert.ok(seen > 0);
});
