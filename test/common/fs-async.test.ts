import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import * as fsa from "../../src/common/fs-async.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-fs-async-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("open, write, fsync and close write a file through its descriptor; a short write reports its count", async () => {
  const file = path.join(dir, "a.bin");
  const fd = await fsa.open(file, "wx", 0o600);
  const bytes = Buffer.from("hello, world");
  assert.equal(await fsa.write(fd, bytes, 7, 5), 5);
  await fsa.fsync(fd);
  await fsa.close(fd);
  assert.equal(fs.readFileSync(file, "utf8"), "world");
  assert.equal((await fsa.stat(file)).mode & 0o777, 0o600);
  await assert.rejects(fsa.open(file, "wx"), { code: "EEXIST" }, "wx refuses an existing file");
});

test("stat, lstat and realpath see through a symbolic link the way the kernel does", async () => {
  const target = path.join(dir, "target.txt");
  const link = path.join(dir, "link.txt");
  fs.writeFileSync(target, "t");
  fs.symlinkSync(target, link);
  assert.ok((await fsa.stat(link)).isFile());
  assert.ok((await fsa.lstat(link)).isSymbolicLink());
  assert.equal(await fsa.realpath(link), fs.realpathSync.native(target));
  await assert.rejects(fsa.stat(path.join(dir, "missing")), { code: "ENOENT" });
});

test("readdirEntries, opendir, readFile, readTextFile, rename, unlink and mkdirp", async () => {
  const sub = path.join(dir, "x", "y");
  await fsa.mkdirp(sub, 0o755);
  fs.writeFileSync(path.join(sub, "one"), "1");
  fs.mkdirSync(path.join(sub, "inner"));
  const entries = await fsa.readdirEntries(sub);
  assert.deepEqual(entries.map((e) => [e.name, e.isDirectory()]).sort(), [
    ["inner", true],
    ["one", false],
  ]);
  const handle = await fsa.opendir(sub);
  const names: string[] = [];
  for await (const entry of handle) names.push(entry.name);
  assert.deepEqual(names.sort(), ["inner", "one"]);
  assert.deepEqual(await fsa.readFile(path.join(sub, "one")), Buffer.from("1"));
  assert.equal(await fsa.readTextFile(path.join(sub, "one")), "1");
  await fsa.rename(path.join(sub, "one"), path.join(sub, "two"));
  assert.equal(fs.existsSync(path.join(sub, "one")), false);
  await fsa.unlink(path.join(sub, "two"));
  assert.equal(fs.existsSync(path.join(sub, "two")), false);
  await assert.rejects(fsa.unlink(path.join(sub, "two")), { code: "ENOENT" });
});
