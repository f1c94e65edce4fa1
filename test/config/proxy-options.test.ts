// Proxy option syntax: --proxy routes with prefixes, weights and paths; TCP upstreams; health statuses;
// and --proxy as the first repeatable ("multi") flag of the options table.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCommandLine } from "../../src/config/load.ts";
import { ConfigError } from "../../src/config/errors.ts";
import { parseHealthStatus, parseHostPort, parseProxyRoutes } from "../../src/config/proxy-options.ts";

test("routes: default prefix, explicit prefix with a replacing path, weights, IPv6", async () => {
  assert.deepEqual(parseProxyRoutes(["http://127.0.0.1:3000,http://[::1]:3001?weight=3", "/api=http://10.0.0.1/v1/"]), [
    {
      prefix: "/",
      basePath: null,
      upstreams: [
        { host: "127.0.0.1", port: 3000, weight: 1, tls: false },
        { host: "::1", port: 3001, weight: 3, tls: false },
      ],
    },
    { prefix: "/api", basePath: "/v1/", upstreams: [{ host: "10.0.0.1", port: 80, weight: 1, tls: false }] },
  ]);
});

test("routes: https:// upstreams use TLS, on port 443 unless one is given, and may mix with http://", async () => {
  assert.deepEqual(parseProxyRoutes(["/s=https://api.example/v2/,https://[::1]:8443/v2/"]), [
    {
      prefix: "/s",
      basePath: "/v2/",
      upstreams: [
        { host: "api.example", port: 443, weight: 1, tls: true },
        { host: "::1", port: 8443, weight: 1, tls: true },
      ],
    },
  ]);
  assert.deepEqual(
    parseProxyRoutes(["https://a,http://b"])[0]!.upstreams.map((u) => [u.port, u.tls]),
    [
      [443, true],
      [80, false],
    ],
  );
  assert.equal(parseProxyRoutes(["https://a"])[0]!.basePath, null, "no path: the client's path is kept");
});

test("routes: bad input is named precisely", async () => {
  assert.throws(() => parseProxyRoutes(["ftp://x"]), /expected an http:\/\/ or https:\/\/ URL/);
  assert.throws(() => parseProxyRoutes(["/a=http://x", "/a=http://y"]), /given twice/);
  assert.throws(() => parseProxyRoutes(["http://x?weight=0"]), /weight must be 1-1000/);
  assert.throws(() => parseProxyRoutes(["http://x?w=2"]), /unknown parameter w/);
  assert.throws(() => parseProxyRoutes(["/api"]), /expected PREFIX=URL/);
  assert.throws(() => parseProxyRoutes(["/a="]), ConfigError);
});

test("TCP upstreams and health statuses", async () => {
  assert.deepEqual(parseHostPort("db:5432", "--upstream"), { host: "db", port: 5432, weight: 1, tls: false });
  assert.throws(() => parseHostPort("db", "--upstream"), /expected HOST:PORT/);
  assert.deepEqual(parseHealthStatus(["2xx", "301"]), [2, 301]);
  assert.throws(() => parseHealthStatus(["ok"]), /--health-status/);
});

test("--proxy repeats; portico tcp parses its own command", async () => {
  const serve = await parseCommandLine(["--proxy", "http://a:1", "--proxy", "/b=http://b:2", "0"]);
  assert.equal(serve.kind, "serve");
  if (serve.kind === "serve") {
    assert.deepEqual(
      serve.config.sites[0]!.routes.map((r) => r.path),
      ["/", "/b"],
    );
    assert.equal(serve.config.sites[0]!.root, null, "without --root a proxy serves no files");
  }
  const tcp = await parseCommandLine([
    "tcp",
    "--listen",
    "127.0.0.1:7000",
    "--upstream",
    "a:1,b:2",
    "--lb",
    "round-robin",
  ]);
  assert.equal(tcp.kind, "tcp");
  if (tcp.kind === "tcp") {
    assert.equal(tcp.config.port, 7000);
    assert.equal(tcp.config.host, "127.0.0.1");
    assert.equal(tcp.config.upstreams.length, 2);
    assert.equal(tcp.config.lb, "round-robin");
  }
});

test("portico tcp names a bad --listen, and refuses a second port and flags it would ignore", async () => {
  const base = ["tcp", "--upstream", "a:1"];
  await assert.rejects(
    () => parseCommandLine([...base, "--listen", "abc"]),
    /^Error: --listen: expected \[HOST:\]PORT .* got "abc"$/,
  );
  await assert.rejects(() => parseCommandLine([...base, "--listen", "h:70000"]), /--listen: .* got "h:70000"/);
  await assert.rejects(() => parseCommandLine([...base, "--listen", "7000", "7001"]), /unexpected argument "7001"/);
  for (const flag of [
    ["--proxy", "http://x:1"],
    ["--root", "/tmp"],
    ["--hash-key", "header:X"],
    ["--health-path", "/h"],
    ["--host", "::1"],
  ]) {
    await assert.rejects(
      () => parseCommandLine([...base, "--listen", "7000", ...flag]),
      new RegExp(`^Error: ${flag[0]} applies to "portico" \\(HTTP\\), not "portico tcp"`),
    );
  }
  const ok = await parseCommandLine([
    ...base,
    "7000",
    "-q",
    "-t",
    "2",
    "--lb",
    "hash",
    "--idle-timeout",
    "5s",
    "--max-fails",
    "1",
    "--fail-timeout",
    "2s",
    "--health-interval",
    "1s",
    "--health-rise",
    "1",
    "--health-fall",
    "1",
    "--proxy-connect-timeout",
    "1s",
    "--shutdown-grace",
    "1s",
  ]);
  assert.equal(ok.kind, "tcp");
});

test("--hash-key without --lb hash is refused rather than ignored; duration bounds name their unit", async () => {
  await assert.rejects(
    () => parseCommandLine(["--proxy", "http://a:1", "--hash-key", "cookie:sid", "0"]),
    /--hash-key: applies only with lb = "hash" \(the policy is least-conn\)/,
  );
  const hashed = await parseCommandLine(["--proxy", "http://a:1", "--lb", "hash", "--hash-key", "cookie:sid", "0"]);
  const handler = hashed.kind === "serve" ? hashed.config.sites[0]!.routes[0]!.handler : null;
  assert.equal(handler?.kind === "proxy" && handler.settings.hashKey, "cookie:sid");
  await assert.rejects(
    () => parseCommandLine(["--proxy", "http://a:1", "--health-interval", "5ms", "0"]),
    /--health-interval: must be at least 10ms, got "5ms"/,
  );
});
