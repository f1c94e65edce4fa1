// Resident memory: per idle keep-alive connection (a fresh server, a baseline after warm-up, then N
// connections that each served one request and now wait; (RSS after − RSS before) / N), and of a
// whole idle server per thread count (the idle-rss scenario). Both readings of the first come after
// QUIET_MS without traffic: Portico gives memory back after ~10 s of quiet, so a baseline read sooner
// would be trimmed or not depending on timing, and the difference would count heap that V8 grew and
// had not yet given back as memory of the connections.

import { spawn } from "node:child_process";
import path from "node:path";
import { residentBytes, type ServerEnv, type ServerVariant, sleep, startServer } from "./servers.ts";

export interface MemoryResult {
  readonly baselineBytes: number;
  readonly loadedBytes: number;
  readonly connections: number;
  readonly bytesPerConnection: number;
}

/** Quiet time before each reading of the per-connection measurement (see the header). */
const QUIET_MS = 15_000;

export async function measureIdleMemory(v: ServerVariant, env: ServerEnv, connections: number): Promise<MemoryResult> {
  const server = await startServer(v, env);
  try {
    for (let i = 0; i < 200; i++) await (await fetch(`http://127.0.0.1:${server.port}/1k.txt`)).arrayBuffer();
    await sleep(QUIET_MS);
    const baselineBytes = residentBytes(server.pid);
    const client = spawn(
      env.node,
      [path.join(env.repo, "bench/lib/idle-client.ts"), String(server.port), String(connections)],
      {
        stdio: ["pipe", "pipe", "inherit"],
      },
    );
    const ready = await new Promise<string>((resolve, reject) => {
      let out = "";
      client.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (out.includes("\n")) resolve(out.trim());
      });
      client.once("exit", (code) => reject(new Error(`idle client exited early (${code}): ${out}`)));
    });
    const open = Number(ready.split(" ")[1]);
    await sleep(QUIET_MS);
    const loadedBytes = residentBytes(server.pid);
    client.stdin.end();
    await new Promise((resolve) => client.once("exit", resolve));
    return {
      baselineBytes,
      loadedBytes,
      connections: open,
      bytesPerConnection: open > 0 ? (loadedBytes - baselineBytes) / open : Number.NaN,
    };
  } finally {
    await server.stop();
  }
}

/**
 * Resident memory of a fresh server at idle: started, warmed up with 200 requests, left alone for 15 s
 * (Portico gives memory back after ~10 s of quiet; the median of `runs` fresh starts: file-backed pages
 * make single readings wander by a few MiB).
 */
export async function measureIdleRss(v: ServerVariant, env: ServerEnv, runs: number): Promise<number> {
  const readings: number[] = [];
  for (let r = 0; r < runs; r++) {
    const server = await startServer(v, env);
    try {
      for (let i = 0; i < 200; i++) await (await fetch(`http://127.0.0.1:${server.port}/1k.txt`)).arrayBuffer();
      await sleep(15_000);
      readings.push(residentBytes(server.pid));
    } finally {
      await server.stop();
    }
  }
  readings.sort((a, b) => a - b);
  return readings[readings.length >> 1]!;
}
