// Streaming through the proxy: uploads and downloads far larger than what the proxy may hold in
// memory pass intact with backpressure both ways; a WebSocket echo works through the Upgrade tunnel.

import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { WebSocket, WebSocketServer } from "ws";
import { type Backend, startBackend } from "../helpers/backends.ts";
import { type RunningServer, startServer } from "../helpers/server.ts";

const TOTAL = 160 << 20;
const CHUNK = Buffer.alloc(64 << 10, "0123456789abcdef");

let bulk: Backend;
let proxy: RunningServer;
let wsBackend: http.Server;
let wsPort = 0;

before(async () => {
  bulk = await startBackend("bulk", (req, res) => {
    if (req.method === "POST") {
      const hash = crypto.createHash("sha256");
      let size = 0;
      req.on("data", (d: Buffer) => {
        hash.update(d);
        size += d.length;
      });
      req.on("end", () => res.end(JSON.stringify({ size, sha: hash.digest("hex") })));
      return;
    }
    res.writeHead(200, { "Content-Type": "application/octet-stream" });
    let sent = 0;
    const pump = (): void => {
      while (sent < TOTAL) {
        sent += CHUNK.length;
        if (!res.write(CHUNK)) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
  });
  wsBackend = http.createServer();
  const wss = new WebSocketServer({ server: wsBackend, path: "/ws/chat" });
  wss.on("connection", (socket) =>
    socket.on("message", (data, binary) => socket.send(binary ? data : `echo: ${data.toString()}`)),
  );
  await new Promise<void>((r) => wsBackend.listen(0, "127.0.0.1", r));
  wsPort = (wsBackend.address() as AddressInfo).port;
  proxy = await startServer({
    args: ["-t", "1", "-q", "--proxy", `http://127.0.0.1:${bulk.port}`, "--proxy", `/ws=http://127.0.0.1:${wsPort}`],
  });
});

after(async () => {
  await proxy.stop();
  await bulk.close();
  wsBackend.closeAllConnections();
  wsBackend.close();
});

function peakRssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

test("a download much larger than the proxy's memory passes intact to a slow reader", async () => {
  const baseline = rssBytes(proxy.child.pid!);
  const { size, sha } = await new Promise<{ size: number; sha: string }>((resolve, reject) => {
    http
      .get({ host: "127.0.0.1", port: proxy.port, path: "/big" }, (res) => {
        const hash = crypto.createHash("sha256");
        let size = 0;
        let n = 0;
        res.on("data", (d: Buffer) => {
          hash.update(d);
          size += d.length;
          // Read in bursts so the proxy has to hold back the upstream.
          if (++n % 64 === 0) {
            res.pause();
            setTimeout(() => res.resume(), 5);
          }
        });
        res.on("end", () => resolve({ size, sha: hash.digest("hex") }));
        res.on("error", reject);
      })
      .on("error", reject);
  });
  const expected = crypto.createHash("sha256");
  for (let s = 0; s < TOTAL; s += CHUNK.length) expected.update(CHUNK);
  assert.equal(size, TOTAL);
  assert.equal(sha, expected.digest("hex"));
  const growth = peakRssBytes(proxy.child.pid!) - baseline;
  assert.ok(growth < TOTAL / 2, `proxy memory grew by ${growth >> 20} MiB for a ${TOTAL >> 20} MiB body`);
});

test("an upload much larger than the proxy's memory streams to the upstream intact, chunked or sized", async () => {
  for (const chunked of [false, true]) {
    const baseline = rssBytes(proxy.child.pid!);
    const result = await new Promise<string>((resolve, reject) => {
      const headers: Record<string, string | number> = chunked
        ? { "Transfer-Encoding": "chunked" }
        : { "Content-Length": TOTAL };
      const req = http.request(
        { host: "127.0.0.1", port: proxy.port, method: "POST", path: "/upload", headers },
        (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () => resolve(body));
        },
      );
      req.on("error", reject);
      let sent = 0;
      const pump = (): void => {
        while (sent < TOTAL) {
          sent += CHUNK.length;
          if (!req.write(CHUNK)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
    const expected = crypto.createHash("sha256");
    for (let s = 0; s < TOTAL; s += CHUNK.length) expected.update(CHUNK);
    assert.deepEqual(JSON.parse(result), { size: TOTAL, sha: expected.digest("hex") });
    const growth = peakRssBytes(proxy.child.pid!) - baseline;
    assert.ok(growth < TOTAL / 2, `proxy memory grew by ${growth >> 20} MiB for a ${TOTAL >> 20} MiB upload`);
  }
});

test("a WebSocket echo works through the proxy (ws as client and server)", async () => {
  const client = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws/chat`);
  const replies: string[] = [];
  await new Promise<void>((resolve, reject) => {
    client.on("open", () => {
      client.send("hello");
      client.send("world");
      client.send(Buffer.alloc(200_000, 7), { binary: true });
    });
    client.on("message", (data, binary) => {
      replies.push(binary ? `binary ${(data as Buffer).length}` : data.toString());
      if (replies.length === 3) client.close(1000, "done");
    });
    client.on("close", (code) => {
      assert.equal(code, 1000);
      resolve();
    });
    client.on("error", reject);
  });
  assert.deepEqual(replies, ["echo: hello", "echo: world", "binary 200000"]);
});

test("an upgrade the upstream refuses comes back as its ordinary response", async () => {
  const client = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws/elsewhere`);
  const status = await new Promise<number>((resolve) => {
    client.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    client.on("error", () => resolve(-1));
  });
  assert.equal(status, 400);
});
