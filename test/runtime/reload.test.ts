// What a reload in place may change (reload.ts): the kind of server and whether HTTPS runs at all are
// fixed at start, and so is whether a listener the reload keeps speaks TLS (it keeps its socket); new
// listeners may come with the new configuration. The workers' side of a reload is covered with real
// worker threads in supervisor.test.ts and end to end in e2e/reload.test.ts.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { parseCommandLine, type ServerModel, type TcpConfig } from "../../src/config/load.ts";
import { reloadRefusal } from "../../src/runtime/reload.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-reload-"));
fs.mkdirSync(path.join(dir, "www"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function model(args: readonly string[]): Promise<ServerModel | TcpConfig> {
  const command = await parseCommandLine(args);
  assert.ok(command.kind === "serve" || command.kind === "tcp");
  return command.config;
}

let files = 0;
/** A file's model: one site per [address, tls] pair. */
function fileModel(sites: readonly (readonly [string, boolean])[]): Promise<ServerModel | TcpConfig> {
  const text = sites
    .map(([listen, tls]) => `[[site]]\nlisten = ["${listen}"]\nroot = "www"\n${tls ? 'tls = "internal"\n' : ""}`)
    .join("\n");
  const file = path.join(dir, `p${++files}.toml`);
  fs.writeFileSync(file, text);
  return model(["-c", file]);
}

test("a reload cannot switch between HTTP and TCP, and portico tcp has nothing to reload", async () => {
  const http = await model(["--root", dir, "8080"]);
  const tcp = await model(["tcp", "--listen", "9000", "--upstream", "127.0.0.1:9001"]);
  assert.match(reloadRefusal(http, tcp)!, /cannot switch between HTTP and TCP/);
  assert.match(reloadRefusal(tcp, tcp)!, /portico tcp is configured by its command line alone/);
  assert.equal(reloadRefusal(http, http), null);
});

test("a reload cannot turn HTTPS on or off", async () => {
  const http = await model(["--root", dir, "8080"]);
  const https = await model(["--root", dir, "--cert", "a.crt", "--key", "a.key", "8080"]);
  assert.match(reloadRefusal(http, https)!, /cannot switch between HTTP and HTTPS; restart instead/);
  assert.match(reloadRefusal(https, http)!, /cannot switch between HTTP and HTTPS; restart instead/);
});

test("a listener the reload keeps keeps speaking TLS or plain HTTP; added listeners may be either", async () => {
  const running = await fileModel([
    ["127.0.0.1:8443", true],
    ["127.0.0.1:8080", false],
  ]);
  const swapped = await fileModel([
    ["127.0.0.1:8443", false],
    ["127.0.0.1:8444", true],
  ]);
  assert.equal(
    reloadRefusal(running, swapped),
    "portico: reload cannot switch 127.0.0.1:8443 between HTTP and HTTPS; restart instead",
  );
  const grown = await fileModel([
    ["127.0.0.1:8080", false],
    ["127.0.0.1:8444", true],
    ["127.0.0.1:8443", true],
  ]);
  assert.equal(reloadRefusal(running, grown), null);
});
