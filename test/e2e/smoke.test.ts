// The smallest end-to-end check: the real CLI serves a file over a raw socket and stops on SIGTERM.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { exchange, parseResponses } from "../helpers/raw.ts";
import { makeSite, type RunningServer, startServer } from "../helpers/server.ts";

let server: RunningServer;

before(async () => {
  server = await startServer({ args: ["--root", makeSite({ "index.html": "<h1>hi</h1>\n" }), "-t", "1"] });
});

after(async () => {
  assert.equal(await server.stop(), 0);
});

test("serves index.html for / and closes when asked", async () => {
  const { bytes, closed } = await exchange(server.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const [res] = parseResponses(bytes);
  assert.equal(res!.status, 200);
  assert.equal(res!.headers["content-type"], "text/html; charset=utf-8");
  assert.equal(res!.body.toString(), "<h1>hi</h1>\n");
  assert.equal(closed, true);
});
