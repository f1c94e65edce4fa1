// Unit tests for the command line's model: --root's files under "/", --proxy prefixes as routes with
// the files in front when --root is given, --app as the "/" route, --vhosts as one site per
// host-named subdirectory, and the errors each names by its flag.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { parseCommandLine, type ServerModel } from "../../src/config/load.ts";

const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "portico-model-flags-")));
fs.mkdirSync(path.join(dir, "example.com"));
fs.mkdirSync(path.join(dir, "assets"));
fs.writeFileSync(path.join(dir, "app.mjs"), "export default { fetch: () => new Response('ok') };\n");
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function model(argv: string[]): Promise<ServerModel> {
  const command = await parseCommandLine(argv);
  assert.equal(command.kind, "serve");
  return (command as { config: ServerModel }).config;
}

const kinds = (m: ServerModel): string[] =>
  m.sites[0]!.routes.map(
    (r) => `${r.path} ${r.handler.kind}${"tryFiles" in r.handler && r.handler.tryFiles !== null ? "+files" : ""}`,
  );

test("--root alone: one site, one listener, its files under /", async () => {
  const m = await model(["--root", dir, "--host", "127.0.0.1", "8181"]);
  assert.deepEqual(kinds(m), ["/ files"]);
  assert.deepEqual(m.listeners, [{ host: "127.0.0.1", port: 8181, name: "127.0.0.1:8181", sites: [0] }]);
  assert.equal(m.sites[0]!.root, dir);
  assert.equal(m.file, "");
});

test("--proxy prefixes are routes; with --root the files are tried first and take no writes", async () => {
  const proxied = await model(["--proxy", "/api/=http://127.0.0.1:9000", "0"]);
  assert.deepEqual(kinds(proxied), ["/api/ proxy"]);
  assert.equal(proxied.sites[0]!.root, null);
  const both = await model(["--root", dir, "--writable", "--proxy", "/api/=http://127.0.0.1:9000", "0"]);
  assert.deepEqual(kinds(both), ["/api/ proxy+files", "/ files"]);
  const front = both.sites[0]!.routes[0]!.handler;
  assert.equal(front.kind === "proxy" && front.tryFiles?.settings.writable, false);
  assert.equal(
    both.sites[0]!.routes[1]!.handler.kind === "files" && both.sites[0]!.routes[1]!.handler.settings.writable,
    true,
  );
});

test("--app is the / route, after the files when --root is given, beside --proxy prefixes", async () => {
  const app = path.join(dir, "app.mjs");
  assert.deepEqual(kinds(await model(["--app", app, "0"])), ["/ app"]);
  const all = await model(["--app", app, "--root", dir, "--proxy", "/legacy/=http://127.0.0.1:9000", "0"]);
  assert.deepEqual(kinds(all), ["/legacy/ proxy+files", "/ app+files"]);
  const route = all.sites[0]!.routes[1]!.handler;
  assert.equal(route.kind === "app" && route.module, app);
});

test("--app errors name the flag: a missing file, a directory, --proxy / leaving nothing", async () => {
  await assert.rejects(
    () => parseCommandLine(["--app", path.join(dir, "gone.mjs"), "0"]),
    /^Error: --app: .*gone\.mjs does not exist or cannot be read$/,
  );
  await assert.rejects(() => parseCommandLine(["--app", dir, "0"]), /--app: .* is not a file/);
  await assert.rejects(
    () => parseCommandLine(["--app", path.join(dir, "app.mjs"), "--proxy", "http://127.0.0.1:9000", "0"]),
    /--app: --proxy \/ takes every path, so the app would answer none/,
  );
});

test("--vhosts: a site per host-named subdirectory after the root's own, on the same listener", async () => {
  const m = await model(["--root", dir, "--vhosts", "0"]);
  assert.deepEqual(
    m.sites.map((s) => [s.hosts, s.root]),
    [
      [[], dir],
      [["example.com"], path.join(dir, "example.com")],
    ],
  );
  assert.deepEqual(m.listeners[0]!.sites, [0, 1]);
});
