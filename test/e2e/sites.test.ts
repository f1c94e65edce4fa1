// The example configuration (docs/portico.example.toml) end to end: every comment in it is checked
// here against the real server (-t 2), plus rate limits counted across both threads, encoded paths
// meeting their route, and `portico check`. Reloads under load are reload.test.ts's.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { type Backend, startBackend } from "../helpers/backends.ts";
import { exchange, parseResponses, type RawResponse } from "../helpers/raw.ts";
import { runCli } from "../helpers/server.ts";
import { type SiteServer, startSites } from "../helpers/site-server.ts";

const EXAMPLE = fs.readFileSync(new URL("../../docs/portico.example.toml", import.meta.url), "utf8");
const HTPASSWD = "admin:$2y$05$zbmh/0q/XlGM9aCndzQ4LeK0/uJ1d2oe4LY7kEpKpcDUPNV69AkxK\n"; // admin:secret
/** The rate limit's burst in the test: the example's 5 plus the other tests' requests to /api/. */
const BURST = 9;
/** Every test here is a few requests: a bound that only a hung server reaches. */
const BOUND = { timeout: 60_000 };

/** The example with its ports, upstreams and log made local; files beside it as the comments say. */
async function startExample(upstreams: readonly Backend[]): Promise<SiteServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-sites-"));
  const files: Record<string, string> = {
    "sites/shop/index.html": "<h1>shop</h1>\n",
    "sites/shop/1k.txt": "x".repeat(1024),
    "sites/shop/admin/index.html": "admin area\n",
    "sites/shop/internal/index.html": "internal\n",
    "sites/blog/index.html": "blog\n",
    "admin.htpasswd": HTPASSWD,
  };
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return startSites({
    dir,
    ports: 2,
    text: (ports) =>
      EXAMPLE.replaceAll("127.0.0.1:8080", `127.0.0.1:${ports[0]}`)
        .replaceAll("127.0.0.1:8081", `127.0.0.1:${ports[1]}`)
        .replace("http://127.0.0.1:9001", `http://127.0.0.1:${upstreams[0]!.port}`)
        .replace("http://127.0.0.1:9002", `http://127.0.0.1:${upstreams[1]!.port}`)
        .replace("/var/log/portico/access.log", "access.log")
        // A slow refill so the burst is what the test sees, however slowly it runs; room in it for
        // the proxy tests' requests from the same address.
        .replace('rate = "10/s", burst = 5', `rate = "1/h", burst = ${BURST}`),
  });
}

async function get(port: number, target: string, host: string, fields = ""): Promise<RawResponse> {
  const method = target.startsWith("OPTIONS ") ? "" : "GET ";
  const { bytes } = await exchange(
    port,
    `${method}${target} HTTP/1.1\r\nHost: ${host}\r\n${fields}Connection: close\r\n\r\n`,
    { timeoutMs: 15_000 },
  );
  const res = parseResponses(bytes)[0];
  if (res === undefined) throw new Error(`no response to ${target}`);
  return res;
}

const backends: Backend[] = [];
let server: SiteServer | null = null;
let ports: readonly number[] = [];

before(async () => {
  backends.push(await startBackend("api-1"), await startBackend("api-2"));
  server = await startExample(backends);
  ports = server.ports;
});

// Whatever part of the setup succeeded is undone: a backend or child left open would keep this file's
// process alive after its tests end.
after(async () => {
  await server?.stop();
  for (const b of backends) await b.close();
});

test("threads = 2 and [log] as json to a file relative to the configuration", BOUND, async () => {
  assert.match(server!.stdout(), /\(2 threads[,)]/);
  await get(ports[0]!, "/healthz", "shop.test");
  const log = path.join(server!.dir, "access.log");
  const deadline = Date.now() + 5000;
  while ((!fs.existsSync(log) || fs.readFileSync(log, "utf8") === "") && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const line = JSON.parse(fs.readFileSync(log, "utf8").split("\n")[0]!) as Record<string, unknown>;
  assert.equal(typeof line, "object");
});

test("hosts: exact names pick their site; the first site of a listener answers other hosts", BOUND, async () => {
  assert.equal((await get(ports[0]!, "/", "shop.test")).body.toString(), "<h1>shop</h1>\n");
  assert.equal((await get(ports[0]!, "/", "WWW.Shop.Test:80")).body.toString(), "<h1>shop</h1>\n");
  assert.equal((await get(ports[0]!, "/", "blog.test")).body.toString(), "blog\n");
  assert.equal((await get(ports[0]!, "/", "unknown.test")).body.toString(), "<h1>shop</h1>\n");
  // The blog's second listener has only the blog: it answers every host.
  assert.equal((await get(ports[1]!, "/", "shop.test")).body.toString(), "blog\n");
});

test("headers: added to every response of the site, whatever answers it", BOUND, async () => {
  for (const target of ["/", "/1k.txt", "/healthz", "/old/x", "/admin/", "/internal/", "/nope.txt", "/api/x"])
    assert.equal((await get(ports[0]!, target, "shop.test")).headers["x-frame-options"], "DENY", target);
  assert.equal((await get(ports[0]!, "/", "blog.test")).headers["x-frame-options"], undefined);
});

test("proxy: the longest prefix wins, upstreams balanced round-robin", BOUND, async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const res = await get(ports[0]!, `/api/items?n=${i}`, "shop.test");
    assert.equal(res.status, 200);
    assert.match(res.body.toString(), new RegExp(`GET /api/items\\?n=${i}`));
    seen.add(res.headers["x-backend"]!);
  }
  assert.deepEqual([...seen].sort(), ["api-1", "api-2"]);
  // An encoded or doubled path meets the same route (matched canonically) and goes upstream as received.
  const encoded = await get(ports[0]!, "/%61pi/items", "shop.test");
  assert.equal(encoded.status, 200);
  assert.match(encoded.body.toString(), /GET \/%61pi\/items/);
  assert.equal((await get(ports[0]!, "//api/items", "shop.test")).status, 200);
  // "/api" without its slash is redirected to the prefix, as nginx does.
  const bare = await get(ports[0]!, "/api?q=1", "shop.test");
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.location, "/api/?q=1");
});

