// Kubernetes-style lifecycle: liveness and readiness under the status path (open to probes from any
// address), --shutdown-delay keeping the listeners open with readiness failing before the drain, the
// shutdown lines, readiness failing while ACME's first certificate is on its way, and -p/--port as the
// positional port's alias.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { get } from "../helpers/raw.ts";
import { makeSite, startServer } from "../helpers/server.ts";
import { tlsGet } from "../helpers/tls-client.ts";
import { waitFor } from "../helpers/wait.ts";

const site = makeSite({ "a.txt": "a" });

test("SIGTERM with --shutdown-delay: readiness fails at once, requests are still served, then a clean exit", async () => {
  const server = await startServer({
    args: ["--root", site, "-t", "2", "-q", "--status-path", "/_portico", "--shutdown-delay", "3s"],
  });
  assert.equal((await get(server.port, "/_portico/readyz")).status, 200);
  assert.equal((await get(server.port, "/_portico/healthz")).status, 200);
  const exited = new Promise<number | null>((resolve) => server.child.once("exit", (code) => resolve(code)));
  server.child.kill("SIGTERM");
  await waitFor(() => /SIGTERM: not ready; still accepting for 3 s/.test(server.stdout()), "the shutdown line", {
    timeoutMs: 10_000,
  });
  const ready = await get(server.port, "/_portico/readyz");
  assert.equal(ready.status, 503);
  assert.equal(ready.body.toString(), "shutting down\n");
  assert.equal((await get(server.port, "/a.txt")).status, 200, "still accepting during the delay");
  assert.equal((await get(server.port, "/_portico/healthz")).status, 200, "alive while shutting down");
  assert.equal(await exited, 0);
  assert.match(server.stdout(), /portico: stopped\n$/);
});

test("liveness and readiness answer probes from a non-loopback address; the rest of the status path does not", async () => {
  const address = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address;
  if (address === undefined) return;
  const server = await startServer({ args: ["--root", site, "-t", "1", "-q", "--status-path", "/_portico"] });
  try {
    const from = (target: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const socket = net.connect({ host: address, port: server.port });
        let data = "";
        socket.on("connect", () => socket.write(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
        socket.on("data", (d: Buffer) => (data += d.toString("latin1")));
        socket.on("end", () => resolve(Number(data.slice(9, 12))));
        socket.on("error", reject);
      });
    assert.equal(await from("/_portico/healthz"), 200);
    assert.equal(await from("/_portico/readyz"), 200);
    assert.equal(await from("/_portico/stats"), 403);
  } finally {
    await server.stop();
  }
});

test("readiness fails while ACME's first certificate is on its way; liveness does not; the banner comes first", async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "portico-acme-wait-"));
  // A CA that cannot be reached: the stand-in certificate is served and the first try is a minute away.
  const server = await startServer({
    timeoutMs: 60_000,
    args: ["--root", site, "-t", "1", "-q", "--status-path", "/_portico", "--acme", "--domain", "a.test"].concat([
      "--acme-ca",
      "https://127.0.0.1:1/directory",
      "--data-dir",
      data,
    ]),
  });
  try {
    const ready = await tlsGet(server.port, { servername: "a.test", path: "/_portico/readyz" });
    assert.equal(ready.status, 503);
    assert.equal(ready.body, "waiting for certificates\n");
    const alive = await tlsGet(server.port, { servername: "a.test", path: "/_portico/healthz" });
    assert.equal(alive.status, 200);
    // The CA's failure is noticed during start-up, before the workers listen: its line waits for the banner.
    await waitFor(() => /could not get a certificate/.test(server.stdout()), "the ACME notice", { timeoutMs: 30_000 });
    assert.match(server.stdout(), /^portico \S+ serving /, "no line before the banner");
  } finally {
    await server.stop();
    fs.rmSync(data, { recursive: true, force: true });
  }
});

test("SIGINT prints what it does and a last line once stopped", async () => {
  const server = await startServer({ args: ["--root", site, "-t", "1", "-q"] });
  const exited = new Promise<number | null>((resolve) => server.child.once("exit", (code) => resolve(code)));
  server.child.kill("SIGINT");
  assert.equal(await exited, 0);
  assert.match(server.stdout(), /\nportico: SIGINT: finishing requests in flight \(up to 10 s\)\nportico: stopped\n$/);
});

test("-p and --port give the port as the positional argument does", async () => {
  for (const flag of ["-p", "--port"]) {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [new URL("../../src/cli.ts", import.meta.url).pathname, "--root", site, "-t", "1", "-q", flag, String(port)],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    try {
      await waitFor(() => /http:\/\/\S+\//.test(out), "the banner", { timeoutMs: 60_000 });
      assert.match(out, new RegExp(`:${port}/`));
      assert.equal((await get(port, "/a.txt")).status, 200);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
