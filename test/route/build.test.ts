// Unit tests for turning the model into what a worker serves: one handler per listener, hosts routed
// to their sites, the status page and method gate in front, routes with their middleware and limits
// (a site's rate_limit is one limit for every route that inherits it), and the engine's options.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { LockTable } from "../../src/common/lock-table.ts";
import { parseCommandLine, type ServerModel } from "../../src/config/load.ts";
import type { Handler } from "../../src/http/handler.ts";
import { H1Writer } from "../../src/http/h1-writer.ts";
import { DEFAULT_PARSE_LIMITS, parseRequestHead } from "../../src/http/parse-request.ts";
import { Request } from "../../src/http/request.ts";
import { Response } from "../../src/http/response.ts";
import { buildWorker, engineOptions, loadHandlerModules } from "../../src/route/build.ts";
import { SharedState, STATS_LAYOUT } from "../../src/runtime/shared-memory.ts";
import { MemorySink } from "../helpers/fake-exchange.ts";

const shared = SharedState.create();
const siteShared = {
  locks: new LockTable(shared.locks, shared.versions),
  stats: shared.stats,
  statsLayout: STATS_LAYOUT,
  startedAt: Date.now(),
  version: "test",
  rateBuckets: shared.rateBuckets,
};

/** A directory with `files` and a portico.toml of `text`, read into a model. */
async function modelOf(text: string, files: Record<string, string> = {}): Promise<ServerModel> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-build-"));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  fs.writeFileSync(path.join(dir, "portico.toml"), text);
  const command = await parseCommandLine(["check", "-c", path.join(dir, "portico.toml")]);
  assert.equal(command.kind, "check");
  return (command as { config: ServerModel }).config;
}

