// Unit tests for the static handler's orchestration without sockets: methods, the synchronous hot
// path for cached files, cache keys, and remembered misses.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { StaticHandler, type StaticOptions } from "../../src/static/handler.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";
import { makeSite } from "../helpers/server.ts";
import { delay } from "../helpers/wait.ts";

const root = makeSite({ "a.txt": "aaa\n", "index.html": "<p>i</p>\n" });

function handler(overrides: Partial<StaticOptions> = {}): StaticHandler {
  return new StaticHandler({
    root,
    index: ["index.html"],
    dotfiles: false,
    followSymlinks: false,
    listing: true,
    spa: false,
    cacheMaxFileBytes: 1 << 20,
    cacheMaxBytes: 1 << 24,
    revalidateMs: 60_000,
    cacheControl: "no-cache",
    compress: true,
    compressMinBytes: 1024,
    ...overrides,
  });
}

async function run(h: StaticHandler, target: string, fields: Record<string, string> = {}, method = "GET") {
  const x = exchangeFor(target, fields, method);
  const result = h.handle(x.req, x.res);
  return { sync: result === true, taken: await result, ...x.sink.parsed() };
}

test("OPTIONS is 204 with Allow, POST/PUT/DELETE are 405 with Allow, unknown methods 501", async () => {
  const h = handler();
  const options = await run(h, "/a.txt", {}, "OPTIONS");
  assert.equal(options.status, 204);
  assert.equal(options.headers.allow, "GET, HEAD, OPTIONS");
  for (const method of ["POST", "PUT", "DELETE"]) {
    const r = await run(h, "/a.txt", {}, method);
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, "GET, HEAD, OPTIONS");
  }
  assert.equal((await run(h, "/a.txt", {}, "BREW")).status, 501);
});

test("the first GET goes to disk; repeats of a cached file are answered synchronously", async () => {
  const h = handler();
  const first = await run(h, "/a.txt");
  assert.equal(first.sync, false);
  assert.equal(first.body.toString(), "aaa\n");
  const second = await run(h, "/a.txt");
  assert.equal(second.sync, true);
  assert.equal(second.body.toString(), "aaa\n");
  const conditional = await run(h, "/a.txt", { "If-None-Match": first.headers.etag! });
  assert.equal(conditional.sync, true);
  assert.equal(conditional.status, 304);
  assert.equal(h.cache.size, 1);
});

test("a stale cached file is re-checked by one request while the others answer from memory", async () => {
  const h = handler({ revalidateMs: 20 });
  await run(h, "/a.txt");
  await delay(40);
  const checking = exchangeFor("/a.txt", {}, "GET");
  const first = h.handle(checking.req, checking.res);
  assert.ok(first instanceof Promise, "the first request after the bound goes to the disk");
  const meanwhile = await run(h, "/a.txt");
  assert.equal(meanwhile.sync, true, "a request during the re-check is answered from memory");
  assert.equal(meanwhile.body.toString(), "aaa\n");
  await first;
  assert.equal((await run(h, "/a.txt")).sync, true);
});

test("with revalidation 0 every request checks the disk", async () => {
  const h = handler({ revalidateMs: 0 });
  await run(h, "/a.txt");
  assert.equal((await run(h, "/a.txt")).sync, false);
});

test("a miss is remembered within the bound and answered synchronously", async () => {
  const h = handler();
  const first = await run(h, "/missing.txt");
  assert.equal(first.status, 404);
  assert.equal(first.body.toString(), "Not Found\n");
  const second = await run(h, "/missing.txt");
  assert.equal(second.sync, true);
  assert.equal(second.status, 404);
});

test("invalidating a key makes the next request reload from disk", async () => {
  const dir = makeSite({ "x.txt": "one\n" });
  const h = handler({ root: dir });
  assert.equal((await run(h, "/x.txt")).body.toString(), "one\n");
  fs.writeFileSync(path.join(dir, "x.txt"), "two!\n");
  assert.equal((await run(h, "/x.txt")).body.toString(), "one\n", "within the bound: the cached bytes");
  h.cache.invalidate("/x.txt");
  assert.equal((await run(h, "/x.txt")).body.toString(), "two!\n");
});
