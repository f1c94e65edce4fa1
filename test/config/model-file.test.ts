// A file's site → routes: a site with a root answers what no route matches from that root (a files
// route under "/" after the written ones, with the site's middleware), one without a root does not.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { parseCommandLine, type ServerModel } from "../../src/config/load.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-model-file-"));
fs.mkdirSync(path.join(dir, "www"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function modelOf(text: string): Promise<ServerModel> {
  const file = path.join(dir, "portico.toml");
  fs.writeFileSync(file, text);
  const command = await parseCommandLine(["check", "-c", file]);
  assert.equal(command.kind, "check");
  return (command as { config: ServerModel }).config;
}

test("a site with a root serves its files under / after the routes it names, with its middleware", async () => {
  const model = await modelOf(`[[site]]
root = "www"
headers = { "X-Frame-Options" = "DENY" }

  [[site.route]]
  path = "/api/"
  respond = { body = "api" }

  [[site.route]]
  path = "=/healthz"
  respond = { body = "ok" }
`);
  const routes = model.sites[0]!.routes;
  assert.deepEqual(
    routes.map((r) => [r.exact ? `=${r.path}` : r.path, r.handler.kind]),
    [
      ["/api/", "respond"],
      ["=/healthz", "respond"],
      ["/", "files"],
    ],
  );
  const files = routes[2]!;
  assert.equal(files.handler.kind === "files" && files.handler.root, fs.realpathSync(path.join(dir, "www")));
  assert.deepEqual(files.middleware.headers?.set, [["X-Frame-Options", "DENY"]]);
});

test("a route of its own under / (or no root) leaves the routes as written", async () => {
  const own = await modelOf('[[site]]\nroot = "www"\n[[site.route]]\npath = "/"\nfiles = { spa = true }\n');
  assert.equal(own.sites[0]!.routes.length, 1);
  const bare = await modelOf('[[site]]\n[[site.route]]\npath = "/api/"\nrespond = { body = "api" }\n');
  assert.deepEqual(
    bare.sites[0]!.routes.map((r) => r.path),
    ["/api/"],
  );
});
