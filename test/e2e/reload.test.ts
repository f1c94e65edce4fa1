// Reloading a configuration file (SIGHUP and --watch) while clients keep asking: every response is
// checked and none may fail; requests under way finish under the configuration they started with;
// an invalid file leaves the running configuration; listeners and threads follow the file.

import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { startBackend } from "../helpers/backends.ts";
import { connect, exchange, parseResponses, type RawResponse } from "../helpers/raw.ts";
import { type SiteServer, startSites } from "../helpers/site-server.ts";

const BOUND = { timeout: 120_000 };

function siteDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-reload-"));
  fs.mkdirSync(path.join(dir, "www"));
  fs.writeFileSync(path.join(dir, "www", "f.txt"), "hello");
  return dir;
}

/** A site on one port whose every response carries X-Gen: `gen`. */
function config(port: number, gen: number, extra = ""): string {
  return `threads = 2\n${extra}\n[log]\nquiet = true\n\n[[site]]\nlisten = ["127.0.0.1:${port}"]\nroot = "www"\nheaders = { "X-Gen" = "${gen}" }\n`;
}

async function get(port: number, target = "/f.txt"): Promise<RawResponse> {
  const { bytes } = await exchange(port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, {
    timeoutMs: 15_000,
  });
  const res = parseResponses(bytes)[0];
  if (res === undefined) throw new Error(`no response to ${target}`);
  return res;
}

/**
 * Clients asking for /f.txt without pause until stopped: half open a connection per request, half
 * send five requests per keep-alive connection. Every answer must be a 200 with the file; anything
 * else (a reset, a connection closed before its answers, another status) is a failure, kept by kind.
 */
function loadLoop(port: number, clients = 6) {
  let stop = false;
  let ok = 0;
  const failures = new Map<string, number>();
  const fail = (what: string): void => {
    failures.set(what, (failures.get(what) ?? 0) + 1);
  };
  const session = (requests: number): Promise<void> =>
    new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      let answered = 0;
      let buffer = "";
      const ask = (): void => {
        const last = answered === requests - 1;
        socket.write(`GET /f.txt HTTP/1.1\r\nHost: x\r\n${last ? "Connection: close\r\n" : ""}\r\n`);
      };
      socket.setEncoding("latin1");
      socket.on("connect", ask);
      socket.on("data", (chunk: string) => {
        buffer += chunk;
        for (;;) {
          const end = buffer.indexOf("\r\n\r\nhello");
          if (end === -1) break;
          if (buffer.startsWith("HTTP/1.1 200 ")) ok++;
          else fail(`status ${buffer.slice(9, 12)}`);
          buffer = buffer.slice(end + 9);
          if (++answered < requests) ask();
        }
      });
      socket.on("error", (error: NodeJS.ErrnoException) => fail(error.code ?? "error"));
      socket.on("close", () => {
        if (answered < requests) fail(`closed after ${answered} of ${requests} answers`);
        resolve();
      });
    });
  const loops = Array.from({ length: clients }, async (_, i) => {
    while (!stop) await session(i % 2 === 0 ? 1 : 5);
  });
  return {
    async stop(): Promise<{ ok: number; failures: Record<string, number> }> {
      stop = true;
      await Promise.all(loops);
      return { ok, failures: Object.fromEntries(failures) };
    },
  };
}

/** Counts the "reloaded" notices so far. */
function reloads(server: SiteServer): number {
  return (server.stdout().match(/reloaded the configuration/g) ?? []).length;
}

