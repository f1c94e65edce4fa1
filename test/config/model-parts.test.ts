// Unit tests for the model's pieces that files and flags share: listen addresses, host names, route
// paths, header rules and their merge, htpasswd files, allow/deny lists, rate limits, CORS, and the
// conflicts `assemble` refuses. Every failure goes through `fail` with the key path at fault.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import type { KeyPath } from "../../src/config/locate.ts";
import type { SiteModel } from "../../src/config/model.ts";
import {
  assemble,
  checkHost,
  type Fail,
  mergeHeaders,
  parseAccess,
  parseCors,
  parseHeaders,
  parseListen,
  parseRateLimit,
  parseRoutePath,
  readHtpasswd,
} from "../../src/config/model-parts.ts";
import { defaultValues } from "../../src/config/options.ts";

class Failed extends Error {
  readonly at: KeyPath;
  constructor(at: KeyPath, message: string) {
    super(message);
    this.at = at;
  }
}
const fail: Fail = (at, message) => {
  throw new Failed(at, message);
};
/** The path and message `run` failed with. */
function failure(run: () => unknown): { at: KeyPath; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof Failed) return { at: error.at, message: error.message };
    throw error;
  }
  throw new Error("did not fail");
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-model-parts-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("listen: a port, an address and a port, IPv6 in brackets, * for every address", () => {
  assert.deepEqual(parseListen("8080", fail, []), { host: "", port: 8080, name: "8080" });
  assert.deepEqual(parseListen("127.0.0.1:80", fail, []), { host: "127.0.0.1", port: 80, name: "127.0.0.1:80" });
  assert.deepEqual(parseListen("[::1]:443", fail, []), { host: "::1", port: 443, name: "[::1]:443" });
  assert.equal(parseListen("*:8080", fail, []).host, "");
  assert.deepEqual(failure(() => parseListen("8080:x", fail, ["site", 0, "listen", 1])).at, ["site", 0, "listen", 1]);
  assert.match(failure(() => parseListen("70000", fail, [])).message, /port from 0 to 65535, got "70000"/);
});

test("hosts: lower-cased, no trailing dot, a wildcard only as the first label", () => {
  assert.equal(checkHost("Shop.Test.", fail, []), "shop.test");
  assert.equal(checkHost("*.shop.test", fail, []), "*.shop.test");
  for (const bad of ["shop.test:80", "a.*.test", "http://x", ""])
    assert.match(failure(() => checkHost(bad, fail, [])).message, /hosts must be names such as/, bad);
});

test("route paths: a prefix or =exact; no query, spaces, dot segments or doubled slashes", () => {
  assert.deepEqual(parseRoutePath("/api/", fail, []), { path: "/api/", exact: false });
  assert.deepEqual(parseRoutePath("=/healthz", fail, []), { path: "/healthz", exact: true });
  for (const bad of ["api/", "/a?b", "/a b", "/a/../b", "//a", "=healthz"])
    assert.match(failure(() => parseRoutePath(bad, fail, [])).message, /path must start with "\/"/, bad);
});

test("headers: set, +add and -remove; the engine's own fields are refused", () => {
  assert.deepEqual(parseHeaders({ "X-Frame-Options": "DENY", "+Vary": "Origin", "-Server": "" }, fail, []), {
    set: [["X-Frame-Options", "DENY"]],
    add: [["Vary", "Origin"]],
    remove: ["server"],
  });
  assert.deepEqual(
    failure(() => parseHeaders({ "Content-Length": "1" }, fail, ["site", 0, "headers"])),
    {
      at: ["site", 0, "headers", "Content-Length"],
      message: "headers: Content-Length is written by the server itself and cannot be changed",
    },
  );
  assert.match(failure(() => parseHeaders({ "-X-A": "x" }, fail, [])).message, /give it "" as its value/);
  assert.match(failure(() => parseHeaders({ "X A": "1" }, fail, [])).message, /not a valid field name/);
  assert.match(failure(() => parseHeaders({ "X-A": "a\r\nB: c" }, fail, [])).message, /control character/);
});

test("merged headers: the route's set or remove of a name replaces the site's rules for it", () => {
  const site = { set: [["X-A", "site"] as const, ["X-B", "site"] as const], add: [["X-C", "1"] as const], remove: [] };
  const route = { set: [["x-a", "route"] as const], add: [], remove: ["x-c"] };
  assert.deepEqual(mergeHeaders(site, route), {
    set: [
      ["X-B", "site"],
      ["x-a", "route"],
    ],
    add: [],
    remove: ["x-c"],
  });
  assert.equal(mergeHeaders(null, route), route);
  assert.equal(mergeHeaders(site, null), site);
});

