// The seed-000 system end to end: `httpserver -t 4` under concurrent GET/PUT from many clients, one
// request per connection, no Host header, half-close. The audit log replayed in order must reproduce
// every response, and a request that completed before another was sent must be logged before it.

import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { exchange, parseResponses } from "../helpers/raw.ts";
import { makeSite, type RunningServer, runCli, startServer } from "../helpers/server.ts";
import { delay } from "../helpers/wait.ts";

const HTTPSERVER = new URL("../../src/httpserver.ts", import.meta.url).pathname;

interface Outcome {
  readonly id: string;
  readonly method: "GET" | "PUT";
  readonly uri: string;
  readonly sentAt: number;
  readonly doneAt: number;
  readonly status: number;
  readonly body: string;
  readonly putBody: string;
}

/** One request on its own connection, half-closed after sending, as the seed's clients do. */
function oneShot(port: number, bytes: Buffer | string): Promise<{ status: number; body: string; raw: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on("connect", () => socket.end(bytes));
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("error", reject);
    socket.on("close", () => {
      const raw = Buffer.concat(chunks);
      try {
        const [res] = parseResponses(raw);
        resolve({ status: res!.status, body: res!.body.toString("latin1"), raw });
      } catch (error) {
        reject(error);
      }
    });
  });
}

function parseAudit(stderr: string): Array<{ method: string; uri: string; status: number; id: string }> {
  return stderr
    .split("\n")
    .filter((l) => l !== "")
    .map((line) => {
      const [method, uri, status, id] = line.split(",");
      assert.ok(method && uri && status && id !== undefined, `malformed audit line ${JSON.stringify(line)}`);
      return { method, uri, status: Number(status), id };
    });
}

