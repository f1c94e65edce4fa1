// Per-request logs end to end: the audit format on stderr (and nothing else there), the other formats
// into --access-log, reopening on SIGUSR1, --quiet, and lines that survive kill -9.

import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { exchange, get, rawRequest } from "../helpers/raw.ts";
import { makeSite, startServer } from "../helpers/server.ts";
import { delay } from "../helpers/wait.ts";

const site = makeSite({ "a.txt": "aaa", "b.html": "<p>b</p>" });

function tempLog(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "portico-log-")), "access.log");
}

test("portico logs in combined format on stderr by default", async () => {
  const server = await startServer({ args: ["--root", site, "-t", "1"] });
  await get(server.port, "/a.txt", { "User-Agent": "curl/8", Referer: "http://r/" });
  assert.equal(await server.stop(), 0);
  assert.match(
    server.stderr(),
    /^127\.0\.0\.1 - - \[[^\]]+\] "GET \/a\.txt HTTP\/1\.1" 200 3 "http:\/\/r\/" "curl\/8"\n$/,
  );
});

test("audit lines on stderr, one per request, with the Request-Id verbatim", async () => {
  const server = await startServer({ args: ["--root", site, "-t", "2", "--log-format", "audit"] });
  await get(server.port, "/a.txt", { "Request-Id": "abc-123" });
  await get(server.port, "/missing");
  await exchange(server.port, "PUT /a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  // An engine error (no Host) never reached a handler, and still gets its line.
  await exchange(server.port, "GET / HTTP/1.1\r\n\r\n");
  assert.equal(await server.stop(), 0);
  assert.deepEqual(
    server
      .stderr()
      .split("\n")
      .filter((l) => l !== ""),
    ["GET,/a.txt,200,abc-123", "GET,/missing,404,0", "PUT,/a.txt,405,0", "GET,/,400,0"],
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
  const server = await startServer({
    args: ["--root", site, "-t", "2", "--log-format", "audit", "--access-log", file],
  });
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
  const server = await startServer({
    args: ["--root", site, "-t", "2", "--log-format", "audit", "--access-log", file],
  });
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
  const server = await startServer({
    args: ["--root", site, "-t", "2", "--log-format", "audit", "--access-log", file],
  });
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

test("combined-plus and json log the request time and every upstream try (address, status, time)", async () => {
  const { startBackend } = await import("../helpers/backends.ts");
  const slow = await startBackend("slow");
  slow.delayMs = 50;
  const dead = await startBackend("dead");
  await dead.kill();
  const upstreams = `http://127.0.0.1:${dead.port},http://127.0.0.1:${slow.port}`;
  try {
    for (const format of ["combined-plus", "json"] as const) {
      const file = tempLog();
      const server = await startServer({
        args: ["-t", "1", "--lb", "round-robin", "--proxy", upstreams, "--log-format", format, "--access-log", file],
      });
      for (let i = 0; i < 4; i++) assert.equal((await get(server.port, `/p${i}`)).status, 200);
      await server.stop();
      const lines = fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "");
      assert.equal(lines.length, 4);
      let retried = 0;
      for (const line of lines) {
        if (format === "combined-plus") {
          const m = / rt=(\d+\.\d{3}) ua="([^"]*)" us="([^"]*)" ut="([^"]*)"$/.exec(line);
          assert.ok(m !== null, line);
          assert.ok(Number(m[1]) >= 0.05, `request time ${m[1]} s`);
          const addrs = m[2]!.split(", ");
          const statuses = m[3]!.split(", ");
          const times = m[4]!.split(", ").map(Number);
          assert.equal(addrs.at(-1), `127.0.0.1:${slow.port}`);
          assert.equal(statuses.at(-1), "200");
          assert.ok(times.at(-1)! >= 0.05, `upstream time ${times.at(-1)} s`);
          if (addrs.length === 2) {
            retried++;
            assert.deepEqual([addrs[0], statuses[0]], [`127.0.0.1:${dead.port}`, "-"]);
          }
        } else {
          const record = JSON.parse(line) as {
            durationUs: number;
            upstreams: Array<{ addr: string; status: number | null; durationUs: number; error?: string }>;
          };
          assert.ok(record.durationUs >= 50_000);
          const last = record.upstreams.at(-1)!;
          assert.deepEqual([last.addr, last.status], [`127.0.0.1:${slow.port}`, 200]);
          assert.ok(last.durationUs >= 50_000);
          if (record.upstreams.length === 2) {
            retried++;
            assert.equal(record.upstreams[0]!.status, null);
            assert.match(record.upstreams[0]!.error ?? "", /^[A-Z_]+$/);
          }
        }
      }
      assert.ok(retried >= 1, `${format}: the dead upstream's try is logged before the retry`);
    }
  } finally {
    await slow.close();
  }
});

test("an --access-log that cannot be opened is one line naming the flag and the path", async () => {
  const { runCli } = await import("../helpers/server.ts");
  const missing = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "portico-log-")), "no-such-dir", "access.log");
  const result = await runCli(["--root", site, "-t", "1", "--access-log", missing, "0"]);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `portico: --access-log: cannot open ${missing} for appending (its directory does not exist)\n`,
  );
});

