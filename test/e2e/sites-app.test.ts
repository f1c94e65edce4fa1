// One configuration file composing three handlers in one site: files under "/", a fetch-style app
// (src/app/) under "/api/" with the site's headers and a route's basic auth in front, and a proxy
// under "/legacy/"; plus `app` errors named with their line, and a listener that cannot bind named
// at start.

import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { parseCommandLine } from "../../src/config/load.ts";
import { type Backend, startBackend } from "../helpers/backends.ts";
import { exchange, parseResponses, type RawResponse } from "../helpers/raw.ts";
import { runCli } from "../helpers/server.ts";
import { type SiteServer, startSites } from "../helpers/site-server.ts";

const BOUND = { timeout: 60_000 };
const HTPASSWD = "admin:$2y$05$zbmh/0q/XlGM9aCndzQ4LeK0/uJ1d2oe4LY7kEpKpcDUPNV69AkxK\n"; // admin:secret

/** The app echoes what it was given: method, the whole path and query, and a body's length. */
const APP = `export default {
  async fetch(request) {
    const url = new URL(request.url);
    const body = request.method === "POST" ? (await request.arrayBuffer()).byteLength : 0;
    return Response.json({ method: request.method, path: url.pathname, query: url.search, body }, {
      headers: { "X-App": "yes" },
    });
  },
};
`;

function configText(port: number, upstream: number): string {
  return `threads = 2

[[site]]
listen = ["127.0.0.1:${port}"]
root = "www"
headers = { "X-Site" = "one" }

  [[site.route]]
  path = "/"

  [[site.route]]
  path = "/api/"
  app = "./app.mjs"

  [[site.route]]
  path = "/api/admin/"
  app = "./app.mjs"
  basic_auth = { realm = "api admin", htpasswd = "admin.htpasswd" }

  [[site.route]]
  path = "/legacy/"
  proxy = { upstreams = ["http://127.0.0.1:${upstream}"] }
`;
}

function makeDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-sites-app-"));
  fs.mkdirSync(path.join(dir, "www"));
  fs.writeFileSync(path.join(dir, "www/index.html"), "<h1>home</h1>\n");
  fs.writeFileSync(path.join(dir, "www/page.txt"), "a page\n");
  fs.writeFileSync(path.join(dir, "app.mjs"), APP);
  fs.writeFileSync(path.join(dir, "admin.htpasswd"), HTPASSWD);
  return dir;
}

async function send(port: number, head: string, body = ""): Promise<RawResponse> {
  const { bytes } = await exchange(port, `${head}Host: any.test\r\nConnection: close\r\n\r\n${body}`, {
    timeoutMs: 15_000,
  });
  const res = parseResponses(bytes)[0];
  if (res === undefined) throw new Error(`no response to ${head.split("\r\n")[0]}`);
  return res;
}

let backend: Backend | null = null;
let server: SiteServer | null = null;
let dir = "";

before(async () => {
  backend = await startBackend("legacy");
  dir = makeDir();
  const upstream = backend.port;
  server = await startSites({ dir, ports: 1, text: (ports) => configText(ports[0]!, upstream) });
});

after(async () => {
  await server?.stop();
  await backend?.close();
  if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
});

test("/ serves the site's files, with the site's headers", BOUND, async () => {
  const port = server!.ports[0]!;
  const home = await send(port, "GET / HTTP/1.1\r\n");
  assert.equal(home.status, 200);
  assert.equal(home.body.toString(), "<h1>home</h1>\n");
  assert.equal(home.headers["x-site"], "one");
  const page = await send(port, "GET /page.txt HTTP/1.1\r\n");
  assert.equal(page.body.toString(), "a page\n");
  assert.equal(page.headers["x-app"], undefined);
  assert.equal((await send(port, "GET /missing.txt HTTP/1.1\r\n")).status, 404);
});

