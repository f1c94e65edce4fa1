// Every configuration error the issue lists is one line naming the file, the line and the key.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { parseCommandLine } from "../../src/config/load.ts";

const EXAMPLE = fs.readFileSync(new URL("../../docs/portico.example.toml", import.meta.url), "utf8");

/** A directory holding the example's roots and htpasswd, and `text` as portico.toml. */
function configDir(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-config-"));
  fs.mkdirSync(path.join(dir, "sites/shop"), { recursive: true });
  fs.mkdirSync(path.join(dir, "sites/blog"), { recursive: true });
  fs.writeFileSync(
    path.join(dir, "admin.htpasswd"),
    "admin:$2y$05$zbmh/0q/XlGM9aCndzQ4LeK0/uJ1d2oe4LY7kEpKpcDUPNV69AkxK\n",
  );
  fs.writeFileSync(path.join(dir, "portico.toml"), text);
  return dir;
}

async function errorOf(text: string): Promise<string> {
  const dir = configDir(text);
  try {
    await parseCommandLine(["check", "-c", path.join(dir, "portico.toml")]);
  } catch (error) {
    return (error as Error).message.replace(`${dir}/`, "");
  }
  return "";
}

/** The 1-based line of the first line of `text` that contains `needle`. */
function lineOf(text: string, needle: string): number {
  return text.split("\n").findIndex((l) => l.includes(needle)) + 1;
}

test("the example file is valid", async () => {
  assert.equal(await errorOf(EXAMPLE), "");
});

test("an unknown key names its line and table and suggests the known key", async () => {
  const text = EXAMPLE.replace("proxy = { upstreams", "prxy = { upstreams");
  assert.equal(
    await errorOf(text),
    `portico.toml:${lineOf(text, "prxy")}: unknown key "prxy" in site.route (did you mean "proxy"?)`,
  );
  const top = EXAMPLE.replace("threads = 2", "threads = 2\nmax_bdy = 1");
  assert.equal(await errorOf(top), 'portico.toml:2: unknown key "max_bdy" at the top level (did you mean "max_body"?)');
});

test("a value of the wrong type names the key and the value", async () => {
  const text = EXAMPLE.replace("burst = 5", 'burst = "five"');
  assert.equal(await errorOf(text), `portico.toml:${lineOf(text, "five")}: burst must be an integer, got "five"`);
  const size = EXAMPLE.replace("threads = 2", 'threads = 2\nmax_body = "lots"');
  assert.match(await errorOf(size), /^portico\.toml:2: max_body must be a size such as 512, 64k or 16MiB, got "lots"$/);
});

test("two sites claiming one host on one listener are refused", async () => {
  const text = EXAMPLE.replace('hosts = ["blog.test"]', 'hosts = ["www.shop.test"]');
  assert.equal(
    await errorOf(text),
    `portico.toml:${lineOf(text, 'hosts = ["www.shop.test"]')}: host www.shop.test is claimed by two sites on 127.0.0.1:8080 (shop.test and www.shop.test)`,
  );
});

test("a route with two handlers is refused", async () => {
  const text = EXAMPLE.replace('  path = "/healthz"', '  path = "/healthz"\n  files = true');
  assert.match(
    await errorOf(text),
    /^portico\.toml:\d+: route \/healthz names two handlers \(files and respond\); a route has one$/,
  );
});

test("an unreadable htpasswd file is named", async () => {
  const text = EXAMPLE.replace("admin.htpasswd", "missing.htpasswd");
  assert.equal(
    await errorOf(text),
    `portico.toml:${lineOf(text, "missing.htpasswd")}: htpasswd file missing.htpasswd cannot be read: ENOENT`,
  );
});

test("htpasswd entries other than bcrypt are refused", async () => {
  const dir = configDir(EXAMPLE);
  fs.writeFileSync(path.join(dir, "admin.htpasswd"), "admin:$apr1$abc$def\n");
  await assert.rejects(
    () => parseCommandLine(["check", "-c", path.join(dir, "portico.toml")]),
    /htpasswd file admin\.htpasswd line 1: only bcrypt entries are supported \(htpasswd -B\)/,
  );
});

test("bad listen addresses, CIDRs, redirects and route paths name their line", async () => {
  const cases: [string, string, RegExp][] = [
    ['listen = ["127.0.0.1:8080"]', 'listen = ["127.0.0.1:80800"]', /listen must be "\[HOST:\]PORT"/],
    ['"10.0.0.0/8"', '"10.0.0.0/33"', /allow must list addresses or CIDR ranges/],
    ["status = 301", "status = 300", /status must be 301, 302, 303, 307 or 308, got 300/],
    ['path = "/old/"', 'path = "old"', /path must start with "\/"/],
    ['rate = "10/s"', 'rate = "ten"', /rate must be a rate such as "10\/s"/],
  ];
  for (const [from, to, pattern] of cases) {
    const text = EXAMPLE.replace(from, to);
    const message = await errorOf(text);
    assert.match(message, pattern, to);
    assert.ok(message.startsWith(`portico.toml:${lineOf(text, to)}: `), message);
  }
});

test("a route may tighten the body limit but not raise it", async () => {
  const tight = EXAMPLE.replace('  path = "/api/"', '  path = "/api/"\n  max_body = "1m"');
  assert.equal(await errorOf(tight), "");
  const loose = EXAMPLE.replace('  path = "/api/"', '  path = "/api/"\n  max_body = "2g"');
  assert.match(
    await errorOf(loose),
    /max_body "2g" is above the server's \(1073741824 bytes\): a route may only tighten it/,
  );
});

test("invalid TOML names its line", async () => {
  assert.match(await errorOf("threads = \n"), /^portico\.toml:1: invalid TOML: /);
});

test("JSON with the same schema is accepted, and its errors name lines too", async () => {
  const dir = configDir("");
  const file = path.join(dir, "portico.json");
  fs.writeFileSync(file, JSON.stringify({ site: [{ root: "sites/shop", listen: ["8080"] }] }, null, 2));
  const command = await parseCommandLine(["check", "-c", file]);
  assert.equal(command.kind === "check" && command.config.sites[0]!.routes[0]!.handler.kind, "files");
  fs.writeFileSync(file, JSON.stringify({ site: [{ root: "sites/shop", lisen: ["8080"] }] }, null, 2));
  await assert.rejects(
    () => parseCommandLine(["check", "-c", file]),
    /portico\.json:5: unknown key "lisen" in site \(did you mean "listen"\?\)/,
  );
});

test("flags override the file's top-level values; flags that name sites are refused beside it", async () => {
  const dir = configDir(EXAMPLE);
  const file = path.join(dir, "portico.toml");
  const command = await parseCommandLine(["-c", file, "-t", "3", "--no-compress"]);
  assert.equal(command.kind, "serve");
  if (command.kind !== "serve") return;
  assert.equal(command.config.threads, 3);
  const files = command.config.sites[0]!.routes.find((r) => r.path === "/")!.handler;
  assert.equal(files.kind === "files" && files.settings.compress, false);
  assert.equal(files.kind === "files" && files.settings.spa, true);
  await assert.rejects(() => parseCommandLine(["-c", file, "--root", dir]), /--root cannot be combined with --config/);
  await assert.rejects(() => parseCommandLine(["-c", file, "9000"]), /a port cannot be combined with --config/);
});