test("audit fields are percent-encoded: two different requests never write the same line", async () => {
  const server = await startServer({ args: ["--root", site, "-t", "1", "--log-format", "audit"] });
  await get(server.port, "/a,404,x", { "Request-Id": "y" });
  await get(server.port, "/a", { "Request-Id": "x,404,y" });
  await get(server.port, "/a%2C", { "Request-Id": "100%" });
  // A byte 0x85 (NEL to some viewers) and a tab inside Request-Id, sent as single bytes (Latin-1).
  await exchange(
    server.port,
    Buffer.from(rawRequest("/a.txt", { close: true, fields: { "Request-Id": "n\x85l\tt" } }), "latin1"),
  );
  await server.stop();
  const lines = server.stderr().split("\n");
  assert.deepEqual(
    lines.filter((l) => l !== ""),
    ["GET,/a%2C404%2Cx,404,y", "GET,/a,404,x%2C404%2Cy", "GET,/a%252C,404,100%25", "GET,/a.txt,200,n%85l%09t"],
  );
  assert.ok(
    lines.every((l) => /^[\x20-\x7e]*$/.test(l)),
    "nothing but printable ASCII in the audit log",
  );
});

test("every request gets exactly one line in every format, requests refused for bad bytes included", async () => {
  const refused = [
    "GET /a.txt HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n", // a control byte in a field value: 400
    "GET /a.txt HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", // no colon: 400
    `GET /${"x".repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`, // request line too long: 414
    "GET /a.txt HTTP/1.1\r\n\r\n", // no Host: 400
  ];
  for (const format of ["audit", "common", "combined", "json"] as const) {
    const file = tempLog();
    const server = await startServer({
      args: ["--root", site, "-t", "1", "--log-format", format, "--access-log", file],
    });
    await get(server.port, "/a.txt");
    for (const bytes of refused) await exchange(server.port, Buffer.from(bytes, "latin1"));
    await get(server.port, "/missing");
    await server.stop();
    const lines = fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l !== "");
    assert.equal(lines.length, refused.length + 2, `${format}: ${JSON.stringify(lines)}`);
    const statuses = lines.map((line) =>
      format === "json"
        ? (JSON.parse(line) as { status: number }).status
        : format === "audit"
          ? Number(line.split(",")[2])
          : Number(/" (\d{3}) /.exec(line)![1]),
    );
    assert.deepEqual(statuses, [200, 400, 400, 414, 400, 404], format);
  }
});

test("a PUT whose client leaves once the body is sent is logged if it changed the file", async () => {
  // The audit log is the order of operations (seed 000's replay): a write that happened must be in
  // it even when its client is gone by the time the file is renamed into place.
  const root = makeSite({});
  const server = await startServer({ args: ["--root", root, "-t", "1", "--writable", "--log-format", "audit"] });
  try {
    for (let i = 0; i < 40; i++) {
      const socket = net.connect({ port: server.port, host: "127.0.0.1" });
      await new Promise((r) => socket.once("connect", r));
      socket.write(`PUT /p-${i}.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok`);
      // Leave at various moments around the commit (a reset, so the server sees an abort).
      await new Promise((r) => setTimeout(r, (i % 10) * 4));
      socket.resetAndDestroy();
    }
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    await server.stop();
  }
  const logged = new Set(
    server
      .stderr()
      .split("\n")
      .filter((l) => l.startsWith("PUT,"))
      .map((l) => l.split(",")[1]),
  );
  const written = fs.readdirSync(root).filter((n) => n.startsWith("p-"));
  assert.ok(written.length > 0, "some uploads completed");
  for (const name of written) assert.ok(logged.has(`/${name}`), `${name} was written but not logged`);
});