test("/api/ is the app's: it sees the whole path and query, bodies included", BOUND, async () => {
  const port = server!.ports[0]!;
  const get = await send(port, "GET /api/users/7?full=1 HTTP/1.1\r\n");
  assert.equal(get.status, 200);
  assert.equal(get.headers["x-app"], "yes");
  assert.equal(get.headers["x-site"], "one", "the site's headers apply to the app's responses too");
  assert.deepEqual(JSON.parse(get.body.toString()), { method: "GET", path: "/api/users/7", query: "?full=1", body: 0 });
  const post = await send(port, "POST /api/items HTTP/1.1\r\nContent-Length: 5\r\n", "hello");
  assert.deepEqual(JSON.parse(post.body.toString()), { method: "POST", path: "/api/items", query: "", body: 5 });
  // An encoded path meets the route it decodes to.
  const encoded = await send(port, "GET /%61pi/x HTTP/1.1\r\n");
  assert.equal(encoded.headers["x-app"], "yes");
  // "/api" without its slash is redirected to the route, as for every slash-ended prefix.
  const bare = await send(port, "GET /api HTTP/1.1\r\n");
  assert.equal(bare.status, 301);
  assert.equal(bare.headers.location, "/api/");
});

test("a route's basic auth stands in front of the app", BOUND, async () => {
  const port = server!.ports[0]!;
  const anonymous = await send(port, "GET /api/admin/stats HTTP/1.1\r\n");
  assert.equal(anonymous.status, 401);
  assert.equal(anonymous.headers["x-app"], undefined);
  const right = Buffer.from("admin:secret").toString("base64");
  const ok = await send(port, `GET /api/admin/stats HTTP/1.1\r\nAuthorization: Basic ${right}\r\n`);
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body.toString()).path, "/api/admin/stats");
});

test("/legacy/ is proxied, and the upstream sees the path as received", BOUND, async () => {
  const port = server!.ports[0]!;
  const res = await send(port, "GET /legacy/old?q=1 HTTP/1.1\r\n");
  assert.equal(res.status, 200);
  assert.equal(res.headers["x-backend"], "legacy");
  assert.equal(res.body.toString(), "legacy GET /legacy/old?q=1\n");
  assert.equal(res.headers["x-site"], "one");
});

test("portico check counts the app routes; a missing or misspelt app is named with its line", BOUND, async () => {
  const ok = await runCli(["check", "-c", server!.file]);
  assert.equal(ok.code, 0, ok.stderr);
  const text = fs.readFileSync(server!.file, "utf8");
  const line = (needle: string, t: string): number => t.split("\n").findIndex((l) => l.includes(needle)) + 1;
  const cases: [string, RegExp][] = [
    [text.replace('app = "./app.mjs"', 'app = "./gone.mjs"'), /app: \.\/gone\.mjs does not exist or cannot be read$/],
    [text.replace('app = "./app.mjs"', 'app = { modul = "./app.mjs" }'), /unknown key "modul" in site\.route\.app/],
    [text.replace('app = "./app.mjs"', 'app = "./app.mjs"\n  respond = { body = "x" }'), /names two handlers/],
  ];
  for (const [bad, pattern] of cases) {
    const file = path.join(dir, "bad.toml");
    fs.writeFileSync(file, bad);
    const message = await parseCommandLine(["check", "-c", file]).then(
      () => "",
      (error: Error) => error.message,
    );
    assert.match(message, pattern);
    const at = bad.includes("gone.mjs") ? "gone.mjs" : bad.includes("modul") ? "modul" : "respond =";
    assert.ok(message.startsWith(`${file}:${line(at, bad)}: `), message);
  }
});

test("app = { module, try_files = true }: the site's files first, the app for what they lack", BOUND, async () => {
  const text = fs
    .readFileSync(server!.file, "utf8")
    .replace('  path = "/"\n', '  path = "/"\n  app = { module = "./app.mjs", try_files = true }\n');
  const file = path.join(dir, "try-files.toml");
  fs.writeFileSync(file, text);
  const command = await parseCommandLine(["check", "-c", file]);
  assert.equal(command.kind, "check");
  const route = command.kind === "check" ? command.config.sites[0]!.routes[0]! : null;
  assert.equal(route?.handler.kind, "app");
  assert.equal(route?.handler.kind === "app" && route.handler.tryFiles?.root, fs.realpathSync(path.join(dir, "www")));
});

test("a listener that cannot bind at start is named, and the start fails", BOUND, async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const taken = (blocker.address() as net.AddressInfo).port;
  const file = path.join(dir, "taken.toml");
  fs.writeFileSync(file, configText(taken, backend!.port).replace("threads = 2", "threads = 1"));
  try {
    const run = await runCli(["-c", file]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      new RegExp(`^portico: cannot listen on 127\\.0\\.0\\.1:${taken}: port ${taken} is already in use`, "m"),
    );
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});