/** Waits for the `n`th "reloaded" notice. */
async function reloaded(server: SiteServer, n: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (reloads(server) < n) {
    if (Date.now() > deadline)
      throw new Error(`no reload ${n}\nstdout: ${server.stdout()}\nstderr: ${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function reloadUnderLoad(how: "SIGHUP" | "--watch"): Promise<void> {
  const dir = siteDir();
  const server = await startSites({
    dir,
    ports: 1,
    text: (ports) => config(ports[0]!, 0),
    args: how === "--watch" ? ["--watch"] : [],
  });
  const port = server.ports[0]!;
  try {
    const load = loadLoop(port);
    for (let gen = 1; gen <= 6; gen++) {
      // Let the clients run a while under each configuration.
      await new Promise((r) => setTimeout(r, 300));
      const before = reloads(server);
      fs.writeFileSync(server.file, config(port, gen));
      if (how === "SIGHUP") server.child.kill("SIGHUP");
      await reloaded(server, before + 1);
      assert.equal((await get(port)).headers["x-gen"], String(gen), `the configuration of reload ${gen} answers`);
    }
    await new Promise((r) => setTimeout(r, 300));
    const { ok, failures } = await load.stop();
    assert.deepEqual(failures, {}, `failed requests during reloads (${ok} succeeded)`);
    assert.ok(ok > 0);
  } finally {
    await server.stop();
  }
}

test("SIGHUP under load: no request fails, and each reload's configuration answers after it", BOUND, () =>
  reloadUnderLoad("SIGHUP"),
);

test("--watch under load: saving the file reloads it, and no request fails", BOUND, () => reloadUnderLoad("--watch"));

test("requests under way finish under the configuration they started with", BOUND, async () => {
  const slow = await startBackend("slow");
  slow.delayMs = 1500;
  const dir = siteDir();
  const text = (port: number, gen: number): string =>
    `${config(port, gen)}\n  [[site.route]]\n  path = "/api/"\n  proxy = { upstreams = ["http://127.0.0.1:${slow.port}"] }\n\n  [[site.route]]\n  path = "/"\n`;
  const server = await startSites({ dir, ports: 1, text: (ports) => text(ports[0]!, 1) });
  const port = server.ports[0]!;
  let socket: net.Socket | null = null;
  try {
    socket = await connect(port);
    let received = "";
    socket.setEncoding("latin1").on("data", (d: string) => (received += d));
    socket.write("GET /api/slow HTTP/1.1\r\nHost: x\r\n\r\n");
    const deadline = Date.now() + 20_000;
    while (slow.hits === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(slow.hits, 1, "the request reached the upstream before the reload");
    fs.writeFileSync(server.file, text(port, 2));
    server.child.kill("SIGHUP");
    await server.waitFor(/reloaded the configuration/);
    assert.equal((await get(port)).headers["x-gen"], "2", "new requests get the new configuration");
    while (!received.includes("slow GET /api/slow") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    const [inFlight] = parseResponses(Buffer.from(received, "latin1"));
    assert.equal(inFlight!.status, 200);
    assert.equal(inFlight!.headers["x-gen"], "1", "the request under way kept the configuration it started with");
    // The same keep-alive connection's next request is answered by the new configuration.
    received = "";
    socket.write("GET /f.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    // The server ends its side after answering (the connection is half-open on ours).
    await new Promise((r) => socket!.once("end", r));
    assert.equal(parseResponses(Buffer.from(received, "latin1"))[0]!.headers["x-gen"], "2");
  } finally {
    socket?.destroy();
    await server.stop();
    await slow.close();
  }
});

test("an invalid file is reported with its line and the running configuration stays", BOUND, async () => {
  const dir = siteDir();
  const server = await startSites({ dir, ports: 1, text: (ports) => config(ports[0]!, 1) });
  const port = server.ports[0]!;
  try {
    fs.writeFileSync(server.file, config(port, 2, 'max_body = "lots"'));
    server.child.kill("SIGHUP");
    await server.waitFor(/reload failed: .*portico\.toml:2: max_body must be a size/);
    assert.equal((await get(port)).headers["x-gen"], "1");
    fs.writeFileSync(server.file, config(port, 3));
    server.child.kill("SIGHUP");
    await server.waitFor(/reloaded the configuration/);
    assert.equal((await get(port)).headers["x-gen"], "3");
  } finally {
    await server.stop();
  }
});

test("a reload adds and removes listeners, and a port in use is refused with the running one kept", BOUND, async () => {
  const dir = siteDir();
  const listen = (ports: readonly number[]): string =>
    `[log]\nquiet = true\n[[site]]\nlisten = [${ports.map((p) => `"127.0.0.1:${p}"`).join(", ")}]\nroot = "www"\n`;
  const server = await startSites({ dir, ports: 2, text: (ports) => listen([ports[0]!]) });
  const [a, b] = server.ports as [number, number];
  const taken = net.createServer();
  try {
    fs.writeFileSync(server.file, listen([a, b]));
    server.child.kill("SIGHUP");
    await server.waitFor(/reloaded the configuration/);
    assert.equal((await get(b)).status, 200, "the added listener serves");
    fs.writeFileSync(server.file, listen([b]));
    server.child.kill("SIGHUP");
    await reloaded(server, 2);
    assert.equal((await get(b)).status, 200);
    await assert.rejects(connect(a), /ECONNREFUSED/, "the removed listener is closed");
    // Another process holds port a now: a reload that asks for it fails and changes nothing.
    await new Promise<void>((r) => taken.listen(a, "127.0.0.1", r));
    fs.writeFileSync(server.file, listen([b, a]));
    server.child.kill("SIGHUP");
    await server.waitFor(/reload failed: cannot listen on 127\.0\.0\.1:\d+: port \d+ is already in use/);
    assert.equal((await get(b)).status, 200);
  } finally {
    taken.close();
    await server.stop();
  }
});

test("a reload that asks for more threads starts them", BOUND, async () => {
  const dir = siteDir();
  const server = await startSites({
    dir,
    ports: 1,
    text: (ports) => config(ports[0]!, 1).replace("threads = 2", "threads = 1"),
  });
  const port = server.ports[0]!;
  try {
    assert.match(server.stdout(), /\(1 thread[,)]/);
    fs.writeFileSync(server.file, config(port, 2).replace("threads = 2", "threads = 3"));
    server.child.kill("SIGHUP");
    await server.waitFor(/reloaded the configuration \(3 threads\)/);
    for (let i = 0; i < 6; i++) assert.equal((await get(port)).headers["x-gen"], "2");
  } finally {
    await server.stop();
  }
});
