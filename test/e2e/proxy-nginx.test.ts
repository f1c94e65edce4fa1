// Black-box against a real nginx upstream (skipped where nginx is not installed): files of several
// sizes, HEAD, conditional 304 and byte ranges pass through the proxy unchanged.

import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, before, test } from "node:test";
import { exchange, parseResponses, request } from "../helpers/raw.ts";
import { makeSite, type RunningServer, startServer } from "../helpers/server.ts";
import { delay } from "../helpers/wait.ts";

const HAS_NGINX = spawnSync("sh", ["-c", "command -v nginx"]).status === 0;
const big = Buffer.alloc(3 << 20);
for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;

let nginx: ChildProcess | null = null;
let proxy: RunningServer | null = null;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

before(async () => {
  if (!HAS_NGINX) return;
  const root = makeSite({ "small.txt": "hello from nginx\n", "big.bin": big });
  const port = await freePort();
  const conf = path.join(root, "nginx.conf");
  const user = process.getuid?.() === 0 ? "user root;" : "";
  fs.writeFileSync(
    conf,
    `worker_processes 1; daemon off; master_process off; ${user} pid ${root}/nginx.pid; error_log ${root}/error.log;
events { worker_connections 256; }
http { access_log off; client_body_temp_path ${root}/t1; proxy_temp_path ${root}/t2; fastcgi_temp_path ${root}/t3; uwsgi_temp_path ${root}/t4; scgi_temp_path ${root}/t5;
  server { listen 127.0.0.1:${port}; root ${root}; } }
`,
  );
  nginx = spawn("nginx", ["-c", conf], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) =>
      net
        .connect(port, "127.0.0.1")
        .on("connect", function (this: net.Socket) {
          this.destroy();
          resolve(true);
        })
        .on("error", () => resolve(false)),
    );
    if (ok) break;
    await delay(50);
  }
  proxy = await startServer({ args: ["-t", "2", "-q", "--proxy", `http://127.0.0.1:${port}`] });
});

after(async () => {
  await proxy?.stop();
  nginx?.kill("SIGTERM");
});

const close = "Connection: close\r\n";

test("small and multi-megabyte files from nginx arrive intact", { skip: !HAS_NGINX }, async () => {
  const small = await request(proxy!.port, `GET /small.txt HTTP/1.1\r\nHost: x\r\n${close}\r\n`);
  assert.equal(small.status, 200);
  assert.equal(small.body.toString(), "hello from nginx\n");
  assert.equal(small.headers.via, "1.1 portico");
  const large = await request(proxy!.port, `GET /big.bin HTTP/1.1\r\nHost: x\r\n${close}\r\n`, { timeoutMs: 5000 });
  assert.equal(large.status, 200);
  assert.ok(large.body.equals(big));
});

test("HEAD, If-None-Match → 304 and Range → 206 pass through on one connection", { skip: !HAS_NGINX }, async () => {
  const first = await request(proxy!.port, `GET /small.txt HTTP/1.1\r\nHost: x\r\n${close}\r\n`);
  const etag = first.headers.etag!;
  const { bytes } = await exchange(
    proxy!.port,
    `HEAD /small.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /small.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: ${etag}\r\n\r\nGET /small.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-4\r\n${close}\r\n`,
  );
  const [head, notModified, partial] = parseResponses(bytes, new Set([0]));
  assert.equal(head!.status, 200);
  assert.equal(head!.headers["content-length"], "17");
  assert.equal(notModified!.status, 304);
  assert.equal(partial!.status, 206);
  assert.equal(partial!.body.toString(), "hello");
  assert.equal(partial!.headers["content-range"], "bytes 0-4/17");
});

test("nginx's 404 is relayed as is", { skip: !HAS_NGINX }, async () => {
  const res = await request(proxy!.port, `GET /nope HTTP/1.1\r\nHost: x\r\n${close}\r\n`);
  assert.equal(res.status, 404);
  assert.match(res.body.toString(), /nginx/);
});
