// Uploads that the disk refuses: the server runs under `ulimit -f` (file size limit, SIGXFSZ ignored),
// so writes past the limit fail or come up short. The client gets a 500, the old file stays, no
// temporary file is left, and the connection does not hang.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { connect, parseResponses } from "../helpers/raw.ts";
import { makeSite } from "../helpers/server.ts";
import { startWrapped, type WrappedServer } from "../helpers/static-site.ts";
import { delay } from "../helpers/wait.ts";

const LIMIT_BLOCKS = 64; // ulimit -f counts 1 KiB blocks in bash
let server: WrappedServer;
let root: string;

before(async () => {
  root = makeSite({ "keep.bin": "original" });
  server = await startWrapped(
    ["bash", "-c", `trap '' XFSZ; ulimit -f ${LIMIT_BLOCKS}; exec "$0" "$@"`],
    ["--root", root, "-t", "1", "--writable", "--quiet"],
  );
});

after(() => server?.stop());

async function upload(target: string, size: number, pieces: number): Promise<{ status: number; closed: boolean }> {
  const socket = await connect(server.port);
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on("data", (d: Buffer) => chunks.push(d));
  // The server's FIN ('end') is its close: this client allows half-open sockets.
  const done = new Promise<void>((resolve) => {
    const onClosed = (): void => {
      closed = true;
      resolve();
    };
    socket.on("end", onClosed);
    socket.on("close", onClosed);
    setTimeout(resolve, 5000);
  });
  socket.write(`PUT ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n`);
  const piece = Math.ceil(size / pieces);
  for (let sent = 0; sent < size && !closed; sent += piece) {
    socket.write(Buffer.alloc(Math.min(piece, size - sent), 0x61));
    await delay(50);
  }
  await done;
  socket.destroy();
  const [res] = parseResponses(Buffer.concat(chunks));
  return { status: res?.status ?? 0, closed };
}

function leftovers(): string[] {
  return fs.readdirSync(root).filter((n) => n.endsWith(".portico-upload"));
}

test("an upload the disk refuses mid-stream gets a 500 and the connection closes", async () => {
  const result = await upload("/streamed.bin", 300_000, 5);
  assert.equal(result.status, 500);
  assert.equal(result.closed, true);
  assert.equal(fs.existsSync(path.join(root, "streamed.bin")), false);
  assert.deepEqual(leftovers(), []);
});

test("an upload written short is never committed: 500, and the old file stays", async () => {
  const result = await upload("/keep.bin", 200_000, 1);
  assert.equal(result.status, 500);
  assert.equal(fs.readFileSync(path.join(root, "keep.bin"), "utf8"), "original");
  assert.deepEqual(leftovers(), []);
});
