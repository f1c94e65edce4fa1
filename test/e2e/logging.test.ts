// Per-request logs end to end: the audit format on stderr (and nothing else there), the other formats
// into --access-log, reopening on SIGUSR1, --quiet, and lines that survive kill -9.

import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { exchange, get } from "../helpers/raw.ts";
import { makeSite, startServer } from "../helpers/server.ts";
import { delay } from "../helpers/wait.ts";

const site = makeSite({ "a.txt": "aaa", "b.html": "<p>b</p>" });

function tempLog(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "portico-log-")), "access.log");
}

test("audit lines on stderr, one per request, with the Request-Id verbatim", async () => {
  const server = await startServer({ args: ["--root", site, "-t", "2"] });
  await get(server.port, "/a.txt", { "Request-Id": "abc-123" });
  await get(server.port, "/missing");
  await exchange(server.port, "PUT /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  // Engine errors never reached a handler: no audit line.
  await exchange(server.port, "GET / HTTP/1.1\r\n\r\n");
  assert.equal(await server.stop(), 0);
  assert.deepEqual(
    server
      .stderr()
      .split("\n")
      .filter((l) => l !== ""),
    ["GET,/a.txt,200,abc-123", "GET,/missing,404,0", "PUT,/a.txt,405,0"],
  );
  assert.match(server.stdout(), /serving/);
});

test("common, combined and json formats go to --access-log", async () => {
  for (const format of ["common", "combined", "json"] as const) {
    const file = tempLog();
    const server = await startServer({
      args: ["--root", site, "-t", "1", "--log-format", format, "--access-log", file],
    });
    await get(server.port, "/a.txt", { "User-Agent": 't"ua' });
    await server.stop();
    const [line, ...rest] = fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l !== "");
    assert.equal(rest.length, 0);
    assert.equal(server.stderr(), "");
    if (format === "json") {
      const record = JSON.parse(line!) as Record<string, unknown>;
      assert.equal(record.method, "GET");
      assert.equal(record.target, "/a.txt");
      assert.equal(record.status, 200);
      assert.equal(record.bytes, 3);
      assert.equal(record.userAgent, 't"ua');
    } else {
      assert.match(
        line!,
        /^127\.0\.0\.1 - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/a\.txt HTTP\/1\.1" 200 3/,
      );
      if (format === "combined") assert.match(line!, / "-" "t\\x22ua"$/);
    }
  }
});

test("SIGUSR1 reopens the access log after rotation", async () => {
  const file = tempLog();
  const server = await startServer({ args: ["--root", site, "-t", "2", "--access-log", file] });
  await get(server.port, "/a.txt", { "Request-Id": "before" });
  fs.renameSync(file, `${file}.1`);
  server.child.kill("SIGUSR1");
  await delay(300);
  await get(server.port, "/a.txt", { "Request-Id": "after" });
  await server.stop();
  assert.equal(fs.readFileSync(`${file}.1`, "utf8"), "GET,/a.txt,200,before\n");
  assert.equal(fs.readFileSync(file, "utf8"), "GET,/a.txt,200,after\n");
});

test("--quiet writes no log", async () => {
  const server = await startServer({ args: ["--root", site, "-t", "1", "--quiet"] });
  await get(server.port, "/a.txt");
  await server.stop();
  assert.equal(server.stderr(), "");
});

test("every answered request's line is on disk even after kill -9", async () => {
  const file = tempLog();
  const server = await startServer({ args: ["--root", site, "-t", "2", "--access-log", file] });
  for (let i = 0; i < 20; i++) await get(server.port, "/a.txt", { "Request-Id": `r${i}` });
  server.child.kill("SIGKILL");
  await server.stop();
  const lines = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "");
  assert.deepEqual(
    lines,
    Array.from({ length: 20 }, (_, i) => `GET,/a.txt,200,r${i}`),
  );
});

test("a response is never seen before its log line is on file, pipelined or not, across threads", async () => {
  const file = tempLog();
  const server = await startServer({ args: ["--root", site, "-t", "2", "--access-log", file] });
  try {
    // One at a time: each line is on file by the time its response arrives.
    for (let i = 0; i < 30; i++) {
      await get(server.port, "/a.txt", { "Request-Id": `one-${i}` });
      assert.ok(fs.readFileSync(file, "utf8").includes(`GET,/a.txt,200,one-${i}\n`), `one-${i}`);
    }
    // Forty pipelined requests answered in one turn: their lines go out in one write, before any of them.
    const pipelined = Array.from(
      { length: 40 },
      (_, i) => `GET /b.html HTTP/1.1\r\nHost: x\r\nRequest-Id: pipe-${i}\r\n\r\n`,
    ).join("");
    await exchange(
      server.port,
      `${pipelined}GET /a.txt HTTP/1.1\r\nHost: x\r\nRequest-Id: last\r\nConnection: close\r\n\r\n`,
    );
    const text = fs.readFileSync(file, "utf8");
    for (let i = 0; i < 40; i++) assert.ok(text.includes(`GET,/b.html,200,pipe-${i}\n`), `pipe-${i}`);
    assert.ok(text.includes("GET,/a.txt,200,last\n"));
  } finally {
    await server.stop();
  }
  // Whole lines only, in order per connection.
  const lines = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "");
  assert.ok(lines.every((l) => /^GET,\/(a\.txt|b\.html),200,[a-z0-9-]+$/.test(l)));
  assert.deepEqual(
    lines.filter((l) => l.includes("pipe-")),
    Array.from({ length: 40 }, (_, i) => `GET,/b.html,200,pipe-${i}`),
  );
});

test("a client that half-closes right after its request still gets the response while the log holds writes", async () => {
  const file = tempLog();
  const server = await startServer({
    args: ["--root", site, "-t", "1", "--access-log", file, "--max-requests-per-connection", "1"],
  });
  try {
    for (let i = 0; i < 100; i++) {
      // Request and FIN in one send: the FIN is read in the same turn as the request.
      const bytes = await new Promise<Buffer>((resolve, reject) => {
        const socket = net.connect({ port: server.port, host: "127.0.0.1", allowHalfOpen: true });
        const chunks: Buffer[] = [];
        socket.on("connect", () => socket.end(`GET /a.txt HTTP/1.1\r\nHost: x\r\nRequest-Id: hc-${i}\r\n\r\n`));
        socket.on("data", (d: Buffer) => chunks.push(d));
        socket.on("error", reject);
        socket.on("close", () => resolve(Buffer.concat(chunks)));
      });
      assert.match(bytes.toString("latin1"), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\naaa$/, `hc-${i}`);
    }
  } finally {
    await server.stop();
  }
});
