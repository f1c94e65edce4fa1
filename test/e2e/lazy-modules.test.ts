// What each thread loads: a server that needs no TLS, HTTP/2 or passwords never loads node:tls, node:crypto, the
// HTTP/2 engine or bcryptjs (they cost resident memory in every thread), and one that serves HTTPS
// loads them where it needs them. Every thread of the real server lists what it loaded as it exits
// (test/fixtures/module-trace.ts). This runs the sources; test/package.test.ts checks the same of the
// bundled package (its chunks' source maps say which sources each holds).

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { makeSite, startServer } from "../helpers/server.ts";

const TRACE = new URL("../fixtures/module-trace.ts", import.meta.url);
const TLS = path.join(import.meta.dirname, "../fixtures/tls");
const site = makeSite({ "index.html": "hello\n" });
const dirs: string[] = [];

after(() => {
  fs.rmSync(site, { recursive: true, force: true });
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Starts the server with `args`, stops it, and returns each thread's list of loaded modules. */
async function loadedModules(args: readonly string[]): Promise<string[][]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-modules-"));
  dirs.push(dir);
  const server = await startServer({
    args: ["-q", "-t", "1", "--root", site, ...args],
    nodeArgs: ["--import", `${TRACE.href}?out=${encodeURIComponent(dir)}`],
  });
  assert.equal(await server.stop(), 0);
  return fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), "utf8").trim().split("\n"));
}

const loadsTls = (modules: readonly string[]): boolean => modules.includes("node:tls");
const loadsH2 = (modules: readonly string[]): boolean => modules.some((m) => m.endsWith("/src/h2/session.ts"));
const loadsBcrypt = (modules: readonly string[]): boolean => modules.some((m) => m.includes("/bcryptjs/"));

test("a plain HTTP server loads neither node:tls, node:crypto, the HTTP/2 engine nor bcryptjs, in any thread", async () => {
  const threads = await loadedModules([]);
  // The main thread and the worker; the worker's list shows the HTTP/1.1 engine it serves with.
  assert.equal(threads.length, 2);
  assert.ok(threads.some((modules) => modules.some((m) => m.endsWith("/src/http/connection.ts"))));
  for (const modules of threads) {
    assert.equal(loadsTls(modules), false);
    assert.equal(modules.includes("node:crypto"), false, "node:crypto costs ~0.7 MiB a thread");
    assert.equal(loadsH2(modules), false);
    assert.equal(loadsBcrypt(modules), false);
  }
});

test("an HTTPS server loads node:tls and the HTTP/2 engine in the thread that serves it", async () => {
  const cert = path.join(TLS, "localhost-cert.pem");
  const key = path.join(TLS, "localhost-key.pem");
  const threads = await loadedModules(["--cert", cert, "--key", key]);
  const worker = threads.find((modules) => modules.some((m) => m.endsWith("/src/http/connection.ts")));
  assert.ok(worker !== undefined);
  assert.equal(loadsTls(worker), true);
  assert.equal(loadsH2(worker), true);
});

test("--h2c loads the HTTP/2 engine without node:tls", async () => {
  const threads = await loadedModules(["--h2c"]);
  assert.ok(threads.some(loadsH2));
  for (const modules of threads) assert.equal(loadsTls(modules), false);
});
