// Unit tests for the supervisor's upload sweeps (upload-sweeps.ts): every writable root of the model
// is swept, once, and roots nobody writes into are left alone.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import type { ServerModel } from "../../src/config/model.ts";
import { sweepWritableRoots, writableRoots } from "../../src/runtime/upload-sweeps.ts";
import { uploadTempName } from "../../src/static/upload-files.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-upload-sweeps-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function files(root: string, writable: boolean, dotfiles = "deny") {
  return { kind: "files", root, settings: { writable, dotfiles } };
}

/** The part of a model the sweeps read: sites → routes → handlers, and the body timeout. */
function modelOf(...handlers: unknown[]): ServerModel {
  const routes = handlers.map((handler) => ({ path: "/", handler }));
  return { kind: "http", options: { bodyTimeoutMs: 30_000 }, sites: [{ routes }] } as unknown as ServerModel;
}

function root(name: string): string {
  const made = path.join(dir, name);
  fs.mkdirSync(made);
  return made;
}

test("writable roots: files routes and try_files in front of a proxy or an app, each root once", () => {
  const model = modelOf(
    files("/a", true),
    files("/a", true, "allow"),
    files("/b", false),
    { kind: "proxy", tryFiles: files("/c", true) },
    { kind: "app", module: "/app.mjs", tryFiles: null },
    { kind: "redirect", to: "/", status: 301 },
  );
  assert.deepEqual(
    [...writableRoots(model)],
    [
      ["/a", true],
      ["/c", false],
    ],
  );
  assert.equal(writableRoots({ kind: "tcp" } as never).size, 0);
});

test("a sweep removes what dead threads left under writable roots only, and says where", async () => {
  const writable = root("writable");
  const readOnly = root("read-only");
  const left = [uploadTempName(path.join(writable, "a.txt")), uploadTempName(path.join(readOnly, "b.txt"))];
  for (const file of left) fs.writeFileSync(file, "partial");
  const lines: string[] = [];
  await sweepWritableRoots(
    modelOf(files(writable, true), files(readOnly, false)),
    () => false,
    (line) => lines.push(line),
  );
  assert.equal(fs.existsSync(left[0]!), false, "the dead thread's upload under the writable root is removed");
  assert.equal(fs.existsSync(left[1]!), true, "a root nobody writes into is not swept");
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /removed 1 temporary upload file\(s\) \(7 bytes\) .* under .*writable$/);
});

test("a live thread's upload is kept", async () => {
  const writable = root("live");
  const file = uploadTempName(path.join(writable, "c.txt"));
  fs.writeFileSync(file, "partial");
  const lines: string[] = [];
  await sweepWritableRoots(
    modelOf(files(writable, true)),
    () => true,
    (line) => lines.push(line),
  );
  assert.equal(fs.existsSync(file), true);
  assert.deepEqual(lines, []);
});