test("htpasswd: bcrypt entries only, named by line; a missing file says why", () => {
  const good = path.join(dir, "good.htpasswd");
  const hash = "$2y$05$zbmh/0q/XlGM9aCndzQ4LeK0/uJ1d2oe4LY7kEpKpcDUPNV69AkxK";
  fs.writeFileSync(good, `# admins\nadmin:${hash}\n\n`);
  assert.deepEqual(readHtpasswd(good, "good.htpasswd", "shop", fail, []), {
    realm: "shop",
    users: [{ name: "admin", hash }],
  });
  const md5 = path.join(dir, "md5.htpasswd");
  fs.writeFileSync(md5, `admin:${hash}\nother:$apr1$x$y\n`);
  assert.equal(
    failure(() => readHtpasswd(md5, "md5.htpasswd", "shop", fail, [])).message,
    "htpasswd file md5.htpasswd line 2: only bcrypt entries are supported (htpasswd -B)",
  );
  assert.match(
    failure(() => readHtpasswd(path.join(dir, "none"), "none", "r", fail, [])).message,
    /cannot be read: ENOENT/,
  );
  assert.match(
    failure(() => readHtpasswd(good, "good.htpasswd", 'a"b', fail, [])).message,
    /realm may not hold quotes/,
  );
});

test("allow/deny: addresses and CIDR ranges of both families; the bad item is named by index", () => {
  assert.equal(parseAccess(undefined, undefined, fail, []), null);
  assert.deepEqual(parseAccess(["10.0.0.0/8", "::1"], ["10.1.0.0/16"], fail, []), {
    allow: ["10.0.0.0/8", "::1"],
    deny: ["10.1.0.0/16"],
  });
  assert.deepEqual(failure(() => parseAccess(undefined, ["1.2.3.4", "nope"], fail, ["r"])).at, ["r", "deny", 1]);
});

test("rate limits: per second, minute or hour; the key is ip, header:NAME or cookie:NAME", () => {
  assert.deepEqual(parseRateLimit({ rate: "10/s", burst: 5 }, 3, fail, []), {
    perSecond: 10,
    burst: 5,
    key: "ip",
    zone: 3,
  });
  assert.equal(parseRateLimit({ rate: "60/m" }, 0, fail, []).perSecond, 1);
  assert.equal(parseRateLimit({ rate: "36/h", key: "cookie:sid" }, 0, fail, []).perSecond, 0.01);
  assert.deepEqual(failure(() => parseRateLimit({ rate: "0/s" }, 0, fail, ["x"])).at, ["x", "rate"]);
  assert.match(failure(() => parseRateLimit({ rate: "1/s", key: "header" }, 0, fail, [])).message, /key must be "ip"/);
});

test("CORS: origins without paths, token lists, the default methods, max age in seconds", () => {
  const cors = parseCors({ origins: ["https://app.test"], expose: ["X-Total"] }, 600_000, fail, []);
  assert.deepEqual(cors, {
    origins: ["https://app.test"],
    methods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    headers: [],
    expose: ["X-Total"],
    credentials: false,
    maxAgeSeconds: 600,
  });
  assert.deepEqual(failure(() => parseCors({ origins: ["*", "https://a.test/x"] }, 0, fail, ["c"])).at, [
    "c",
    "origins",
    1,
  ]);
  assert.match(
    failure(() => parseCors({ origins: ["*"], methods: ["GET POST"] }, 0, fail, [])).message,
    /methods must list tokens/,
  );
});

test("assemble: listeners gather sites in order; conflicts on one listener are refused with the site's key", () => {
  const site = (name: string, hosts: string[]): SiteModel => ({ name, hosts, root: null, routes: [] });
  const on = (port: number, host = "127.0.0.1") => [{ host, port, name: `${host}:${port}` }];
  const options = defaultValues();
  const model = assemble(
    options,
    [
      { site: site("a.test", ["a.test"]), listen: on(8080), path: ["site", 0] },
      { site: site("b.test", ["b.test"]), listen: [...on(8080), ...on(8081)], path: ["site", 1] },
    ],
    411,
    "",
    fail,
  );
  assert.deepEqual(
    model.listeners.map((l) => [l.name, l.sites]),
    [
      ["127.0.0.1:8080", [0, 1]],
      ["127.0.0.1:8081", [1]],
    ],
  );
  assert.ok(Object.isFrozen(model.listeners[0]), "the model is frozen all the way down");
  const claimed = failure(() =>
    assemble(
      options,
      [
        { site: site("a.test", ["a.test"]), listen: on(8080), path: ["site", 0] },
        { site: site("a2", ["x.test", "a.test"]), listen: on(8080), path: ["site", 1] },
      ],
      411,
      "",
      fail,
    ),
  );
  assert.match(claimed.message, /host a\.test is claimed by two sites on 127\.0\.0\.1:8080/);
  assert.equal(claimed.at[1], 1);
  const anyHost = failure(() =>
    assemble(
      options,
      [
        { site: site("one", []), listen: on(8080), path: ["site", 0] },
        { site: site("two", []), listen: on(8080), path: ["site", 1] },
      ],
      411,
      "",
      fail,
    ),
  );
  assert.match(anyHost.message, /any host/);
  const split = failure(() =>
    assemble(
      options,
      [
        { site: site("one", ["one.test"]), listen: on(8080, ""), path: ["site", 0] },
        { site: site("two", ["two.test"]), listen: on(8080), path: ["site", 1] },
      ],
      411,
      "",
      fail,
    ),
  );
  assert.match(split.message, /listen 127\.0\.0\.1:8080 overlaps :8080/);
});
