// File system errors map to statuses: a file or directory the server may not read is 403 Forbidden.
// Root ignores permissions, so as root the server runs as nobody (setpriv); skipped when impossible.

import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { makeSite } from "../helpers/server.ts";
import { get, startWrapped, type WrappedServer } from "../helpers/static-site.ts";

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => fs.existsSync(p));
const isRoot = process.getuid?.() === 0;
const skip = isRoot && SETPRIV === undefined ? "running as root without setpriv: permissions cannot be denied" : false;

let server: WrappedServer;

before(async () => {
  if (skip !== false) return;
  const root = makeSite({
    "ok.txt": "ok\n",
    "locked.txt": "no\n",
    "closed/inner.txt": "in\n",
    "big-locked.bin": Buffer.alloc(2 << 20),
  });
  fs.chmodSync(path.join(root, "locked.txt"), 0o000);
  fs.chmodSync(path.join(root, "big-locked.bin"), 0o000);
  fs.chmodSync(path.join(root, "closed"), 0o000);
  const wrapper = isRoot ? [SETPRIV!, "--reuid=65534", "--regid=65534", "--clear-groups"] : ["env"];
  server = await startWrapped(wrapper, ["--root", root, "-t", "1"]);
});

after(() => server?.stop());

test("an unreadable file is 403 Forbidden, cached size or streamed", { skip }, async () => {
  for (const target of ["/locked.txt", "/big-locked.bin"]) {
    const res = await get(server.port, target);
    assert.equal(res.status, 403, target);
    assert.equal(res.body.toString(), "Forbidden\n");
  }
  assert.equal((await get(server.port, "/ok.txt")).body.toString(), "ok\n");
});

test("a file inside an unreadable directory is 403; so is listing it", { skip }, async () => {
  assert.equal((await get(server.port, "/closed/inner.txt")).status, 403);
  assert.equal((await get(server.port, "/closed/")).status, 403);
});
