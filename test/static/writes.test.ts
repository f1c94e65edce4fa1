// PUT and DELETE without sockets: a body streamed into a temporary file and renamed into place (201
// new, 200 replaced), nothing left behind by a failed upload, the root jail and dotfiles, --mkdir,
// the length a PUT must declare, DELETE, paths another handler owns, and the lock slots and versions
// a write takes (an index file's directory too).

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { LockTable } from "../../src/common/lock-table.ts";
import { WriteHandler, type WriteOptions } from "../../src/static/writes.ts";
import { type BodyScript, exchangeFor } from "../helpers/fake-exchange.ts";
import { makeSite } from "../helpers/server.ts";

function writer(root: string, overrides: Partial<WriteOptions> = {}): WriteHandler {
  return new WriteHandler({
    root: fs.realpathSync(root),
    dotfiles: false,
    followSymlinks: false,
    mkdir: false,
    fsync: false,
    locks: LockTable.local(),
    lengthRequiredStatus: 411,
    index: ["index.html"],
    bodyTimeoutMs: 30_000,
    ...overrides,
  });
}

/** Runs one request through the handler: whether it took it, and the status and headers it sent. */
async function run(
  h: WriteHandler,
  method: string,
  target: string,
  body?: BodyScript,
  fields: Record<string, string> = {},
): Promise<{ taken: boolean; status: number; headers: Record<string, string> }> {
  const length: Record<string, string> =
    body === undefined ? {} : { "Content-Length": String(Buffer.concat(body.chunks).length) };
  const x = exchangeFor(target, { ...length, ...fields }, method, body);
  const taken = await h.handle(x.req, x.res);
  // Status 0: nothing was written (a failed body is answered by the connection, not here).
  if (!taken || x.sink.writes.length === 0) return { taken, status: 0, headers: {} };
  const { status, headers } = x.sink.parsed();
  return { taken, status, headers };
}

const body = (...parts: string[]): BodyScript => ({ chunks: parts.map((p) => Buffer.from(p)) });

/** Files in `dir` other than the given ones: temporary uploads left behind would show here. */
function leftovers(dir: string, expected: readonly string[]): string[] {
  return fs.readdirSync(dir).filter((name) => !expected.includes(name));
}

test("PUT streams the body into place: 201 with Location for a new file, 200 when it replaces one", async () => {
  const root = makeSite({ "old.txt": "old" });
  const h = writer(root);
  const created = await run(h, "PUT", "/new.txt", body("hel", "lo ", "world"));
  assert.equal(created.status, 201);
  assert.equal(created.headers.location, "/new.txt");
  assert.equal(fs.readFileSync(path.join(root, "new.txt"), "utf8"), "hello world");
  const replaced = await run(h, "PUT", "/old.txt", body("new"));
  assert.equal(replaced.status, 200);
  assert.equal(fs.readFileSync(path.join(root, "old.txt"), "utf8"), "new");
  assert.deepEqual(leftovers(root, ["old.txt", "new.txt"]), []);
});

test("an upload that fails midway leaves the old file and no temporary file", async () => {
  const root = makeSite({ "keep.txt": "original" });
  const h = writer(root);
  const failed = await run(h, "PUT", "/keep.txt", { chunks: [Buffer.from("part")], fail: new Error("client left") });
  // The connection answers a failed body (400, 408, 413) or the client is gone: nothing is sent here.
  assert.equal(failed.status, 0);
  assert.equal(fs.readFileSync(path.join(root, "keep.txt"), "utf8"), "original");
  assert.deepEqual(leftovers(root, ["keep.txt"]), []);
});

test("a PUT without a declared length gets the configured status (411, or 400 for the seed's preset)", async () => {
  const root = makeSite();
  assert.equal((await run(writer(root), "PUT", "/a.txt")).status, 411);
  assert.equal((await run(writer(root, { lengthRequiredStatus: 400 }), "PUT", "/a.txt")).status, 400);
  assert.deepEqual(fs.readdirSync(root), []);
});

test("a missing directory is 404 unless --mkdir creates it; a directory itself is 403", async () => {
  const root = makeSite({ "sub/inner.txt": "x" });
  assert.equal((await run(writer(root), "PUT", "/a/b/c.txt", body("x"))).status, 404);
  const made = await run(writer(root, { mkdir: true }), "PUT", "/a/b/c.txt", body("deep"));
  assert.equal(made.status, 201);
  assert.equal(fs.readFileSync(path.join(root, "a/b/c.txt"), "utf8"), "deep");
  assert.equal((await run(writer(root), "PUT", "/sub", body("x"))).status, 403);
  assert.equal((await run(writer(root), "PUT", "/", body("x"))).status, 403);
  assert.equal((await run(writer(root), "DELETE", "/sub")).status, 403);
});

test("writes never leave the root and never make dotfiles unless allowed", async () => {
  const root = makeSite({ "in/a.txt": "a" });
  const outside = makeSite();
  fs.symlinkSync(outside, path.join(root, "escape"));
  const h = writer(root, { mkdir: true });
  assert.equal((await run(h, "PUT", "/escape/x.txt", body("x"))).status, 404);
  assert.equal((await run(h, "PUT", "/escape/new/x.txt", body("x"))).status, 404);
  assert.deepEqual(fs.readdirSync(outside), []);
  assert.equal((await run(h, "PUT", "/.env", body("x"))).status, 404);
  assert.equal((await run(writer(root, { dotfiles: true }), "PUT", "/.env", body("x"))).status, 201);
  assert.equal((await run(h, "PUT", "/in/%00.txt", body("x"))).status, 400);
});

test("DELETE answers 204, then 404", async () => {
  const root = makeSite({ "gone.txt": "x" });
  const h = writer(root);
  assert.equal((await run(h, "DELETE", "/gone.txt")).status, 204);
  assert.equal(fs.existsSync(path.join(root, "gone.txt")), false);
  assert.equal((await run(h, "DELETE", "/gone.txt")).status, 404);
});

test("other methods, and paths another handler owns, are declined", async () => {
  const root = makeSite();
  const h = writer(root, { declines: (p) => p.startsWith("/api/") });
  assert.equal((await run(h, "GET", "/a.txt")).taken, false);
  assert.equal((await run(h, "POST", "/a.txt", body("x"))).taken, false);
  assert.equal((await run(h, "PUT", "/api/a.txt", body("x"))).taken, false);
  assert.deepEqual(fs.readdirSync(root), []);
});

test("a write bumps its URI's version, an index file's its directory's too, and reports the file changed", async () => {
  const root = makeSite({ "docs/index.html": "<p>1</p>" });
  const locks = LockTable.local();
  const changed: string[] = [];
  const h = writer(root, { locks, changed: (file) => changed.push(file) });
  const fileSlot = locks.slotOf("docs/index.html");
  const dirSlot = locks.slotOf("docs");
  const before = [locks.version(fileSlot), locks.version(dirSlot)];
  assert.equal((await run(h, "PUT", "/docs/index.html", body("<p>2</p>"))).status, 200);
  assert.deepEqual([locks.version(fileSlot), locks.version(dirSlot)], [before[0]! + 1, before[1]! + 1]);
  assert.deepEqual(changed, [path.join(fs.realpathSync(root), "docs/index.html")]);
  // Every lock is free again: a writer can take each at once.
  for (const slot of [fileSlot, dirSlot]) {
    assert.equal(locks.write(slot), undefined);
    locks.releaseWrite(slot);
  }
});
