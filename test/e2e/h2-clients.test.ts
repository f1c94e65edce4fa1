// HTTP/2 with real clients over h2c with prior knowledge: curl (libcurl's nghttp2), nghttp, h2load
// (every request must succeed) and Python's h2 (an independent HPACK and framing implementation).
// Each is skipped where the machine lacks it, except in CI (`CI` set), which must install them:
// curl, nghttp2-client, python3-h2.

import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { makeSite, type RunningServer, startServer } from "../helpers/server.ts";

const run = promisify(execFile);
const has = (command: string, args: string[]): boolean => spawnSync(command, args).status === 0;
const CI = process.env.CI !== undefined && process.env.CI !== "";
const curl = has("curl", ["--version"]) && /HTTP2/.test(spawnSync("curl", ["--version"], { encoding: "utf8" }).stdout);
const nghttp = has("nghttp", ["--version"]);
const h2load = has("h2load", ["--version"]);
const python = has("/usr/bin/python3", ["-c", "import h2.connection"]);

const BODY = "x".repeat(5000);
const site = makeSite({ "a.txt": "hello\n", "b.txt": BODY, "big.bin": Buffer.alloc(1536 * 1024, 3) });
let server: RunningServer;

before(async () => {
  server = await startServer({ args: ["--root", site, "-t", "1", "-q", "--h2c"] });
});
after(async () => {
  assert.equal(await server.stop(), 0);
});

test("curl --http2-prior-knowledge: status, fields and bytes; a large file; HEAD", { skip: !curl && !CI }, async () => {
  const url = `http://127.0.0.1:${server.port}`;
  const { stdout } = await run("curl", ["-s", "-i", "--http2-prior-knowledge", `${url}/a.txt`]);
  assert.match(stdout, /^HTTP\/2 200 \r\n/);
  assert.match(stdout, /\r\ncontent-length: 6\r\n/);
  assert.ok(stdout.endsWith("\r\n\r\nhello\n"));
  const big = await run("curl", [
    "-s",
    "--http2-prior-knowledge",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code} %{size_download} %{http_version}",
    `${url}/big.bin`,
  ]);
  assert.equal(big.stdout, `200 ${1536 * 1024} 2`);
  const head = await run("curl", ["-s", "-I", "--http2-prior-knowledge", `${url}/b.txt`]);
  assert.match(head.stdout, /\r\ncontent-length: 5000\r\n/);
});

test("nghttp: several streams on one connection, each complete", { skip: !nghttp && !CI }, async () => {
  const url = `http://127.0.0.1:${server.port}`;
  const { stdout } = await run("nghttp", [
    "-n",
    "-s",
    `${url}/a.txt`,
    `${url}/b.txt`,
    `${url}/big.bin`,
    `${url}/missing`,
  ]);
  // nghttp -s prints one line per stream with its status... and its size.
  assert.match(stdout, /\s200\s/);
  assert.match(stdout, /\s404\s/);
  const verbose = await run("nghttp", ["-nv", `${url}/b.txt`]);
  assert.match(verbose.stdout, /recv \(stream_id=\d+\) :status: 200/);
  assert.match(verbose.stdout, /END_STREAM/);
});

test("h2load: thousands of requests on multiplexed connections all succeed", { skip: !h2load && !CI }, async () => {
  const { stdout } = await run("h2load", [
    "-n",
    "4000",
    "-c",
    "8",
    "-m",
    "20",
    `http://127.0.0.1:${server.port}/b.txt`,
  ]);
  assert.match(stdout, /requests: 4000 total, 4000 started, 4000 done, 4000 succeeded, 0 failed, 0 errored/);
  assert.match(stdout, /status codes: 4000 2xx/);
});

test("Python's h2 client: an independent implementation agrees on frames and HPACK", {
  skip: !python && !CI,
}, async () => {
  const script = `
import socket, sys, h2.connection, h2.events, h2.config
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
conn = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=True))
conn.initiate_connection()
paths = ["/a.txt", "/b.txt", "/big.bin", "/missing"]
for i, p in enumerate(paths):
    conn.send_headers(1 + 2 * i, [(":method", "GET"), (":scheme", "http"), (":path", p), (":authority", "localhost"), ("accept-encoding", "identity")], end_stream=True)
sock.sendall(conn.data_to_send())
bodies = {}; status = {}; ended = set()
while len(ended) < len(paths):
    data = sock.recv(65536)
    if not data: break
    for event in conn.receive_data(data):
        if isinstance(event, h2.events.ResponseReceived):
            status[event.stream_id] = dict(event.headers)[b":status"].decode()
        elif isinstance(event, h2.events.DataReceived):
            bodies[event.stream_id] = bodies.get(event.stream_id, 0) + len(event.data)
            conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            ended.add(event.stream_id)
    sock.sendall(conn.data_to_send())
print(" ".join("%s:%s:%d" % (p, status.get(1 + 2 * i), bodies.get(1 + 2 * i, 0)) for i, p in enumerate(paths)))
`;
  const { stdout } = await run("/usr/bin/python3", ["-c", script, String(server.port)], { timeout: 30_000 });
  assert.equal(stdout.trim(), `/a.txt:200:6 /b.txt:200:5000 /big.bin:200:${1536 * 1024} /missing:404:10`);
});
