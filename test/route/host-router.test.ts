// Unit tests for one listener's sites: host names normalised, exact names, "*." wildcards (longest
// first), and the listener's first site for any other host.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Handler } from "../../src/http/handler.ts";
import { DEFAULT_PARSE_LIMITS, parseRequestHead } from "../../src/http/parse-request.ts";
import { H1Writer } from "../../src/http/h1-writer.ts";
import { Request } from "../../src/http/request.ts";
import { Response } from "../../src/http/response.ts";
import { HostRouter, hostName } from "../../src/route/host-router.ts";
import { MemorySink } from "../helpers/fake-exchange.ts";

function site(name: string): Handler & { readonly name: string } {
  return {
    name,
    handle(_req, res) {
      res.send(200, [], name);
      return true;
    },
  };
}

const shop = site("shop");
const api = site("api");
const anyShop = site("any shop");
const fallback = site("default");
const router = new HostRouter(
  new Map<string, Handler>([
    ["shop.test", shop],
    ["*.shop.test", anyShop],
    ["*.api.shop.test", api],
  ]),
  fallback,
);

test("host names lose their port, case and trailing dot", () => {
  assert.equal(hostName("Example.COM:8080"), "example.com");
  assert.equal(hostName("example.com."), "example.com");
  assert.equal(hostName("[::1]:80"), "[::1]");
  assert.equal(hostName("localhost"), "localhost");
  assert.equal(hostName(""), "");
});

test("an exact name, then the longest wildcard, then the listener's first site", () => {
  assert.equal(router.siteFor("shop.test"), shop);
  assert.equal(router.siteFor("www.shop.test"), anyShop);
  assert.equal(router.siteFor("v1.api.shop.test"), api, "the longer wildcard wins");
  assert.equal(router.siteFor("api.shop.test"), anyShop, "*.api.shop.test needs a label before it");
  assert.equal(router.siteFor("other.test"), fallback);
  assert.equal(router.siteFor("xshop.test"), fallback, "a wildcard matches whole labels");
});

test("a request goes to the site its Host names, whatever its case and port", () => {
  for (const [host, expected] of [
    ["SHOP.test:8080", "shop"],
    ["www.shop.test.", "any shop"],
    ["unknown", "default"],
  ] as const) {
    const raw = Buffer.from(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`, "latin1");
    const req = new Request({
      startBody() {},
      resumeBody() {},
      remoteAddress: "127.0.0.1",
      remotePort: 1,
      localPort: 2,
    });
    assert.equal(parseRequestHead(raw, 0, raw.length, DEFAULT_PARSE_LIMITS, req), null);
    const sink = new MemorySink();
    router.handle(req, new Response(new H1Writer(sink), req));
    assert.equal(sink.parsed().body.toString(), expected, host);
  }
});
