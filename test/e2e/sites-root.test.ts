// A site's root answers the paths no route matches (nginx's implicit location, Caddy's site-level
// file_server), with the site's middleware; a site without a root answers them 404. And a site's
// `headers` reach HTTP/2 clients as they reach HTTP/1.1 ones (curl over h2c): set, added, removed,
// lower-cased, on cached files and on fixed responses alike.

import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { exchange, parseResponses, type RawResponse } from "../helpers/raw.ts";
import { type SiteServer, startSites } from "../helpers/site-server.ts";

const run = promisify(execFile);
const BOUND = { timeout: 60_000 };
const noCurlH2 = /HTTP2/.test(spawnSync("curl", ["--version"], { encoding: "utf8" }).stdout ?? "")
  ? false
  : "curl with HTTP/2 is not installed";

let server: SiteServer | null = null;
let port = 0;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-sites-root-"));

before(async () => {
  fs.mkdirSync(path.join(dir, "www/docs"), { recursive: true });
  fs.writeFileSync(path.join(dir, "www/index.html"), "<h1>home</h1>\n");
  fs.writeFileSync(path.join(dir, "www/docs/guide.txt"), "the guide\n");
  server = await startSites({
    dir,
    ports: 1,
    // A loaded machine can take long to start the child.
    timeoutMs: 90_000,
    text: ([p]) => `h2c = true

[log]
quiet = true

[[site]]
listen = ["127.0.0.1:${p}"]
root = "www"
headers = { "X-Frame-Options" = "DENY", "+Link" = "</a.css>; rel=preload", "-Server" = "" }

  [[site.route]]
  path = "/api/"
  respond = { body = "api\\n" }

[[site]]
hosts = ["bare.test"]
listen = ["127.0.0.1:${p}"]

  [[site.route]]
  path = "/api/"
  respond = { body = "bare api\\n" }
`,
  });
  port = server.ports[0]!;
});

after(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function get(target: string, host = "site.test"): Promise<RawResponse> {
  const { bytes } = await exchange(port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, {
    timeoutMs: 15_000,
  });
  return parseResponses(bytes)[0]!;
}

test("paths no route matches are served from the site's root, with the site's headers", BOUND, async () => {
  const home = await get("/");
  assert.equal(home.status, 200);
  assert.equal(home.body.toString(), "<h1>home</h1>\n");
  assert.equal(home.headers["x-frame-options"], "DENY");
  assert.equal(home.headers.server, undefined);
  const guide = await get("/docs/guide.txt");
  assert.equal(guide.body.toString(), "the guide\n");
  assert.equal((await get("/missing.txt")).status, 404);
  // The routes still answer theirs.
  assert.equal((await get("/api/x")).body.toString(), "api\n");
});

test("a site without a root answers what no route matches with 404", BOUND, async () => {
  assert.equal((await get("/index.html", "bare.test")).status, 404);
  assert.equal((await get("/api/x", "bare.test")).body.toString(), "bare api\n");
});

test("a site's headers reach HTTP/2 clients: set, added, removed, lower-cased", {
  ...BOUND,
  skip: noCurlH2,
}, async () => {
  for (const target of ["/index.html", "/api/x"]) {
    const { stdout } = await run("curl", [
      "-s",
      "-D",
      "-",
      "-o",
      "/dev/null",
      "--http2-prior-knowledge",
      `http://127.0.0.1:${port}${target}`,
    ]);
    assert.match(stdout, /^HTTP\/2 200/, target);
    assert.match(stdout, /\r\nx-frame-options: DENY\r\n/, target);
    assert.match(stdout, /\r\nlink: <\/a\.css>; rel=preload\r\n/, target);
    assert.doesNotMatch(stdout, /\r\nserver:/i, target);
  }
});
