// Black-box: files too large for the cache stream from disk in large reads. The read buffers are
// reused between reads, so these check that no byte is overwritten while the socket still holds it:
// several clients at once, some reading slowly, each compares a hash of what it got.

import assert from "node:assert/strict";
import crypto from "node:crypto";
import net from "node:net";
import { after, before, test } from "node:test";
import { makeSite, type RunningServer, startServer } from "../helpers/server.ts";

const SIZE = 6 * 1024 * 1024 + 12_345;
const DATA = crypto.randomBytes(SIZE);
const SHA = crypto.createHash("sha256").update(DATA).digest("hex");
let server: RunningServer;

before(async () => {
  const root = makeSite({ "big.bin": DATA, "other.bin": Buffer.from(DATA).reverse() });
  server = await startServer({ args: ["-t", "1", "--quiet", "--cache-max-file", "64k", "--root", root] });
});
after(() => server.stop());

/** GETs `path` on one keep-alive connection `times` times; a slow reader pauses every few chunks. */
function download(path: string, times: number, slow: boolean): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, "127.0.0.1");
    const hashes: string[] = [];
    let head = Buffer.alloc(0);
    let remaining = -1;
    let hash = crypto.createHash("sha256");
    let chunks = 0;
    const ask = (): void => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
    };
    socket.on("connect", ask);
    socket.on("error", reject);
    socket.on("data", (d: Buffer) => {
      if (slow && ++chunks % 16 === 0) {
        socket.pause();
        setTimeout(() => socket.resume(), 3);
      }
      let data = d;
      while (data.length > 0) {
        if (remaining < 0) {
          head = Buffer.concat([head, data]);
          const end = head.indexOf("\r\n\r\n");
          if (end < 0) return;
          const length = /content-length: (\d+)/i.exec(head.toString("latin1", 0, end));
          if (length === null) return reject(new Error(head.toString("latin1", 0, end)));
          remaining = Number(length[1]);
          data = head.subarray(end + 4);
          head = Buffer.alloc(0);
        }
        const take = Math.min(remaining, data.length);
        hash.update(data.subarray(0, take));
        remaining -= take;
        data = data.subarray(take);
        if (remaining === 0) {
          hashes.push(hash.digest("hex"));
          hash = crypto.createHash("sha256");
          remaining = -1;
          if (hashes.length === times) {
            socket.destroy();
            return resolve(hashes);
          }
          ask();
        }
      }
    });
  });
}

test("large files streamed to several clients at once, fast and slow, arrive intact", async () => {
  const otherSha = crypto.createHash("sha256").update(Buffer.from(DATA).reverse()).digest("hex");
  const results = await Promise.all([
    download("/big.bin", 3, false),
    download("/big.bin", 2, true),
    download("/other.bin", 3, false),
    download("/other.bin", 2, true),
  ]);
  assert.deepEqual(results[0], [SHA, SHA, SHA]);
  assert.deepEqual(results[1], [SHA, SHA]);
  assert.deepEqual(results[2], [otherSha, otherSha, otherSha]);
  assert.deepEqual(results[3], [otherSha, otherSha]);
});