test(
  "a route that names no handler serves the site's files, behind basic auth with bcrypt entries",
  BOUND,
  async () => {
    const anonymous = await get(ports[0]!, "/admin/", "shop.test");
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers["www-authenticate"], 'Basic realm="shop admin", charset="UTF-8"');
    const wrong = Buffer.from("admin:wrong").toString("base64");
    assert.equal((await get(ports[0]!, "/admin/", "shop.test", `Authorization: Basic ${wrong}\r\n`)).status, 401);
    const right = Buffer.from("admin:secret").toString("base64");
    const ok = await get(ports[0]!, "/admin/", "shop.test", `Authorization: Basic ${right}\r\n`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.toString(), "admin area\n");
    // Encoded or doubled paths meet the same route: no way around the password.
    assert.equal((await get(ports[0]!, "/%61dmin/", "shop.test")).status, 401);
    assert.equal((await get(ports[0]!, "//admin/", "shop.test")).status, 401);
    assert.equal((await get(ports[0]!, "/x/../admin/", "shop.test")).status, 401);
  },
);

test("allow: others get 403", BOUND, async () => {
  const res = await get(ports[0]!, "/internal/", "shop.test");
  assert.equal(res.status, 403);
});

test("redirect: the matched prefix is replaced; rest of path and query kept", BOUND, async () => {
  const res = await get(ports[0]!, "/old/a/b.html?x=1&y=2", "shop.test");
  assert.equal(res.status, 301);
  assert.equal(res.headers.location, "/new/a/b.html?x=1&y=2");
});

test("respond: a fixed answer", BOUND, async () => {
  const res = await get(ports[0]!, "/healthz", "shop.test");
  assert.equal(res.status, 200);
  assert.equal(res.body.toString(), "ok\n");
});

test("files = { spa = true }: HTML navigations to missing paths get the index", BOUND, async () => {
  const res = await get(ports[0]!, "/some/page", "shop.test", "Accept: text/html\r\n");
  assert.equal(res.status, 200);
  assert.equal(res.body.toString(), "<h1>shop</h1>\n");
  assert.equal((await get(ports[0]!, "/missing.js", "shop.test")).status, 404);
});

test("cors: preflight answered; only listed origins get Access-Control-Allow-Origin", BOUND, async () => {
  const pre = await get(
    ports[0]!,
    "OPTIONS /1k.txt",
    "shop.test",
    "Origin: https://app.test\r\nAccess-Control-Request-Method: PUT\r\nAccess-Control-Request-Headers: x-token\r\n",
  );
  assert.equal(pre.status, 204);
  assert.equal(pre.headers["access-control-allow-origin"], "https://app.test");
  assert.match(pre.headers["access-control-allow-methods"]!, /PUT/);
  assert.equal(pre.headers["access-control-allow-headers"], "x-token");
  const listed = await get(ports[0]!, "/1k.txt", "shop.test", "Origin: https://app.test\r\n");
  assert.equal(listed.headers["access-control-allow-origin"], "https://app.test");
  assert.match(listed.headers.vary!, /Origin/);
  assert.equal(listed.body.length, 1024);
  const other = await get(ports[0]!, "/1k.txt", "shop.test", "Origin: https://evil.test\r\n");
  assert.equal(other.status, 200);
  assert.equal(other.headers["access-control-allow-origin"], undefined);
  assert.equal(
    (
      await get(
        ports[0]!,
        "OPTIONS /1k.txt",
        "shop.test",
        "Origin: https://evil.test\r\nAccess-Control-Request-Method: PUT\r\n",
      )
    ).status,
    403,
  );
});

test("rate_limit: 429 + Retry-After once the burst is spent, counted across both threads", BOUND, async () => {
  // burst = N: N + 1 requests pass (nginx burst=N nodelay), on connections the kernel spreads over threads.
  const statuses: number[] = [];
  let retryAfter = "";
  for (let i = 0; i < 12; i++) {
    const res = await get(ports[0]!, "/api/limited", "www.shop.test", "X-Probe: rate\r\n");
    statuses.push(res.status);
    if (res.status === 429) retryAfter = res.headers["retry-after"] ?? "";
  }
  // Earlier tests spent some of the same client's tokens: whatever is left passes, the rest are 429.
  const passed = statuses.filter((s) => s === 200).length;
  assert.ok(passed <= BURST + 1, `at most the burst passes (${statuses.join(",")})`);
  assert.equal(
    statuses.slice(passed).every((s) => s === 429),
    true,
    statuses.join(","),
  );
  assert.match(retryAfter, /^\d+$/);
});

test("portico check validates the file: exit 0 when valid, 1 with one line when not", BOUND, async () => {
  const ok = await runCli(["check", "-c", server!.file]);
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /is valid: 2 site\(s\), 7 route\(s\), 2 listener\(s\)/);
  const bad = path.join(server!.dir, "bad.toml");
  fs.writeFileSync(bad, fs.readFileSync(server!.file, "utf8").replace("proxy = {", "prxy = {"));
  const failed = await runCli(["check", "-c", bad]);
  assert.equal(failed.code, 1);
  assert.match(
    failed.stderr,
    /^portico: .*bad\.toml:\d+: unknown key "prxy" in site\.route \(did you mean "proxy"\?\)\n$/,
  );
});
