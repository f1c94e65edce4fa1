// Unit tests for reading the command line: commands, long and short flags (inline values, --no-x),
// repeatable flags, values converted by the option table, and one-line errors naming the flag.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseArgv, parsePort } from "../../src/config/argv.ts";

test("the command comes first; serve is the default", () => {
  assert.equal(parseArgv([]).command, "serve");
  assert.equal(parseArgv(["check", "-c", "p.toml"]).command, "check");
  assert.equal(parseArgv(["tcp", "--listen", "7000"]).command, "tcp");
  assert.equal(parseArgv(["--root", ".", "--help"]).command, "help");
  assert.equal(parseArgv(["-v"]).command, "version");
});

test("long flags take the next argument or an inline value; short ones an attached value", () => {
  const { values } = parseArgv(["--root", "site", "--max-body=1k", "-t2", "-c", "p.toml"]);
  assert.equal(values.get("root"), "site");
  assert.equal(values.get("maxBodyBytes"), 1024, "converted by its type");
  assert.equal(values.get("threads"), 2);
  assert.equal(values.get("config"), "p.toml");
});

test("booleans need no value; --no-NAME turns one off", () => {
  const { values } = parseArgv(["--spa", "--no-compress", "-q"]);
  assert.equal(values.get("spa"), true);
  assert.equal(values.get("compress"), false);
  assert.equal(values.get("quiet"), true);
});

test("lists split on commas; a repeatable flag gathers every occurrence", () => {
  const { values } = parseArgv([
    "--index",
    "index.html, home.html",
    "--proxy",
    "http://a:1",
    "--proxy",
    "/b=http://b:2",
  ]);
  assert.deepEqual(values.get("index"), ["index.html", "home.html"]);
  assert.deepEqual(values.get("proxy"), ["http://a:1", "/b=http://b:2"]);
});

test("positionals are kept in order, and everything after -- is one", () => {
  assert.deepEqual(parseArgv(["8080"]).positionals, ["8080"]);
  assert.deepEqual(parseArgv(["--", "--root"]).positionals, ["--root"]);
});

test("an unknown flag, a missing value or a bad one is one line naming the flag", () => {
  assert.throws(() => parseArgv(["--rot", "x"]), /^Error: unknown option --rot \(see --help\)$/);
  assert.throws(() => parseArgv(["--root"]), /^Error: --root needs a value \(DIR\)$/);
  assert.throws(() => parseArgv(["-t", "many"]), /^Error: -t: must be an integer, got "many"$/);
  assert.throws(() => parseArgv(["--max-body", "5 parsecs"]), /^Error: --max-body: unknown unit "parsecs"/);
  assert.throws(() => parseArgv(["--no-root"]), /unknown option --no-root/, "only booleans have a --no- form");
});

test("parsePort takes 0-65535 and names anything else", () => {
  assert.equal(parsePort("0"), 0);
  assert.equal(parsePort("65535"), 65535);
  assert.throws(() => parsePort("65536"), /invalid port "65536" \(expected 0-65535\)/);
  assert.throws(() => parsePort("80a"), /invalid port/);
});
