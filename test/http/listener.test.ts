// The listening handle: errors shaped like Node's own, several listeners on one port, host names.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Listener } from "../../src/http/listener.ts";

const closers: Array<() => unknown> = [];
after(() => {
  for (const c of closers) c();
});

async function listen(): Promise<number> {
  const l = await Listener.open({ port: 0, host: "127.0.0.1" }, (t) => t.destroy());
  closers.push(() => l.close());
  return l.address().port;
}

test("a port in use fails with Node's error shape (code EADDRINUSE, syscall listen)", async () => {
  const port = await listen();
  await assert.rejects(
    Listener.open({ port, host: "127.0.0.1" }, () => {}),
    (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, "EADDRINUSE");
      assert.equal(error.syscall, "listen");
      assert.match(error.message, /EADDRINUSE/);
      return true;
    },
  );
});

test("reusePort lets two listeners share a port", async () => {
  const a = await Listener.open({ port: 0, host: "127.0.0.1", reusePort: true }, () => {});
  closers.push(() => a.close());
  const b = await Listener.open({ port: a.address().port, host: "127.0.0.1", reusePort: true }, () => {});
  closers.push(() => b.close());
  assert.equal(b.address().port, a.address().port);
});

test("a host name is resolved before binding", async () => {
  const l = await Listener.open({ port: 0, host: "localhost" }, () => {});
  closers.push(() => l.close());
  assert.ok(["127.0.0.1", "::1"].includes(l.address().address));
});