describe("httpserver preset", () => {
  test("a bad port prints Invalid Port and exits 1", async () => {
    for (const port of ["abc", "70000", "-1"]) {
      const result = await runCli([port], { script: HTTPSERVER });
      assert.equal(result.code, 1);
      assert.equal(result.stderr.trim(), "Invalid Port");
    }
  });

  for (const threads of ["1", "4"])
    describe(`with -t ${threads}`, () => {
      let server: RunningServer;
      let dir: string;

      before(async () => {
        dir = makeSite({ "a.txt": "initial a\n", "big.bin": Buffer.alloc(4 << 20, 7) });
        fs.mkdirSync(path.join(dir, "sub"));
        server = await startServer({ script: HTTPSERVER, args: ["-t", threads], cwd: dir });
      });

      after(async () => {
        await server.stop();
      });

      test("answers the seed's error cases with their bodies", async () => {
        const cases: Array<[string, number, string]> = [
          ["GET /missing.txt HTTP/1.1\r\n\r\n", 404, "Not Found\n"],
          ["GET /sub HTTP/1.1\r\n\r\n", 403, "Forbidden\n"],
          ["GET /sub/ HTTP/1.1\r\n\r\n", 403, "Forbidden\n"],
          ["FROB /a.txt HTTP/1.1\r\n\r\n", 501, "Not Implemented\n"],
          ["GET /a.txt HTTP/1.0\r\n\r\n", 505, "Version Not Supported\n"],
          ["GET /a.txt HTTP/1.1\r\nBad Header\r\n\r\n", 400, "Bad Request\n"],
          ["GET /a.txt HTTP/1.1\r\n\r\n", 200, "initial a\n"],
        ];
        for (const [request, status, body] of cases) {
          const res = await oneShot(server.port, request);
          assert.equal(res.status, status, request);
          assert.equal(res.body, body, request);
        }
      });

      test("closes the connection after one response even without a half-close", async () => {
        const { bytes, closed } = await exchange(server.port, "GET /a.txt HTTP/1.1\r\n\r\n", { timeoutMs: 3000 });
        assert.equal(closed, true);
        assert.equal(parseResponses(bytes)[0]!.body.toString(), "initial a\n");
      });

      test("PUT creates (201 Created) then replaces (200 OK)", async () => {
        const first = await oneShot(
          server.port,
          "PUT /new.txt HTTP/1.1\r\nContent-Length: 5\r\nRequest-Id: 1\r\n\r\nhello",
        );
        assert.equal(first.status, 201);
        assert.equal(first.body, "Created\n");
        const second = await oneShot(
          server.port,
          "PUT /new.txt HTTP/1.1\r\nContent-Length: 3\r\nRequest-Id: 2\r\n\r\nabc",
        );
        assert.equal(second.status, 200);
        assert.equal(second.body, "OK\n");
        const read = await oneShot(server.port, "GET /new.txt HTTP/1.1\r\nRequest-Id: 3\r\n\r\n");
        assert.equal(read.body, "abc");
        assert.match(server.stderr(), /^PUT,\/new\.txt,201,1$/m);
        assert.match(server.stderr(), /^PUT,\/new\.txt,200,2$/m);
        assert.match(server.stderr(), /^GET,\/new\.txt,200,3$/m);
      });

      test("concurrent GET/PUT are linearizable in audit-log order", async () => {
        const uris = ["/lin-0.txt", "/lin-1.txt", "/lin-2.txt"];
        fs.writeFileSync(path.join(dir, "lin-0.txt"), "seed-0");
        const outcomes: Outcome[] = [];
        const total = 240;
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < total) {
            const n = next++;
            const uri = uris[n % uris.length]!;
            const method = Math.random() < 0.45 ? "PUT" : "GET";
            const id = `lin-${n}`;
            const putBody = `value-${n}-${"x".repeat(n % 50)}`;
            const request =
              method === "PUT"
                ? `PUT ${uri} HTTP/1.1\r\nRequest-Id: ${id}\r\nContent-Length: ${putBody.length}\r\n\r\n${putBody}`
                : `GET ${uri} HTTP/1.1\r\nRequest-Id: ${id}\r\n\r\n`;
            const sentAt = performance.now();
            const res = await oneShot(server.port, request);
            outcomes.push({
              id,
              method,
              uri,
              sentAt,
              doneAt: performance.now(),
              status: res.status,
              body: res.body,
              putBody,
            });
          }
        };
        await Promise.all(Array.from({ length: 16 }, worker));

        // Give the last lines time to reach the parent's pipe.
        await delay(200);
        const log = parseAudit(server.stderr()).filter((l) => l.id.startsWith("lin-"));
        const byId = new Map(outcomes.map((o) => [o.id, o]));
        assert.equal(log.length, total, "exactly one audit line per request");
        assert.equal(new Set(log.map((l) => l.id)).size, total, "no request logged twice");

        // Replay: the log order must explain every response.
        const state = new Map<string, string | null>([
          ["/lin-0.txt", "seed-0"],
          ["/lin-1.txt", null],
          ["/lin-2.txt", null],
        ]);
        for (const line of log) {
          const o = byId.get(line.id)!;
          assert.equal(line.status, o.status, `logged status of ${line.id}`);
          const current = state.get(o.uri)!;
          if (o.method === "PUT") {
            assert.equal(o.status, current === null ? 201 : 200, `status of ${o.id}`);
            state.set(o.uri, o.putBody);
          } else if (current === null) {
            assert.equal(o.status, 404, `status of ${o.id}`);
          } else {
            assert.equal(o.status, 200, `status of ${o.id}`);
            assert.equal(o.body, current, `body of ${o.id}`);
          }
        }

        // Real-time order: completed-before-sent implies logged-before.
        const position = new Map(log.map((l, i) => [l.id, i]));
        const sorted = [...outcomes].sort((a, b) => a.doneAt - b.doneAt);
        for (const b of outcomes) {
          for (const a of sorted) {
            if (a.doneAt >= b.sentAt) break;
            assert.ok(
              position.get(a.id)! < position.get(b.id)!,
              `${a.id} completed before ${b.id} was sent but was logged after it`,
            );
          }
        }
      });

      test("a stalled PUT holds no lock: others on the same URI proceed", async () => {
        const stalledHead = net.connect({ port: server.port, host: "127.0.0.1" });
        const stalledBody = net.connect({ port: server.port, host: "127.0.0.1" });
        await Promise.all([
          new Promise((r) => stalledHead.once("connect", r)),
          new Promise((r) => stalledBody.once("connect", r)),
        ]);
        stalledHead.write("PUT /stall.txt HTTP/1.1\r\nContent-Len");
        stalledBody.write("PUT /stall.txt HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial");
        const started = Date.now();
        const put = await oneShot(server.port, "PUT /stall.txt HTTP/1.1\r\nContent-Length: 2\r\n\r\nok");
        assert.ok(put.status === 201 || put.status === 200);
        const get = await oneShot(server.port, "GET /stall.txt HTTP/1.1\r\n\r\n");
        assert.equal(get.body, "ok");
        // Liveness, not speed: far below any timeout the stalled clients could trigger.
        assert.ok(Date.now() - started < 5000, "requests behind stalled uploads were blocked");
        stalledHead.destroy();
        stalledBody.destroy();
        // The aborted upload left no temporary file and did not touch the result.
        await delay(200);
        assert.deepEqual(
          fs.readdirSync(dir).filter((n) => n.startsWith(".stall.txt.")),
          [],
        );
        assert.equal(fs.readFileSync(path.join(dir, "stall.txt"), "utf8"), "ok");
      });

      test("a slow reader holds no lock and reads a consistent old version", async () => {
        const reader = net.connect({ port: server.port, host: "127.0.0.1" });
        await new Promise((r) => reader.once("connect", r));
        reader.pause();
        reader.write("GET /big.bin HTTP/1.1\r\n\r\n");
        await delay(300);
        const put = await oneShot(server.port, "PUT /big.bin HTTP/1.1\r\nContent-Length: 3\r\n\r\nnew");
        assert.equal(put.status, 200);
        const chunks: Buffer[] = [];
        let _received = 0;
        const expected = 4 << 20;
        await new Promise<void>((resolve) => {
          reader.on("data", (d: Buffer) => {
            chunks.push(d);
            _received += d.length;
            const all = Buffer.concat(chunks);
            const headEnd = all.indexOf("\r\n\r\n");
            if (headEnd !== -1 && all.length - headEnd - 4 >= expected) resolve();
          });
          reader.once("close", () => resolve());
          reader.resume();
        });
        const [res] = parseResponses(Buffer.concat(chunks));
        assert.equal(res!.status, 200);
        assert.equal(res!.body.length, 4 << 20);
        assert.ok(
          res!.body.every((b) => b === 7),
          "the slow reader saw a mix of versions",
        );
        reader.destroy();
      });

      test("an aborted upload leaves the previous file intact", async () => {
        fs.writeFileSync(path.join(dir, "keep.txt"), "original");
        const socket = net.connect({ port: server.port, host: "127.0.0.1" });
        await new Promise((r) => socket.once("connect", r));
        socket.write("PUT /keep.txt HTTP/1.1\r\nContent-Length: 1000\r\n\r\nhalf of it");
        await delay(100);
        socket.destroy();
        await delay(300);
        assert.equal(fs.readFileSync(path.join(dir, "keep.txt"), "utf8"), "original");
        assert.deepEqual(
          fs.readdirSync(dir).filter((n) => n.startsWith(".keep.txt.")),
          [],
        );
      });
    });
});
