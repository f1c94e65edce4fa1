// Small proxied responses are assembled in each thread's shared output area (src/http/arena.ts) and
// written from there. These tests make writes wait in the kernel (a client that stops reading), so
// the area is pinned by a pending write while other clients are answered, and check every byte.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { type Backend, startBackend } from "../helpers/backends.ts";
import { connect, parseResponses } from "../helpers/raw.ts";
import { type RunningServer, startServer } from "../helpers/server.ts";
import { delay } from "../helpers/wait.ts";

/** A body that names its request and differs in every byte position from its neighbours'. */
function bodyFor(n: number): string {
  const unit = `<${n}>`;
  return `${n}:${unit.repeat(Math.ceil(3000 / unit.length))}`.slice(0, 3000 + (n % 7));
}

let backend: Backend;
let quiet: RunningServer;
let logged: RunningServer;
let logDir = "";

before(async () => {
  backend = await startBackend("numbers", (req, res) => {
    const n = Number((req.url ?? "/r/0").split("/").pop());
    const body = bodyFor(n);
    res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": Buffer.byteLength(body), "X-N": String(n) });
    res.end(body);
  });
  logDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-output-area-"));
  const upstream = `http://127.0.0.1:${backend.port}`;
  quiet = await startServer({ args: ["-t", "1", "-q", "--proxy", upstream] });
  // With an access log, writes are held to the end of each event-loop turn: queued, then flushed.
  logged = await startServer({
    args: ["-t", "1", "--access-log", path.join(logDir, "access.log"), "--proxy", upstream],
  });
});

after(async () => {
  await quiet.stop();
  await logged.stop();
  await backend.close();
  fs.rmSync(logDir, { recursive: true, force: true });
});

/** Pipelines `count` requests on one connection that reads nothing until `release` resolves. */
async function stalledClient(port: number, first: number, count: number, release: Promise<void>): Promise<Buffer> {
  const socket = await connect(port);
  socket.pause();
  const chunks: Buffer[] = [];
  let text = "";
  for (let n = first; n < first + count; n++) text += `GET /r/${n} HTTP/1.1\r\nHost: t\r\n\r\n`;
  socket.write(text);
  await release;
  return new Promise((resolve, reject) => {
    let size = 0;
    const expected = (): number => {
      let total = 0;
      for (let n = first; n < first + count; n++) total += Buffer.byteLength(bodyFor(n));
      return total;
    };
    const want = expected();
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      // Heads add at least 100 bytes per response: stop once everything can be there and parses.
      if (size >= want + count * 100) {
        try {
          const all = Buffer.concat(chunks);
          if (parseResponses(all).length === count) {
            socket.destroy();
            resolve(all);
          }
        } catch {
          // An incomplete last response: wait for more.
        }
      }
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks)));
    socket.resume();
  });
}

/** `count` sequential keep-alive requests, each checked as it arrives. */
async function steadyClient(port: number, first: number, count: number): Promise<void> {
  const socket = await connect(port);
  let pending = Buffer.alloc(0);
  let wake: (() => void) | null = null;
  let failure: Error | null = null;
  socket.on("data", (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    wake?.();
  });
  socket.on("error", (error) => {
    failure = error;
    wake?.();
  });
  const more = (): Promise<void> => new Promise((resolve) => (wake = resolve));
  try {
    for (let n = first; n < first + count; n++) {
      const body = bodyFor(n);
      socket.write(`GET /r/${n} HTTP/1.1\r\nHost: t\r\n\r\n`);
      for (;;) {
        if (failure !== null) throw failure;
        let parsed: ReturnType<typeof parseResponses> = [];
        try {
          parsed = parseResponses(pending);
        } catch {
          // Not all of it yet.
        }
        if (parsed.length === 1 && parsed[0]!.body.length === Buffer.byteLength(body)) {
          assert.equal(parsed[0]!.headers["x-n"], String(n));
          assert.equal(parsed[0]!.body.toString(), body);
          pending = Buffer.alloc(0);
          break;
        }
        await more();
      }
    }
  } finally {
    socket.destroy();
  }
}

function checkAll(bytes: Buffer, first: number, count: number): void {
  const responses = parseResponses(bytes);
  assert.equal(responses.length, count);
  for (let i = 0; i < count; i++) {
    const r = responses[i]!;
    assert.equal(r.status, 200);
    assert.equal(r.headers["x-n"], String(first + i), `response ${i} answers request ${first + i}`);
    assert.equal(r.body.toString(), bodyFor(first + i), `body of response ${i}`);
  }
}

for (const [name, server] of [
  ["without an access log", (): RunningServer => quiet],
  ["with an access log (held writes)", (): RunningServer => logged],
] as const) {
  test(`responses written while a client stops reading arrive intact, and other clients meanwhile too (${name})`, {
    timeout: 60_000,
  }, async () => {
    const port = server().port;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // ~3 KiB per response, several MiB in all: more than the kernel buffers, so writes wait.
    const stalled = [stalledClient(port, 0, 1500, released), stalledClient(port, 5000, 1500, released)];
    await delay(300);
    await Promise.all([steadyClient(port, 10000, 200), steadyClient(port, 20000, 200)]);
    release();
    const [a, b] = await Promise.all(stalled);
    checkAll(a!, 0, 1500);
    checkAll(b!, 5000, 1500);
  });
}
