// Requests by site and route against a known workload on two threads: exact counts by site, route,
// status class and protocol, the rate limit's rejections, requests that met no route or no site under
// their fixed labels, totals that survive a reload (a removed route leaves the exposition, a surviving
// one keeps counting, a route brought back continues), promtool's check of the exposition, and the
// dashboard's table of sites and routes.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { parseExposition, type Exposition } from "../helpers/exposition.ts";
import { promtoolCheck, skipWithoutPromtool } from "../helpers/promtool.ts";
import { exchange, parseResponses, rawRequest } from "../helpers/raw.ts";
import { type SiteServer, startSites } from "../helpers/site-server.ts";

const BOUND = { timeout: 120_000 };
const BURST = 2;

/** Two sites on one port; `variant` changes a.test's routes the way the reload test needs. */
function config(port: number, variant: "first" | "second" | "third"): string {
  const gone =
    variant === "second"
      ? ""
      : '  [[site.route]]\n  path = "=/gone"\n  respond = { status = 503, body = "gone\\n" }\n\n';
  const added =
    variant === "first" ? "" : '  [[site.route]]\n  path = "/new/"\n  respond = { status = 200, body = "new\\n" }\n\n';
  return `threads = 2
status_path = "/_portico"

[log]
quiet = true

[[site]]
hosts = ["a.test"]
listen = ["127.0.0.1:${port}"]
root = "www"

  [[site.route]]
  path = "/api/"
  respond = { status = 200, body = "api\\n" }
  rate_limit = { rate = "1/h", burst = ${BURST}, key = "header:X-Client" }

${gone}${added}  [[site.route]]
  path = "/"

# No root: a path no route covers is the site's 404 under route "(none)" (a site with a root would
# serve its files there, under a "/" route of their own).
[[site]]
hosts = ["b.test"]
listen = ["127.0.0.1:${port}"]

  [[site.route]]
  path = "/only/"
  respond = { status = 204, body = "" }
`;
}

let server: SiteServer | null = null;
let port = 0;

before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-routes-"));
  fs.mkdirSync(path.join(dir, "www"));
  fs.writeFileSync(path.join(dir, "www", "f.txt"), "hello");
  server = await startSites({ dir, ports: 1, text: ([p]) => config(p!, "first"), timeoutMs: 90_000 });
  port = server.ports[0]!;
});

after(async () => {
  await server?.stop();
});

async function ask(host: string, target: string, fields: Record<string, string> = {}): Promise<number> {
  const { bytes } = await exchange(port, rawRequest(target, { host, close: true, fields }), { timeoutMs: 15_000 });
  const res = parseResponses(bytes)[0];
  if (res === undefined) throw new Error(`no response to ${host}${target}`);
  return res.status;
}

async function metrics(): Promise<{ text: string; m: Exposition }> {
  const { bytes } = await exchange(port, rawRequest("/_portico/metrics", { host: "a.test", close: true }), {
    timeoutMs: 15_000,
  });
  const res = parseResponses(bytes)[0]!;
  assert.equal(res.status, 200);
  const text = res.body.toString();
  return { text, m: parseExposition(text) };
}

const route = (site: string, r: string, cls: string, protocol = "HTTP/1.1") => ({
  site,
  route: r,
  class: cls,
  protocol,
});

function reloads(): number {
  return (server!.stdout().match(/reloaded the configuration/g) ?? []).length;
}