/** Runs `handler` on one request and waits for the whole response. */
async function ask(handler: Handler, target: string, host = "x", method = "GET", fields = "") {
  const raw = Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: ${host}\r\n${fields}\r\n`, "latin1");
  const req = new Request({ startBody() {}, resumeBody() {}, remoteAddress: "10.1.2.3", remotePort: 1, localPort: 2 });
  assert.equal(parseRequestHead(raw, 0, raw.length, DEFAULT_PARSE_LIMITS, req), null);
  const sink = new MemorySink();
  const res = new Response(new H1Writer(sink), req);
  const taken = await handler.handle(req, res);
  if (!taken) return { status: 0, headers: {} as Record<string, string>, body: "" };
  const deadline = Date.now() + 10_000;
  while (!sink.finished && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const { status, headers, body } = sink.parsed();
  return { status, headers, body: body.toString() };
}

describe("listeners and sites", () => {
  const text = `
[[site]]
hosts = ["shop.test"]
listen = ["127.0.0.1:0"]
root = "shop"

[[site]]
hosts = ["blog.test", "*.blog.test"]
listen = ["127.0.0.1:0", "127.0.0.2:0"]
root = "blog"
`;
  const files = { "shop/index.html": "shop\n", "blog/index.html": "blog\n" };

  test("one handler per listener; a listener's sites are chosen by host, its first answers the rest", async () => {
    const built = buildWorker(await modelOf(text, files), siteShared);
    assert.equal(built.handlers.length, 2);
    const [first, second] = built.handlers as [Handler, Handler];
    assert.equal((await ask(first, "/", "shop.test")).body, "shop\n");
    assert.equal((await ask(first, "/", "Blog.Test:80")).body, "blog\n");
    assert.equal((await ask(first, "/", "www.blog.test")).body, "blog\n");
    assert.equal((await ask(first, "/", "other.test")).body, "shop\n");
    assert.equal((await ask(second, "/", "shop.test")).body, "blog\n", "the blog alone listens there");
    built.close();
  });
});

describe("in front of the sites", () => {
  test("the status page and the method gate answer before any site", async () => {
    const model = await modelOf(
      // The requests come from 10.1.2.3: the status path answers loopback and status_allow alone.
      `status_path = "/_portico"\nstatus_allow = ["10.0.0.0/8"]\nmethods = ["GET", "HEAD"]\n[[site]]\nlisten = ["0"]\nroot = "www"\n`,
      { "www/index.html": "hi\n" },
    );
    const modules = await loadHandlerModules(model);
    assert.ok(modules.admin !== undefined && modules.proxies === undefined, "the status pages alone");
    const [handler] = buildWorker(model, { ...siteShared, modules }).handlers as [Handler];
    assert.equal((await ask(handler, "/_portico/stats")).status, 200);
    assert.equal((await ask(handler, "/", "x", "DELETE")).status, 501);
    assert.equal((await ask(handler, "/")).body, "hi\n");
  });
});

describe("routes", () => {
  const text = `
[[site]]
listen = ["0"]
root = "www"
headers = { "X-Site" = "1" }
rate_limit = { rate = "1/h", burst = 0, key = "header:X-Key" }

  [[site.route]]
  path = "/a/"

  [[site.route]]
  path = "/b/"

  [[site.route]]
  path = "/own/"
  rate_limit = { rate = "1/h", burst = 0, key = "header:X-Key" }
  headers = { "-X-Site" = "", "X-Route" = "own" }

  [[site.route]]
  path = "/small/"
  max_body = "10"
  respond = { body = "small\\n" }
`;
  const files = { "www/a/f.txt": "a", "www/b/f.txt": "b", "www/own/f.txt": "own" };

  test("a site's rate_limit is one limit for every route that inherits it; a route's own counts apart", async () => {
    const [handler] = buildWorker(await modelOf(text, files), siteShared).handlers as [Handler];
    const key = "X-Key: alice\r\n";
    assert.equal((await ask(handler, "/a/f.txt", "x", "GET", key)).status, 200);
    assert.equal((await ask(handler, "/b/f.txt", "x", "GET", key)).status, 429, "/b/ shares the site's limit");
    assert.equal((await ask(handler, "/own/f.txt", "x", "GET", key)).status, 200, "/own/ has its own");
    assert.equal((await ask(handler, "/own/f.txt", "x", "GET", key)).status, 429);
  });

  test("site headers reach every route; a route may remove them and add its own", async () => {
    const [handler] = buildWorker(await modelOf(text, files), siteShared).handlers as [Handler];
    const a = await ask(handler, "/a/f.txt", "x", "GET", "X-Key: a1\r\n");
    assert.equal(a.headers["x-site"], "1");
    const own = await ask(handler, "/own/f.txt", "x", "GET", "X-Key: o1\r\n");
    assert.equal(own.headers["x-site"], undefined);
    assert.equal(own.headers["x-route"], "own");
  });

  test("a route's max_body refuses a larger declared body with 413", async () => {
    const [handler] = buildWorker(await modelOf(text, files), siteShared).handlers as [Handler];
    const big = await ask(handler, "/small/", "x", "POST", "X-Key: s1\r\nContent-Length: 11\r\n");
    assert.equal(big.status, 413);
  });
});

test("the engine's options come from the server-wide values", async () => {
  const model = await modelOf(
    `max_request_line = "4k"\nheaders_timeout = "3s"\nkeep_alive_timeout = "1m"\nrequire_host = false\n[[site]]\nlisten = ["0"]\nroot = "."\n`,
  );
  const engine = engineOptions(model);
  assert.equal(engine.limits.maxRequestLineBytes, 4096);
  assert.equal(engine.headersTimeoutMs, 3000);
  assert.equal(engine.keepAliveTimeoutMs, 60_000);
  assert.equal(engine.limits.requireHost, false);
  assert.equal(engine.maxBodyBytes, model.options.maxBodyBytes);
});

describe("handler modules", () => {
  test("a model that proxies nothing and shows no status page loads neither module", async () => {
    const model = await modelOf(`[[site]]\nlisten = ["0"]\nroot = "www"\n`, { "www/index.html": "hi\n" });
    assert.deepEqual(await loadHandlerModules(model), {});
    const built = buildWorker(model, siteShared);
    assert.deepEqual([...built.idle()], []);
    built.close();
  });

  test("a proxy route loads the proxy; building it without its module is a clear error", async () => {
    const model = await modelOf(
      `[[site]]\nlisten = ["0"]\n[[site.route]]\npath = "/"\nproxy = { upstreams = ["http://127.0.0.1:9"] }\n`,
    );
    const modules = await loadHandlerModules(model);
    assert.ok(modules.proxies !== undefined && modules.admin === undefined);
    assert.throws(() => buildWorker(model, siteShared), /the proxy was not loaded before the build/);
    const built = buildWorker(model, { ...siteShared, modules });
    assert.equal(built.handlers.length, 1);
    built.close();
  });
});
