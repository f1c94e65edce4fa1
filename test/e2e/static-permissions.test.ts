// File system errors map to statuses: a file or directory the server may not read is 403 Forbidden.
// Root ignores file modes through two capabilities, so as root the server runs without them
// (setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from its bounding set): modes then apply to
// it, yet it stays root and still reads the checkout wherever that lives — a checkout in a 0700
// home is out of reach for nobody. Skipped, saying why, where the capabilities cannot be dropped.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { get } from "../helpers/raw.ts";
import { makeSite } from "../helpers/server.ts";
import { startWrapped, type WrappedServer } from "../helpers/static-site.ts";

const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => fs.existsSync(p));
const isRoot = process.getuid?.() === 0;
const DROP_DAC = ["--bounding-set=-dac_override,-dac_read_search", "--"];

function whyNot(): string | false {
  if (!isRoot) return false;
  if (SETPRIV === undefined) return "running as root without setpriv: file modes cannot be made to apply";
  const probe = spawnSync(SETPRIV, [...DROP_DAC, "true"], { encoding: "utf8" });
  if (probe.status !== 0)
    return `running as root and setpriv cannot drop CAP_DAC_OVERRIDE here: ${probe.stderr.trim() || probe.status}`;
  return false;
}
const skip = whyNot();

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
  const wrapper = isRoot ? [SETPRIV!, ...DROP_DAC] : ["env"];
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
