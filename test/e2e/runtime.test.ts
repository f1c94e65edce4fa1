// The runtime end to end: worker threads sharing a port, a crashed worker replaced while the others
// keep serving, load shedding with --max-connections, and graceful shutdown.

import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import { connect, exchange, get, parseResponses } from "../helpers/raw.ts";
import { makeSite, runCli, startServer } from "../helpers/server.ts";
import { startSites } from "../helpers/site-server.ts";
import { delay } from "../helpers/wait.ts";

/** The status of a GET of `path`, or 0 when the connection was cut before any response. */
async function statusOf(port: number, path: string): Promise<number> {
  return get(port, path).then(
    (res) => res.status,
    () => 0,
  );
}

test("a crashed worker thread is replaced and the others keep serving", async () => {
  process.env.PORTICO_FAULT_CRASH_PATH = "/__crash";
  const server = await startServer({ args: ["--root", makeSite({ "f.txt": "ok" }), "-t", "2", "--quiet"] });
  delete process.env.PORTICO_FAULT_CRASH_PATH;
  try {
    let failures = 0;
    let successes = 0;
    let stop = false;
    const clients = 4;
    const load = Array.from({ length: clients }, async () => {
      while (!stop) {
        const status = await statusOf(server.port, "/f.txt");
        if (status === 200) successes++;
        else failures++;
      }
    });
    await delay(300);
    // Crash one worker: the request itself gets no answer.
    await exchange(server.port, "GET /__crash HTTP/1.1\r\nHost: x\r\n\r\n", { timeoutMs: 1000 });
    const deadline = Date.now() + 8000;
    while (!/restarting/.test(server.stdout()) && Date.now() < deadline) await delay(50);
    assert.match(server.stdout(), /worker \d exited \(code 1\); restarting in \d+ ms/);
    await delay(800);
    stop = true;
    await Promise.all(load);
    // Only requests that were in flight on the crashed thread may fail: at most one per client.
    assert.ok(failures <= clients, `${failures} requests failed`);
    assert.ok(successes > 20);
    // After the restart every request succeeds, whichever thread takes it.
    for (let i = 0; i < 40; i++) assert.equal(await statusOf(server.port, "/f.txt"), 200);
  } finally {
    await server.stop();
  }
});

test("a port another Portico already listens on is refused, not silently shared through SO_REUSEPORT", async () => {
  const first = await startServer({ args: ["--root", makeSite({ "f.txt": "first" }), "-t", "1", "--quiet"] });
  try {
    const http = await runCli(["--root", makeSite({ "f.txt": "second" }), "-t", "1", "--quiet", String(first.port)]);
    assert.equal(http.code, 1);
    assert.equal(http.stderr.trim().split("\n").length, 1, http.stderr);
    assert.match(http.stderr, new RegExp(`port ${first.port} is already in use`));
    const tcp = await runCli(["tcp", "--listen", String(first.port), "--upstream", "127.0.0.1:9", "-t", "1"]);
    assert.equal(tcp.code, 1);
    assert.match(tcp.stderr, new RegExp(`port ${first.port} is already in use`));
    assert.equal(await statusOf(first.port, "/f.txt"), 200);
  } finally {
    await first.stop();
  }
});

test("--max-connections sheds load with 503 and Retry-After, and recovers", async () => {
  const server = await startServer({
    args: ["--root", makeSite({ "f.txt": "ok" }), "-t", "2", "--max-connections", "2", "--quiet"],
  });
  try {
    const a = await connect(server.port);
    const b = await connect(server.port);
    await delay(100);
    const { bytes, closed } = await exchange(server.port, "GET /f.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    const [res] = parseResponses(bytes);
    assert.equal(res!.status, 503);
    assert.equal(res!.headers["retry-after"], "1");
    assert.equal(closed, true);
    a.destroy();
    await delay(200);
    assert.equal(await statusOf(server.port, "/f.txt"), 200);
    b.destroy();
  } finally {
    await server.stop();
  }
});

test("SIGTERM lets an in-flight response finish, then exits 0", async () => {
  const server = await startServer({
    args: ["--root", makeSite({ "big.bin": Buffer.alloc(8 << 20, 1) }), "-t", "2", "--quiet"],
  });
  const socket = net.connect({ port: server.port, host: "127.0.0.1" });
  await new Promise((r) => socket.once("connect", r));
  socket.write("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
  // The response has begun (the request is in flight, not waiting unread in the kernel) before SIGTERM;
  // then the client reads slowly enough for the shutdown to find it unfinished.
  let received = 0;
  await new Promise<void>((resolve) =>
    socket.once("data", (d: Buffer) => {
      received += d.length;
      socket.pause();
      resolve();
    }),
  );
  const stopped = server.stop();
  await delay(200);
  socket.on("data", (d: Buffer) => (received += d.length));
  socket.resume();
  await new Promise((r) => socket.once("close", r));
  assert.ok(received > 8 << 20, `received ${received} bytes`);
  assert.equal(await stopped, 0);
});

test("SIGHUP reloads the configuration without dropping an in-flight response", async () => {
  const dir = makeSite({ "www/big.bin": Buffer.alloc(8 << 20, 2), "www/f.txt": "ok" });
  const fs = await import("node:fs");
  const file = (port: number, files: string): string =>
    `threads = 2\n[log]\nquiet = true\n[[site]]\nlisten = ["127.0.0.1:${port}"]\nroot = "www"\n[[site.route]]\npath = "/"\nfiles = ${files}\n`;
  const server = await startSites({
    dir,
    ports: 1,
    text: (ports) => file(ports[0]!, '{ cache_control = "max-age=1" }'),
  });
  const port = server.ports[0]!;
  let slow: net.Socket | null = null;
  try {
    // Reloads happen in place (the listening sockets stay), so no request here needs a retry.
    const headerOf = async (): Promise<string | undefined> => {
      const { bytes } = await exchange(port, "GET /f.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {
        timeoutMs: 10_000,
      });
      return parseResponses(bytes)[0]!.headers["cache-control"];
    };
    assert.equal(await headerOf(), "max-age=1");

    // A slow download in flight.
    slow = await connect(port);
    slow.pause();
    slow.write("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    await delay(200);

    // An invalid file is refused and the running configuration stays.
    fs.writeFileSync(server.file, file(port, '{ cache_size = "lots" }'));
    server.child.kill("SIGHUP");
    await server.waitFor(/reload failed: .*cache_size/);
    assert.equal(await headerOf(), "max-age=1");

    fs.writeFileSync(server.file, file(port, '{ cache_control = "max-age=99" }'));
    server.child.kill("SIGHUP");
    await server.waitFor(/reloaded the configuration \(2 threads\)/);
    for (let i = 0; i < 10; i++) assert.equal(await headerOf(), "max-age=99");

    let received = 0;
    slow.on("data", (d: Buffer) => (received += d.length));
    slow.resume();
    const deadline = Date.now() + 20_000;
    while (received < 8 << 20 && Date.now() < deadline) await delay(20);
    assert.ok(received > 8 << 20, `the in-flight download got ${received} bytes`);
  } finally {
    slow?.destroy();
    await server.stop();
  }
});
