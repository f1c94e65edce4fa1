// The transport a server runs on, end to end: the banner names it (PORTICO_TRANSPORT's choice when
// set, as in CI's second pass), --transport net serves files and proxies alike, and where Node's
// internal bindings are refused (--permission) auto falls back to node:net saying why while an
// explicit --transport uv is one line and exit 1.

import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { get } from "../helpers/raw.ts";
import { makeSite, runCli, startServer } from "../helpers/server.ts";

const site = makeSite({ "a.txt": "on any transport\n" });
const PERMISSION = ["--permission", "--allow-fs-read=*", "--allow-worker"];

test("the banner names the transport the server runs on", async () => {
  const server = await startServer({ args: ["--root", site, "-t", "1", "-q"] });
  try {
    const env = process.env.PORTICO_TRANSPORT;
    if (env === "net" || env === "uv") assert.match(server.stdout(), new RegExp(`\\(1 thread, transport ${env}\\)\\n`));
    else assert.match(server.stdout(), /\(1 thread, transport (uv|net: [^)]+\))\)\n/);
    assert.equal((await get(server.port, "/a.txt")).body.toString(), "on any transport\n");
  } finally {
    await server.stop();
  }
});

test("--transport net serves files and proxies, whatever PORTICO_TRANSPORT says", async () => {
  const backend = http.createServer((req, res) => res.end(`proxied ${req.url}`));
  await new Promise<void>((resolve) => backend.listen(0, "127.0.0.1", resolve));
  const upstream = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const server = await startServer({
    args: ["--transport", "net", "--root", site, "--proxy", `/api=${upstream}/`, "-t", "2", "-q"],
  });
  try {
    assert.match(server.stdout(), /\(2 threads, transport net\)\n/);
    for (let i = 0; i < 4; i++) {
      assert.equal((await get(server.port, "/a.txt")).body.toString(), "on any transport\n");
      assert.equal((await get(server.port, `/api/x${i}`)).body.toString(), `proxied /x${i}`);
    }
  } finally {
    await server.stop();
    backend.close();
  }
});

test("where process.binding is refused, auto runs on node:net and says why; --transport uv is one line", async () => {
  const saved = process.env.PORTICO_TRANSPORT;
  delete process.env.PORTICO_TRANSPORT;
  try {
    const server = await startServer({ nodeArgs: PERMISSION, args: ["--root", site, "-t", "1", "-q"] });
    try {
      assert.match(server.stdout(), /transport net: process\.binding refused \(ERR_ACCESS_DENIED\)\)\n/);
      assert.equal((await get(server.port, "/a.txt")).body.toString(), "on any transport\n");
    } finally {
      await server.stop();
    }
    const refused = await runCli(["--transport", "uv", "--root", site, "0"], { nodeArgs: PERMISSION });
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, "");
    // Node warns about --allow-worker first; of ours there is exactly one line.
    const ours = refused.stderr.split("\n").filter((line) => line.startsWith("portico:"));
    assert.deepEqual(ours, ["portico: the uv transport cannot run here: process.binding refused (ERR_ACCESS_DENIED)"]);
  } finally {
    if (saved !== undefined) process.env.PORTICO_TRANSPORT = saved;
  }
});
