// No file descriptor is ever leaked: the real CLI runs under `ulimit -n 64` and is hammered with
// aborted downloads, missing files, ranges, HEADs, listings and conditionals; afterwards its open
// descriptor count (/proc/<pid>/fd) is back to where it started and it still serves.

import assert from "node:assert/strict";
import fs from "node:fs";
import type net from "node:net";
import { after, before, test } from "node:test";
import { connect, get } from "../helpers/raw.ts";
import { makeStaticSite, startWrapped, type WrappedServer } from "../helpers/static-site.ts";
import { delay } from "../helpers/wait.ts";

const FD_LIMIT = 64;
const LINUX = process.platform === "linux" && fs.existsSync("/proc/self/fd");

let server: WrappedServer;
let port = 0;

before(async () => {
  if (!LINUX) return;
  const site = makeStaticSite();
  server = await startWrapped(
    ["bash", "-c", `ulimit -n ${FD_LIMIT}; exec "$0" "$@"`],
    ["--root", site.root, "-t", "1"],
  );
  port = server.port;
});

after(() => server?.stop());

function openFds(): number {
  return fs.readdirSync(`/proc/${server.pid}/fd`).length;
}

/** Asks for the large file and hangs up after the first bytes arrive (or at once). */
async function abortedDownload(immediately: boolean): Promise<void> {
  const socket = await connect(port);
  await new Promise<void>((resolve) => {
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
    socket.once("data", () => socket.destroy());
    socket.write("GET /large.bin HTTP/1.1\r\nHost: x\r\n\r\n");
    if (immediately) socket.destroy();
  });
}

/** Starts a large download and never reads: the server's send buffer fills, then the client leaves. */
async function stalledDownload(): Promise<void> {
  const socket: net.Socket = await connect(port);
  socket.pause();
  socket.write("GET /large.bin HTTP/1.1\r\nHost: x\r\n\r\n");
  await delay(30);
  socket.destroy();
}

const KINDS: ReadonlyArray<() => Promise<unknown>> = [
  () => abortedDownload(false),
  () => abortedDownload(true),
  () => stalledDownload(),
  () => get(port, "/missing-file.txt"),
  () => get(port, "/large.bin", { Range: "bytes=0-9,1000000-1000009" }),
  () => get(port, "/large.bin", { Range: "bytes=-100" }),
  () => get(port, "/large.bin", {}, "HEAD"),
  () => get(port, "/sub/"),
  () => get(port, "/large.bin", { "If-None-Match": "*" }),
  () => get(port, "/big.txt", { "Accept-Encoding": "br" }),
  () => get(port, "/link-out.txt"),
  () => get(port, "/nope/", { Accept: "text/html" }),
];

test(`no descriptor leaks under ulimit -n ${FD_LIMIT}`, {
  skip: LINUX ? false : "needs Linux /proc",
  timeout: 60_000,
}, async () => {
  assert.equal((await get(port, "/hello.txt")).status, 200);
  const baseline = openFds();
  const total = 360;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      await KINDS[i % KINDS.length]!().catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  // A leak shows first as refused work (EMFILE → 500) long before the count is checked.
  assert.equal((await get(port, "/missing-file.txt")).status, 404);
  // Closing sockets and descriptors is asynchronous on the server side: give it a moment to settle.
  let now = openFds();
  for (let i = 0; i < 50 && now > baseline; i++) {
    await delay(100);
    now = openFds();
  }
  assert.ok(now <= baseline, `open descriptors: ${baseline} before, ${now} after`);
  const res = await get(port, "/large.bin");
  assert.equal(res.status, 200);
  assert.equal(res.body.length, Number(res.headers["content-length"]));
  assert.equal((await get(port, "/sub/b.txt")).body.toString(), "b\n");
});