async function reloadTo(variant: "second" | "third"): Promise<void> {
  const before = reloads();
  fs.writeFileSync(server!.file, config(port, variant));
  server!.child.kill("SIGHUP");
  const deadline = Date.now() + 60_000;
  while (reloads() <= before) {
    if (Date.now() > deadline) throw new Error(`no reload\nstdout: ${server!.stdout()}\nstderr: ${server!.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("a known workload is counted exactly by site, route, status class and protocol", BOUND, async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push(await ask("a.test", `/api/${i}`, { "X-Client": "t" }));
  assert.deepEqual(statuses, [200, 200, 200, 429, 429], "burst + 1 pass, across both threads");
  for (let i = 0; i < 2; i++) assert.equal(await ask("a.test", "/gone"), 503);
  for (let i = 0; i < 4; i++) assert.equal(await ask("a.test", "/f.txt"), 200);
  assert.equal(await ask("a.test", "/missing"), 404);
  for (let i = 0; i < 3; i++) assert.equal(await ask("b.test", `/only/${i}`), 204);
  for (let i = 0; i < 2; i++) assert.equal(await ask("b.test", "/elsewhere"), 404);
  // HTTP/1.0 is its own protocol label.
  const old = await exchange(port, "GET /f.txt HTTP/1.0\r\nHost: a.test\r\n\r\n", { timeoutMs: 15_000 });
  assert.equal(parseResponses(old.bytes)[0]!.status, 200);
  // No Host: the engine answers 400 before any site is chosen.
  const noHost = await exchange(port, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", { timeoutMs: 15_000 });
  assert.equal(parseResponses(noHost.bytes)[0]!.status, 400);

  const { m } = await metrics();
  const v = (labels: Record<string, string>): number => m.value("portico_route_requests_total", labels);
  assert.equal(v(route("a.test", "/api/", "2xx")), 3);
  assert.equal(v(route("a.test", "/api/", "4xx")), 2);
  assert.equal(m.value("portico_route_rate_limited_total", { site: "a.test", route: "/api/" }), 2);
  assert.equal(v(route("a.test", "=/gone", "5xx")), 2);
  assert.equal(v(route("a.test", "/", "2xx")), 4);
  assert.equal(v(route("a.test", "/", "2xx", "HTTP/1.0")), 1);
  assert.equal(v(route("a.test", "/", "4xx")), 1);
  assert.equal(v(route("b.test", "/only/", "2xx")), 3);
  assert.equal(v(route("b.test", "(none)", "4xx")), 2, "the site's requests no route covers");
  assert.equal(v(route("(none)", "(none)", "4xx")), 1, "no site: the engine's 400");
  // Every series adds up to the server's total (the status path's own excluded).
  const total = (name: string): number => m.families.get(name)!.series.reduce((n, s) => n + s.value, 0);
  assert.equal(total("portico_route_requests_total"), 5 + 2 + 4 + 1 + 1 + 3 + 2 + 1);
  assert.equal(total("portico_route_requests_total"), total("portico_requests_by_protocol_total"));
  // Only rate-limited routes have a rejection series.
  assert.deepEqual(
    m.families.get("portico_route_rate_limited_total")!.series.map((s) => s.labels.route),
    ["/api/"],
  );
});

test(
  "a reload keeps every surviving route's totals, drops a removed one, and a returning one continues",
  BOUND,
  async () => {
    await reloadTo("second");
    let { m } = await metrics();
    const v = (labels: Record<string, string>): number => m.value("portico_route_requests_total", labels);
    assert.equal(v(route("a.test", "/api/", "2xx")), 3, "no reset");
    assert.equal(m.value("portico_route_rate_limited_total", { site: "a.test", route: "/api/" }), 2);
    assert.equal(v(route("a.test", "/", "2xx")), 4);
    assert.equal(v(route("a.test", "/new/", "2xx")), 0, "a new route starts at zero");
    assert.throws(() => v(route("a.test", "=/gone", "5xx")), /no series/, "a removed route leaves the exposition");
    for (let i = 0; i < 3; i++) assert.equal(await ask("a.test", "/new/x"), 200);
    assert.equal(await ask("a.test", "/f.txt"), 200);
    ({ m } = await metrics());
    assert.equal(v(route("a.test", "/new/", "2xx")), 3);
    assert.equal(v(route("a.test", "/", "2xx")), 5, "counted once, by the new configuration");

    await reloadTo("third");
    ({ m } = await metrics());
    assert.equal(v(route("a.test", "=/gone", "5xx")), 2, "back with the total it had");
    assert.equal(v(route("a.test", "/new/", "2xx")), 3);
    assert.equal(await ask("a.test", "/gone"), 503);
    ({ m } = await metrics());
    assert.equal(v(route("a.test", "=/gone", "5xx")), 3);
  },
);

test("promtool check metrics passes on the exposition with the site and route series", {
  ...BOUND,
  skip: skipWithoutPromtool(),
}, async () => {
  const { text } = await metrics();
  assert.match(text, /portico_route_requests_total\{/);
  assert.match(text, /portico_route_rate_limited_total\{/);
  const check = promtoolCheck(text);
  assert.equal(check.output, "");
  assert.equal(check.status, 0);
});

test("the status JSON lists the sites and routes with their figures", BOUND, async () => {
  const { bytes } = await exchange(port, rawRequest("/_portico/stats", { host: "a.test", close: true }), {
    timeoutMs: 15_000,
  });
  const stats = JSON.parse(parseResponses(bytes)[0]!.body.toString()) as {
    routes: Array<{ site: string; route: string; requests: number; rateLimited: number | null }>;
  };
  const api = stats.routes.find((r) => r.site === "a.test" && r.route === "/api/");
  assert.deepEqual(api && [api.requests, api.rateLimited], [5, 2]);
  assert.deepEqual(
    stats.routes.filter((r) => r.site === "b.test").map((r) => r.route),
    ["/only/", "(none)"],
  );
});
