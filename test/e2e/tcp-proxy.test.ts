// `portico tcp` end to end: an echo through the L4 proxy on several threads, half-close passed on in
// both directions, least connections across upstreams, and failover when an upstream refuses.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { after, before, test } from "node:test";
import { delay } from "../helpers/wait.ts";

const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;

interface Echo {
  readonly server: net.Server;
  readonly port: number;
  accepted: number;
  /** Every connection, health checks (which send nothing) included. */
  connections: number;
}

async function startEcho(): Promise<Echo> {
  const echo = { accepted: 0, connections: 0 } as Echo & { server: net.Server; port: number };
  // allowHalfOpen: after the client's FIN the echo still answers, then closes its side.
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    echo.connections++;
    // Counted on first data: health checks connect and leave without sending anything.
    s.once("data", () => echo.accepted++);
    s.on("data", (d: Buffer) => s.write(d));
    s.on("end", () => s.end("bye\n"));
    s.on("error", () => s.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return Object.assign(echo, { server, port: (server.address() as net.AddressInfo).port });
}

async function startTcpProxy(args: string[]): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [CLI, "tcp", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /tcp:\/\/[^\s]*:(\d+)\//.exec(out);
      if (m !== null) resolve({ port: Number(m[1]), child });
    });
    child.once("exit", (code) => reject(new Error(`portico tcp exited (${code}): ${out}${err}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** Connects, sends `data`, half-closes, and collects everything until the proxy closes. */
function roundTrip(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => {
      socket.write(data);
      socket.end();
    });
    let got = "";
    socket.on("data", (d: Buffer) => (got += d.toString()));
    socket.on("end", () => resolve(got));
    socket.on("error", reject);
  });
}

let echoes: Echo[] = [];
let deadPort = 0;
let proxy: { port: number; child: ChildProcess };

before(async () => {
  echoes = [await startEcho(), await startEcho()];
  const dead = net.createServer();
  await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
  deadPort = (dead.address() as net.AddressInfo).port;
  await new Promise((r) => dead.close(r));
  const upstreams = [...echoes.map((e) => `127.0.0.1:${e.port}`), `127.0.0.1:${deadPort}`].join(",");
  proxy = await startTcpProxy([
    "--listen",
    "127.0.0.1:0",
    "--upstream",
    upstreams,
    "-t",
    "2",
    "--health-interval",
    "100ms",
  ]);
});

after(async () => {
  await stop(proxy.child);
  for (const e of echoes) e.server.close();
});

test("relays bytes both ways and passes the client's half-close to the upstream and back", async () => {
  // The echo answers "bye" only after it sees our FIN, so "bye" proves the half-close crossed the
  // proxy, and the upstream's own FIN then ends our read side.
  assert.equal(await roundTrip(proxy.port, "hello through tcp\n"), "hello through tcp\nbye\n");
});

test("spreads streams over the live upstreams and fails over from the dead one", async () => {
  for (const e of echoes) e.accepted = 0;
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => roundTrip(proxy.port, `m${i}\n`)));
  for (const [i, r] of results.entries()) assert.equal(r, `m${i}\nbye\n`);
  assert.equal(echoes[0]!.accepted + echoes[1]!.accepted, 20);
  assert.ok(echoes[0]!.accepted > 0 && echoes[1]!.accepted > 0, `split ${echoes[0]!.accepted}/${echoes[1]!.accepted}`);
});

test("a large stream passes intact with backpressure", async () => {
  const big = "x".repeat(8 << 20);
  const got = await roundTrip(proxy.port, big);
  assert.equal(got.length, big.length + 4);
});

test("connect checks come from one thread: about one per upstream per interval, whatever the thread count", async () => {
  const echo = echoes[0]!;
  const connections = echo.connections;
  const streams = echo.accepted;
  await delay(1000);
  const checks = echo.connections - connections - (echo.accepted - streams);
  // 100 ms interval: about ten a second from one prober, twenty from two threads probing each.
  assert.ok(checks >= 1 && checks <= 14, `${checks} connect checks in a second`);
});
