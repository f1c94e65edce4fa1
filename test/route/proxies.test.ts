// Unit tests for the proxy handlers of one worker: each proxied route's upstreams take the next
// slots of the shared counts, a route's handler takes every request its router sent (an escaped
// path included), and passive ejection only where another upstream can take over.

import assert from "node:assert/strict";
import net from "node:net";
import { test } from "node:test";
import type { ProxyHandlerModel } from "../../src/config/model.ts";
import { proxySettings } from "../../src/config/model-parts.ts";
import { defaultValues } from "../../src/config/options.ts";
import { passiveMaxFails, ProxyBuilder } from "../../src/route/proxies.ts";
import { exchangeFor } from "../helpers/fake-exchange.ts";

function model(ports: readonly number[]): ProxyHandlerModel {
  const { proxyCa: _ca, healthStatusList: _h, ...settings } = proxySettings(defaultValues());
  return {
    kind: "proxy",
    upstreams: ports.map((port) => ({ host: "127.0.0.1", port, weight: 1, tls: false })),
    basePath: null,
    settings: { ...settings, proxyConnectTimeoutMs: 2000, proxyAttempts: 1 },
    ca: "",
    healthStatus: [2, 3],
    tryFiles: null,
  };
}

test("each proxied route's upstreams take the next slots of this thread's row of counts", () => {
  const stride = 16;
  const table = new Int32Array(new SharedArrayBuffer(stride * 2 * 4));
  const live = new Int32Array(new SharedArrayBuffer(3 * 4));
  Atomics.store(live, 0, 2);
  Atomics.store(live, 2, 1);
  const rows = { table, stride, row: 1, live };
  const builder = new ProxyBuilder(rows, undefined);
  const first = builder.handler("/a/", model([1, 2]));
  const second = builder.handler("/b/", model([3, 4, 5]));
  second.groups[0]!.counts.add(1);
  assert.equal(Atomics.load(table, stride * 1 + 2 + 1), 1, "route /b/'s upstream 1 is slot 3 of row 1");
  first.groups[0]!.counts.add(0);
  assert.equal(Atomics.load(table, stride * 1 + 0), 1);
  builder.close();
});

test("a route's proxy takes what the router sent it, an escaped path included", async () => {
  // A port nothing listens on: the answer is the proxy's own 502, which proves the proxy took it.
  const closed = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
  const builder = new ProxyBuilder(undefined, undefined);
  const handler = builder.handler("/api/", model([closed]));
  const { req, res, sink } = exchangeFor("/%61pi/x");
  assert.equal(handler.handle(req, res), true);
  const deadline = Date.now() + 10_000;
  while (!sink.finished && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(sink.parsed().status, 502);
  builder.close();
});

test("a lone upstream is never ejected by passive checks (there is nowhere else to go)", () => {
  assert.equal(passiveMaxFails(1, 3), 0);
  assert.equal(passiveMaxFails(2, 3), 3);
});
