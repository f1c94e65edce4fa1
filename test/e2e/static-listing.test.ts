// Directory listings end to end: a large listing never holds up other requests, listings are cached
// and revalidated like files (the revalidation bound, ETag and 304), and a write through Portico
// shows in the listing at once, on every thread.

import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { test } from "node:test";
import { parseResponses, type RawResponse, request } from "../helpers/raw.ts";
import { makeSite, startServer } from "../helpers/server.ts";

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const get = (target: string, extra = ""): string =>
  `GET ${target} HTTP/1.1\r\nHost: x\r\n${extra}Connection: close\r\n\r\n`;

/** Sends one request on its own connection; resolves with the response and the order it completed in. */
function timed(port: number, text: string, order: string[], label: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    const chunks: Buffer[] = [];
    socket.on("data", (d: Buffer) => chunks.push(d));
    socket.on("error", reject);
    socket.on("close", () => {
      order.push(label);
      resolve(parseResponses(Buffer.concat(chunks))[0]!);
    });
    socket.write(text);
  });
}

test("a small GET sent while ten listings of a 20,000-file directory are read is answered first", async () => {
  const root = makeSite({ "small.txt": "small\n" });
  fs.mkdirSync(path.join(root, "big"));
  for (let i = 0; i < 20_000; i++) fs.writeFileSync(path.join(root, "big", `f${i}.txt`), "x");
  // --cache-revalidate 0: every request goes to the disk, the small file's included.
  const server = await startServer({ args: ["--root", root, "-t", "1", "--cache-revalidate", "0", "-q"] });
  try {
    const order: string[] = [];
    const listings = Array.from({ length: 10 }, (_, i) =>
      timed(server.port, get("/big/", i % 2 === 0 ? "" : "Accept: application/json\r\n"), order, "listing"),
    );
    await delay(5);
    const small = await timed(server.port, get("/small.txt"), order, "small");
    const done = await Promise.all(listings);
    assert.equal(small.status, 200);
    assert.equal(small.body.toString(), "small\n");
    for (const res of done) assert.equal(res.status, 200);
    assert.equal(order.indexOf("small"), 0, `completion order: ${order.join(", ")}`);
    assert.equal((JSON.parse(done[1]!.body.toString()) as unknown[]).length, 20_000);
  } finally {
    await server.stop();
  }
});

test("a listing is cached and revalidated like a file: trusted for --cache-revalidate, with ETag and 304", async () => {
  const root = makeSite({ "d/a.txt": "a" });
  const server = await startServer({ args: ["--root", root, "-t", "1", "--cache-revalidate", "1s", "-q"] });
  try {
    const first = await request(server.port, get("/d/"));
    assert.equal(first.status, 200);
    const etag = first.headers.etag!;
    assert.match(etag, /^"h[0-9a-z]+"$/);
    assert.equal(first.headers["cache-control"], "no-cache");
    const json = await request(server.port, get("/d/", "Accept: application/json\r\n"));
    assert.notEqual(json.headers.etag, etag, "each representation has its own validator");

    const again = await request(server.port, get("/d/", `If-None-Match: ${etag}\r\n`));
    assert.equal(again.status, 304);
    assert.equal(again.headers.etag, etag);
    assert.equal(again.body.length, 0);

    // A file added behind the server's back shows once the bound has passed.
    fs.writeFileSync(path.join(root, "d", "b.txt"), "b");
    const deadline = Date.now() + 15_000;
    let later: RawResponse;
    do {
      await delay(200);
      later = await request(server.port, get("/d/", `If-None-Match: ${etag}\r\n`));
    } while (later.status === 304 && Date.now() < deadline);
    assert.equal(later.status, 200);
    assert.notEqual(later.headers.etag, etag);
    assert.match(later.body.toString(), /b\.txt/);
  } finally {
    await server.stop();
  }
});

test("a PUT or DELETE through Portico shows in the listing at once, on every thread", async () => {
  const root = makeSite({ "d/a.txt": "a" });
  const server = await startServer({
    args: ["--root", root, "-t", "2", "--writable", "--mkdir", "--cache-revalidate", "1h", "-q"],
  });
  try {
    // Several connections, so both threads cache the listings.
    for (let i = 0; i < 8; i++) {
      assert.equal((await request(server.port, get("/d/"))).status, 200);
      assert.equal((await request(server.port, get("/"))).status, 200);
    }
    const put = await request(server.port, "PUT /d/e/new.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nnew");
    assert.equal(put.status, 201);
    for (let i = 0; i < 8; i++) {
      assert.match((await request(server.port, get("/d/"))).body.toString(), /href="e\/"/, `listing ${i} of /d/`);
      assert.match((await request(server.port, get("/d/e/"))).body.toString(), /new\.txt/);
    }
    const del = await request(server.port, "DELETE /d/a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    assert.equal(del.status, 204);
    for (let i = 0; i < 8; i++)
      assert.doesNotMatch((await request(server.port, get("/d/"))).body.toString(), /a\.txt/, `listing ${i}`);
  } finally {
    await server.stop();
  }
});
