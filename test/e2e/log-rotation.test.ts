// Built-in rotation of the access log end to end, across threads: numbered and dated names, `keep`,
// gzip of rotated files, and the same from a configuration file's [log] table. Every line is checked
// to be in exactly one file, whole.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import zlib from "node:zlib";
import { get } from "../helpers/raw.ts";
import { makeSite, startServer } from "../helpers/server.ts";
import { startSites } from "../helpers/site-server.ts";
import { delay } from "../helpers/wait.ts";

const site = makeSite({ "a.txt": "aaa" });

function tempLog(): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "portico-log-")), "access.log");
}

test("--access-log-max-size rotates across threads: FILE.1 … FILE.N, whole lines, none lost", async () => {
  const file = tempLog();
  const rotating = await startServer({
    args: [
      "--root",
      site,
      "-t",
      "2",
      "--log-format",
      "audit",
      "--access-log",
      file,
      "--access-log-max-size",
      "1k",
      "--access-log-keep",
      "50",
    ],
  });
  const n = 300;
  for (let i = 0; i < n; i += 10)
    await Promise.all(
      Array.from({ length: 10 }, (_, k) => get(rotating.port, "/a.txt", { "Request-Id": `rot-${i + k}` })),
    );
  await rotating.stop();
  const files = fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith("access.log"));
  assert.ok(files.length >= 4, `rotated into ${files.join(", ")}`);
  const seen: string[] = [];
  for (const f of files) {
    const text = fs.readFileSync(path.join(path.dirname(file), f), "utf8");
    assert.ok(text === "" || text.endsWith("\n"), `${f} ends with a whole line`);
    for (const line of text.split("\n").filter((l) => l !== "")) {
      assert.match(line, /^GET,\/a\.txt,200,rot-\d+$/, `${f}: whole line`);
      seen.push(line);
    }
    // A file is rotated once it reaches the size; the lines of one flush (at most 4 KiB) may pass it.
    assert.ok(text.length < 1024 + 4096 * 2, `${f} is ${text.length} bytes`);
  }
  assert.equal(seen.length, n, "every line in exactly one file");
  assert.equal(new Set(seen).size, n);
});

test("dated names with gzip across threads: every line exactly once in FILE and FILE-<time>.gz", async () => {
  const file = tempLog();
  const dir = path.dirname(file);
  const rotating = await startServer({
    args: [
      "--root",
      site,
      "-t",
      "2",
      "--log-format",
      "audit",
      "--access-log",
      file,
      "--access-log-max-size",
      "1k",
      "--access-log-keep",
      "50",
      "--access-log-rotate-name",
      "dated",
      "--access-log-gzip",
    ],
  });
  const n = 300;
  for (let i = 0; i < n; i += 10)
    await Promise.all(
      Array.from({ length: 10 }, (_, k) => get(rotating.port, "/a.txt", { "Request-Id": `gz-${i + k}` })),
    );
  // Compression runs in the background: wait (bounded) until no rotated file is left uncompressed.
  const pending = (): string[] => fs.readdirSync(dir).filter((f) => f.endsWith(".part") || /Z(-\d+)?$/.test(f));
  for (let i = 0; i < 600 && pending().length > 0; i++) await delay(50);
  assert.deepEqual(pending(), []);
  await rotating.stop();
  const files = fs.readdirSync(dir).filter((f) => f !== "access.log");
  assert.ok(files.length >= 4, `rotated into ${files.join(", ")}`);
  const seen: string[] = [];
  for (const f of [...files, "access.log"]) {
    assert.match(f, /^access\.log(-\d{8}T\d{6}Z(-\d+)?\.gz)?$/);
    const bytes = fs.readFileSync(path.join(dir, f));
    const text = (f.endsWith(".gz") ? zlib.gunzipSync(bytes) : bytes).toString("utf8");
    assert.ok(text === "" || text.endsWith("\n"), `${f} ends with a whole line`);
    for (const line of text.split("\n").filter((l) => l !== "")) {
      assert.match(line, /^GET,\/a\.txt,200,gz-\d+$/, `${f}: whole line`);
      seen.push(line);
    }
  }
  assert.equal(seen.length, n, "every line in exactly one file");
  assert.equal(new Set(seen).size, n);
});

test("[log] rotate_name and gzip in a configuration file rotate as the flags do", async () => {
  const file = tempLog();
  const dir = path.dirname(file);
  const server = await startSites({
    dir,
    ports: 1,
    timeoutMs: 90_000,
    text: ([port]) =>
      `threads = 1\n\n[log]\nformat = "audit"\nfile = "access.log"\nmax_size = "1k"\nkeep = 3\nrotate_name = "numbered"\ngzip = true\n\n[[site]]\nlisten = ["127.0.0.1:${port}"]\nroot = ${JSON.stringify(site)}\n`,
  });
  for (let i = 0; i < 250; i++) await get(server.ports[0]!, "/a.txt", { "Request-Id": `cfg-${i}` });
  const pending = (): string[] => fs.readdirSync(dir).filter((f) => f.endsWith(".part") || /\.log\.\d+$/.test(f));
  for (let i = 0; i < 600 && pending().length > 0; i++) await delay(50);
  await server.stop();
  const rotated = fs
    .readdirSync(dir)
    .filter((f) => f.startsWith("access.log."))
    .sort();
  assert.deepEqual(rotated, ["access.log.1.gz", "access.log.2.gz", "access.log.3.gz"]);
  assert.match(
    zlib.gunzipSync(fs.readFileSync(path.join(dir, "access.log.1.gz"))).toString(),
    /^GET,\/a\.txt,200,cfg-\d+\n/,
  );
});

test("--access-log-keep bounds the rotated files", async () => {
  const file = tempLog();
  const server = await startServer({
    args: [
      "--root",
      site,
      "-t",
      "1",
      "--log-format",
      "audit",
      "--access-log",
      file,
      "--access-log-max-size",
      "1k",
      "--access-log-keep",
      "2",
    ],
  });
  for (let i = 0; i < 200; i++) await get(server.port, "/a.txt", { "Request-Id": `keep-${i}` });
  await server.stop();
  const files = fs.readdirSync(path.dirname(file)).sort();
  assert.deepEqual(files, ["access.log", "access.log.1", "access.log.2"]);
  // The newest lines are in the live file.
  assert.match(fs.readFileSync(file, "utf8"), /keep-199\n$/);
});
