// Running out of file descriptors is overload, not a fault: the real CLI under a low
// `prlimit --nofile` answers requests that need a descriptor with 503 and Retry-After, says so at most
// once a second, neither spins nor stops accepting, and serves normally once descriptors free up.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { after, before, test } from "node:test";
import { startBackend } from "../helpers/backends.ts";
import { parseResponses, type RawResponse } from "../helpers/raw.ts";
import { makeSite } from "../helpers/server.ts";

const LINUX = process.platform === "linux" && fs.existsSync("/proc/self/fd") && fs.existsSync("/usr/bin/prlimit");
const LIMIT = 64;
const CLI = new URL("../../src/cli.ts", import.meta.url).pathname;

let child: ChildProcess;
let port = 0;
let stderr = "";
const site = makeSite({ "a.txt": "aaa\n", "b.txt": "bbb\n", "sub/c.txt": "ccc\n" });

/** Starts the CLI with at most LIMIT descriptors; sets child, port and stderr. */
async function startLimited(args: readonly string[]): Promise<void> {
  stderr = "";
  // Idle connections hold the descriptors: no timeout may close them (and free one) during a test, however
  // slow a loaded machine makes it.
  const patient = ["--headers-timeout", "10m", "--keep-alive-timeout", "10m"];
  child = spawn(
    "prlimit",
    [`--nofile=${LIMIT}:${LIMIT}`, "--", process.execPath, CLI, ...args, ...patient, "-t", "1", "0"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  let out = "";
  port = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /:(\d+)\//.exec(out);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${out}${stderr}`)));
  });
}

before(async () => {
  if (LINUX) await startLimited(["--root", site, "--writable"]);
});

after(() => child?.kill("SIGKILL"));

/** Opens idle connections until the server has no descriptor left; returns them. */
async function exhaust(): Promise<net.Socket[]> {
  const hogs: net.Socket[] = [];
  const hog = (): void => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.on("error", () => undefined);
    hogs.push(s);
  };
  for (let i = 0; i < LIMIT + 20; i++) hog();
  // Every descriptor must be taken, or a request gets through. On a loaded machine the server may still
  // be accepting, and one can be left free once the surplus was closed: another idle connection takes it.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    await delay(200);
    if (openFds() >= LIMIT) break;
    hog();
  }
  assert.equal(openFds(), LIMIT, "the server is out of descriptors");
  return hogs;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Descriptors the server holds below the limit (one above it may be inherited from whatever started the test). */
function openFds(): number {
  return fs.readdirSync(`/proc/${child.pid}/fd`).filter((fd) => Number(fd) < LIMIT).length;
}

function cpuTicks(): number {
  const fields = fs.readFileSync(`/proc/${child.pid}/stat`, "latin1").split(") ")[1]!.split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** A kept-alive connection that sends requests one at a time and reads each response. */
async function keptAlive(): Promise<{ send: (text: string) => Promise<RawResponse>; socket: net.Socket }> {
  const socket = net.connect({ port, host: "127.0.0.1" });
  await new Promise((r) => socket.once("connect", r));
  let data = Buffer.alloc(0);
  socket.on("data", (d: Buffer) => (data = Buffer.concat([data, d])));
  const send = async (text: string): Promise<RawResponse> => {
    data = Buffer.alloc(0);
    socket.write(text);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      try {
        const [res] = parseResponses(data);
        if (res !== undefined) return res;
      } catch {
        // incomplete
      }
      await delay(10);
    }
    throw new Error(`no response to ${JSON.stringify(text)}`);
  };
  return { send, socket };
}

test("out of descriptors: 503 with Retry-After, one notice a second at most, no spinning, then normal service", {
  skip: LINUX ? false : "needs Linux /proc and prlimit",
  timeout: 120_000,
}, async () => {
  const client = await keptAlive();
  assert.equal((await client.send("GET /b.txt HTTP/1.1\r\nHost: x\r\n\r\n")).status, 200);

  // Take every descriptor the server has left with idle connections (libuv closes the surplus).
  const hogs = await exhaust();

  const started = Date.now();
  const ticks = cpuTicks();
  const answers: RawResponse[] = [];
  for (const path of ["/a.txt", "/sub/c.txt", "/sub/", "/a.txt"])
    answers.push(await client.send(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
  answers.push(await client.send("PUT /new.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok"));
  // New clients keep arriving while no descriptor is free.
  for (let i = 0; i < 20; i++) net.connect({ port, host: "127.0.0.1" }).on("error", () => undefined);
  await delay(1500);
  const elapsedS = (Date.now() - started) / 1000;
  const cpuS = (cpuTicks() - ticks) / 100;

  for (const res of answers) {
    assert.equal(res.status, 503, res.rawHead);
    assert.equal(res.headers["retry-after"], "1");
    assert.equal(res.body.toString(), "Service Unavailable\n");
  }
  const notices = stderr.split("\n").filter((l) => l.includes("EMFILE"));
  assert.ok(notices.length >= 1, "the shortage is logged");
  assert.ok(notices.length <= 1 + Math.ceil(elapsedS), `at most one notice a second: ${notices.join(" | ")}`);
  assert.ok(cpuS < elapsedS / 2, `no busy loop while out of descriptors (${cpuS} s of CPU in ${elapsedS} s)`);

  for (const s of hogs) s.destroy();
  await delay(500);
  const fresh = await keptAlive();
  assert.equal((await fresh.send("GET /a.txt HTTP/1.1\r\nHost: x\r\n\r\n")).status, 200);
  assert.equal((await client.send("GET /sub/c.txt HTTP/1.1\r\nHost: x\r\n\r\n")).status, 200);
  fresh.socket.destroy();
  client.socket.destroy();
});

test("a proxy out of descriptors answers 503 and holds it against no upstream", {
  skip: LINUX ? false : "needs Linux /proc and prlimit",
  timeout: 120_000,
}, async () => {
  child.kill("SIGKILL");
  const a = await startBackend("a");
  const b = await startBackend("b");
  try {
    // No pooled upstream sockets: every request needs a new descriptor for its upstream.
    await startLimited([
      "--proxy",
      `http://127.0.0.1:${a.port},http://127.0.0.1:${b.port}`,
      "--upstream-keepalive",
      "0",
      "--proxy-error-detail",
    ]);
    const client = await keptAlive();
    assert.equal((await client.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n")).status, 200);
    const hogs = await exhaust();
    const res = await client.send("GET /y HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal(res.status, 503, res.rawHead);
    assert.equal(res.headers["retry-after"], "1");
    assert.match(res.body.toString(), /Out of file descriptors \(EMFILE\) connecting to upstream/);
    for (const s of hogs) s.destroy();
    await delay(500);
    // Had the shortage counted against them, both upstreams would be out of rotation for 10 s.
    assert.equal((await client.send("GET /z HTTP/1.1\r\nHost: x\r\n\r\n")).status, 200);
    assert.doesNotMatch(stderr, /out of rotation/);
    client.socket.destroy();
  } finally {
    child.kill("SIGKILL");
    await a.close();
    await b.close();
  }
});
