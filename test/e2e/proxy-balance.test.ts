// The reverse proxy's balancing policies end to end: real backends, the real CLI, distribution per
// policy, affinity for hashing, least connections steering away from a slow upstream, and no counts
// left behind by a worker that crashed with requests in flight.

import assert from "node:assert/strict";
import http from "node:http";
import { after, before, test } from "node:test";
import { type Backend, type BackendHandler, clientGet, nameHandler, startBackend } from "../helpers/backends.ts";
import { exchange } from "../helpers/raw.ts";
import { type RunningServer, startServer } from "../helpers/server.ts";
import { delay } from "../helpers/wait.ts";

let backends: Backend[] = [];

before(async () => {
  backends = await Promise.all(["a", "b", "c"].map((n) => startBackend(n)));
});

after(async () => {
  await Promise.all(backends.map((b) => b.close()));
});

function urls(weights: number[] = []): string {
  return backends
    .map((b, i) => `http://127.0.0.1:${b.port}${weights[i] !== undefined ? `?weight=${weights[i]}` : ""}`)
    .join(",");
}

async function withProxy(args: string[], run: (port: number) => Promise<void>): Promise<void> {
  for (const b of backends) b.hits = 0;
  const server: RunningServer = await startServer({ args: ["-t", "2", "-q", ...args] });
  try {
    await run(server.port);
  } finally {
    await server.stop();
  }
}

async function tally(
  port: number,
  n: number,
  headers: (i: number) => Record<string, string> = () => ({}),
): Promise<Record<string, number>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await clientGet(port, `/r${i}`, headers(i), agent);
    assert.equal(res.status, 200);
    const name = String(res.headers["x-backend"]);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  agent.destroy();
  return counts;
}

test("round-robin spreads requests evenly", async () => {
  await withProxy(["--proxy", urls(), "--lb", "round-robin"], async (port) => {
    assert.deepEqual(await tally(port, 30), { a: 10, b: 10, c: 10 });
  });
});

test("weighted round-robin follows the weights", async () => {
  await withProxy(["--proxy", urls([3, 2, 1]), "--lb", "weighted"], async (port) => {
    assert.deepEqual(await tally(port, 60), { a: 30, b: 20, c: 10 });
  });
});

test("least-conn and p2c use every upstream", async () => {
  for (const lb of ["least-conn", "p2c"]) {
    await withProxy(["--proxy", urls(), "--lb", lb], async (port) => {
      const counts = await tally(port, 60);
      assert.deepEqual(Object.keys(counts).sort(), ["a", "b", "c"], lb);
    });
  }
});

test("hash on a header or a cookie keeps each key on one upstream (sticky sessions)", async () => {
  for (const [key, header] of [
    ["header:x-user", (i: number) => ({ "x-user": `u${i % 5}` })],
    ["cookie:sid", (i: number) => ({ cookie: `theme=dark; sid=s${i % 5}` })],
  ] as const) {
    await withProxy(["--proxy", urls(), "--lb", "hash", "--hash-key", key], async (port) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const owner = new Map<number, string>();
      const used = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const res = await clientGet(port, "/", header(i), agent);
        const name = String(res.headers["x-backend"]);
        used.add(name);
        const k = i % 5;
        if (owner.has(k)) assert.equal(name, owner.get(k), `${key} key ${k} moved`);
        owner.set(k, name);
      }
      agent.destroy();
      assert.ok(used.size >= 2, `${key}: five keys should use more than one upstream`);
    });
  }
});

test("hash on the client address sends one client to one upstream", async () => {
  await withProxy(["--proxy", urls(), "--lb", "hash"], async (port) => {
    const counts = await tally(port, 12);
    assert.equal(Object.keys(counts).length, 1);
  });
});

test("least connections sends fewer requests to a slow upstream", async () => {
  backends[0]!.delayMs = 150;
  try {
    await withProxy(["--proxy", urls(), "--lb", "least-conn"], async (port) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
      // Six clients in parallel, each sending requests back to back.
      await Promise.all(
        Array.from({ length: 6 }, async (_, c) => {
          for (let i = 0; i < 12; i++) assert.equal((await clientGet(port, `/c${c}/${i}`, {}, agent)).status, 200);
        }),
      );
      agent.destroy();
      const [slow, b, c] = backends.map((x) => x.hits);
      assert.ok(slow! * 2 < b! && slow! * 2 < c!, `slow ${slow}, others ${b} and ${c}`);
    });
  } finally {
    backends[0]!.delayMs = 0;
  }
});

test("a worker that crashes with a request in flight leaves no least-conn count behind", async () => {
  const held: http.ServerResponse[] = [];
  const holdOrName: BackendHandler = (req, res, backend) => {
    if (req.url === "/hold") held.push(res);
    else nameHandler(req, res, backend);
  };
  const pair = await Promise.all(["x", "y"].map((n) => startBackend(n, holdOrName)));
  process.env.PORTICO_FAULT_CRASH_PATH = "/__crash";
  const server = await startServer({
    args: ["-t", "1", "-q", "--lb", "least-conn", "--proxy", pair.map((b) => `http://127.0.0.1:${b.port}`).join(",")],
  });
  delete process.env.PORTICO_FAULT_CRASH_PATH;
  try {
    // One request stays in flight on one upstream, then the worker thread dies under it.
    const inFlight = exchange(server.port, "GET /hold HTTP/1.1\r\nHost: t\r\n\r\n", { timeoutMs: 5000 }).catch(
      () => null,
    );
    // Generous: on a loaded machine a worker's replacement may take seconds to listen.
    const deadline = Date.now() + 30_000;
    while (held.length === 0 && Date.now() < deadline) await delay(20);
    assert.equal(held.length, 1);
    await exchange(server.port, "GET /__crash HTTP/1.1\r\nHost: t\r\n\r\n", { timeoutMs: 1000 }).catch(() => null);
    while (!/restarting/.test(server.stdout()) && Date.now() < deadline) await delay(20);
    await inFlight;
    while (
      (await clientGet(server.port, "/ready").catch(() => ({ status: 0 }))).status !== 200 &&
      Date.now() < deadline
    )
      await delay(50);
    // Nothing is in flight now: ties rotate, so both upstreams serve. A leaked count would send
    // every request to the other one.
    const seen = new Set<string>();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 6; i++)
      seen.add(String((await clientGet(server.port, `/n${i}`, {}, agent)).headers["x-backend"]));
    agent.destroy();
    assert.deepEqual([...seen].sort(), ["x", "y"]);
  } finally {
    for (const res of held) res.destroy();
    await server.stop();
    await Promise.all(pair.map((b) => b.close()));
  }
});
