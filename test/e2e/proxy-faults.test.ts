// The proxy in front of a broken upstream: every kind of fault an upstream can commit (refused,
// reset with or without part of a head, garbage, a head too large, silence, a body cut short) costs
// no idempotent request while a healthy upstream is there, because nothing had reached the client.

import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { test } from "node:test";
import { clientGet } from "../helpers/backends.ts";
import { FAULT_KINDS, type FaultKind, type FaultUpstream, startFaultUpstream } from "../helpers/fault-upstream.ts";
import { startServer } from "../helpers/server.ts";

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** GETs through a proxy in front of a healthy and a faulty upstream; returns the statuses seen. */
async function throughFaults(
  faulty: FaultUpstream | number,
  count: number,
  flags: readonly string[],
): Promise<{ statuses: Map<number, number>; stderr: string }> {
  const healthy = await startFaultUpstream(0, []);
  const faultyPort = typeof faulty === "number" ? faulty : faulty.port;
  const proxy = await startServer({
    args: [
      "-t",
      "1",
      "-q",
      "--proxy",
      `http://127.0.0.1:${faultyPort},http://127.0.0.1:${healthy.port}`,
      "--lb",
      "round-robin",
      "--proxy-response-timeout",
      "500ms",
      ...flags,
    ],
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const statuses = new Map<number, number>();
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < count) {
          const i = next++;
          const res = await clientGet(proxy.port, `/r/${i}`, {}, agent).catch(() => ({ status: 0 }));
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
  } finally {
    agent.destroy();
    await proxy.stop();
    await healthy.close();
  }
  return { statuses, stderr: proxy.stderr() };
}

for (const kind of ["refused", ...FAULT_KINDS] as const) {
  test(`an upstream that fails with ${kind} half the time costs no GET: each is retried on the other`, async () => {
    const faulty = kind === "refused" ? await closedPort() : await startFaultUpstream(0.5, [kind as FaultKind]);
    try {
      // --max-fails 0: the faulty upstream stays in rotation, so every one of its faults is retried.
      const count = kind === "timeout" ? 40 : 150;
      const { statuses } = await throughFaults(faulty, count, ["--max-fails", "0"]);
      assert.deepEqual([...statuses], [[200, count]]);
      if (typeof faulty !== "number") assert.ok(faulty.counts.faults > 0, "the upstream did fail");
    } finally {
      if (typeof faulty !== "number") await faulty.close();
    }
  });
}

test("with default settings, a flaky upstream of every fault kind costs no GET and is taken out after one failure", async () => {
  const faulty = await startFaultUpstream(0.5, FAULT_KINDS);
  try {
    const { statuses, stderr } = await throughFaults(faulty, 300, []);
    assert.deepEqual([...statuses], [[200, 300]]);
    assert.match(stderr, /is out of rotation \(passive: /);
  } finally {
    await faulty.close();
  }
});
