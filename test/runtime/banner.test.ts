// Unit tests for the start-up banner: local and network URLs, the reachability note, https and tcp,
// notes under a listener, and when colours are used.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type BannerListener,
  formatBanner,
  type Interfaces,
  networkAddresses,
  wantsColor,
} from "../../src/runtime/banner.ts";

const INTERFACES: Interfaces = {
  lo: [
    {
      address: "127.0.0.1",
      netmask: "255.0.0.0",
      family: "IPv4",
      mac: "00:00:00:00:00:00",
      internal: true,
      cidr: null,
    },
    {
      address: "::1",
      netmask: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
      family: "IPv6",
      mac: "00:00:00:00:00:00",
      internal: true,
      cidr: null,
      scopeid: 0,
    },
  ],
  eth0: [
    {
      address: "192.0.2.2",
      netmask: "255.255.255.0",
      family: "IPv4",
      mac: "02:00:00:00:00:01",
      internal: false,
      cidr: null,
    },
    {
      address: "fd00::2",
      netmask: "ffff:ffff:ffff:ffff::",
      family: "IPv6",
      mac: "02:00:00:00:00:01",
      internal: false,
      cidr: null,
      scopeid: 0,
    },
    {
      address: "fe80::1",
      netmask: "ffff:ffff:ffff:ffff::",
      family: "IPv6",
      mac: "02:00:00:00:00:01",
      internal: false,
      cidr: null,
      scopeid: 2,
    },
  ],
};

const listener = (address: string, port = 8080, scheme: BannerListener["scheme"] = "http"): BannerListener => ({
  scheme,
  address,
  port,
  notes: [],
});
const plain = { color: false, interfaces: INTERFACES, localHint: "--host 127.0.0.1" };

test("on every interface the banner lists the local URL, each network URL and says the server is reachable", () => {
  const text = formatBanner("portico 1.0.0 serving /srv (2 threads, transport uv)", [listener("::")], plain);
  assert.equal(
    text,
    [
      "portico 1.0.0 serving /srv (2 threads, transport uv)",
      "  Local:   http://localhost:8080/",
      "  Network: http://192.0.2.2:8080/",
      "  Network: http://[fd00::2]:8080/",
      "  Listening on every interface: other machines on the network can reach this server (--host 127.0.0.1 keeps it local).",
    ].join("\n"),
  );
});

test("network addresses leave out loopback and link-local ones; 0.0.0.0 is IPv4 only", () => {
  assert.deepEqual(networkAddresses("::", INTERFACES), ["192.0.2.2", "fd00::2"]);
  assert.deepEqual(networkAddresses("0.0.0.0", INTERFACES), ["192.0.2.2"]);
});

test("bound to one address the banner shows that URL only, and no reachability note", () => {
  const local = formatBanner("headline", [listener("127.0.0.1")], plain);
  assert.equal(local, "headline\n  Local:   http://127.0.0.1:8080/");
  const v6 = formatBanner("headline", [listener("::1")], plain);
  assert.equal(v6, "headline\n  Local:   http://[::1]:8080/");
  const lan = formatBanner("headline", [listener("192.0.2.2")], plain);
  assert.equal(lan, "headline\n  Address: http://192.0.2.2:8080/");
});

test("an HTTPS listener's URLs are https://, with its notes under them; the first URL is the local one", () => {
  const text = formatBanner(
    "headline",
    [{ scheme: "https", address: "0.0.0.0", port: 8443, notes: ["(redirect from http://localhost:8080/)"] }],
    plain,
  );
  const lines = text.split("\n");
  assert.equal(lines[1], "  Local:   https://localhost:8443/");
  assert.equal(lines[2], "  Network: https://192.0.2.2:8443/");
  assert.equal(lines[3], "  (redirect from http://localhost:8080/)");
  assert.equal(/https?:\/\/[^\s]*:(\d+)\//.exec(text)?.[1], "8443");
});

test("portico tcp's banner shows tcp:// URLs", () => {
  const text = formatBanner("headline", [listener("127.0.0.1", 7000, "tcp")], plain);
  assert.match(text, /Local: {3}tcp:\/\/127\.0\.0\.1:7000\//);
});

test("colours only on a terminal, never with NO_COLOR, and FORCE_COLOR forces them", () => {
  assert.equal(wantsColor(true, {}), true);
  assert.equal(wantsColor(false, {}), false);
  assert.equal(wantsColor(true, { NO_COLOR: "1" }), false);
  assert.equal(wantsColor(true, { NO_COLOR: "" }), true, "an empty NO_COLOR does not count");
  assert.equal(wantsColor(false, { FORCE_COLOR: "1" }), true);
  assert.equal(wantsColor(true, { FORCE_COLOR: "0" }), false);
  assert.equal(wantsColor(false, { FORCE_COLOR: "1", NO_COLOR: "1" }), false, "NO_COLOR wins");
  const coloured = formatBanner("portico 1.0.0 serving /srv", [listener("::")], { ...plain, color: true });
  assert.match(coloured, /\x1b\[/);
  // Without the escapes it is the plain banner.
  assert.equal(
    coloured.replace(/\x1b\[\d+m/g, ""),
    formatBanner("portico 1.0.0 serving /srv", [listener("::")], plain),
  );
  assert.doesNotMatch(formatBanner("portico", [listener("::")], plain), /\x1b/);
});
