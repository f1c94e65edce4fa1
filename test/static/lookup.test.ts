// Unit tests for the disk map: the real-path jail, index files, siblings and the statuses of misses.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { DiskMap } from "../../src/static/lookup.ts";
import { makeSite } from "../helpers/server.ts";

const outside = makeSite({ "secret.txt": "secret" });
const root = fs.realpathSync(
  makeSite({
    "a.txt": "a",
    "a.txt.gz": "gz",
    "d/index.htm": "i",
    "e/x": "x",
    ".git/config": "c",
    ".well-known/w": "w",
  }),
);
fs.symlinkSync(path.join(outside, "secret.txt"), path.join(root, "out.txt"));
fs.symlinkSync(path.join(root, "a.txt"), path.join(root, "in.txt"));
fs.symlinkSync(path.join(root, ".git", "config"), path.join(root, "cfg"));
fs.symlinkSync(path.join(root, ".well-known", "w"), path.join(root, "wk"));
const jailed = new DiskMap(root, { followSymlinks: false, index: ["index.html", "index.htm"] });

test("files and directories inside the root are found by real path", async () => {
  const a = await jailed.find("a.txt");
  assert.equal(a.kind, "file");
  assert.equal(a.kind === "file" && a.path, path.join(root, "a.txt"));
  const inside = await jailed.find("in.txt");
  assert.equal(inside.kind === "file" && inside.path, path.join(root, "a.txt"));
  assert.equal((await jailed.find("e")).kind, "directory");
});

test("a symlink leaving the root is 404 unless symlinks are followed", async () => {
  const out = await jailed.find("out.txt");
  assert.equal(out.kind === "error" && out.status, 404);
  const free = new DiskMap(root, { followSymlinks: true, index: [] });
  assert.equal((await free.find("out.txt")).kind, "file");
});

test("a symlink to a hidden name is 404 unless dotfiles are allowed; /.well-known/ is fine", async () => {
  const cfg = await jailed.find("cfg");
  assert.equal(cfg.kind === "error" && cfg.status, 404);
  assert.equal((await jailed.find("wk")).kind, "file");
  const open = new DiskMap(root, { followSymlinks: false, dotfiles: true, index: [] });
  assert.equal((await open.find("cfg")).kind, "file");
});

test("index files are tried in order", async () => {
  const d = await jailed.find("d");
  assert.ok(d.kind === "file" && d.viaIndex && d.path.endsWith("index.htm"));
});

test("missing names are 404, ENOTDIR too", async () => {
  const missing = await jailed.find("nope");
  assert.equal(missing.kind === "error" && missing.status, 404);
  const notDir = await jailed.find("a.txt/x");
  assert.equal(notDir.kind === "error" && notDir.status, 404);
});

test("precompressed siblings are found", async () => {
  const s = await jailed.siblings(path.join(root, "a.txt"));
  assert.equal(s[0], null);
  assert.equal(s[1], null);
  assert.equal(s[2]?.size, 2);
});
