// Unit tests for reading a configuration file's text: TOML or JSON by name, checked against the
// schema, the first problem in file order as one line with its line number.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfigText, tableName } from "../../src/config/file.ts";

const parse = (text: string, name = "p.toml") => parseConfigText(name, `/etc/portico/${name}`, text);
const problem = (text: string, name = "p.toml"): string => {
  try {
    parse(text, name);
  } catch (error) {
    return (error as Error).message;
  }
  return "";
};

test("an editor's schema line and key are part of the format", () => {
  const file = parse('#:schema ./node_modules/portico/dist/portico.schema.json\n"$schema" = "x.json"\nthreads = 2\n');
  assert.equal((file.data as Record<string, unknown>).threads, 2);
  assert.equal(file.dir, "/etc/portico");
});

test("the first problem in the file's order is reported, with its line", () => {
  const text = 'threads = "two"\n[log]\nformat = "xml"\n';
  assert.equal(problem(text), 'p.toml:1: threads must be an integer from 1 to 256, got "two"');
});

test("a missing required key names the table it belongs to", () => {
  assert.equal(problem("[[site]]\n[[site.route]]\nfiles = true\n"), "p.toml:2: path is required");
});

test("list items are named with their index", () => {
  assert.match(problem('[[site]]\nhosts = ["a", 3]\n'), /^p\.toml:2: hosts\[1\] must be/);
});

test("JSON by its name, with positions too", () => {
  assert.equal((parse(`{"threads": 3}`, "p.json").data as Record<string, unknown>).threads, 3);
  assert.match(problem('{\n  "threads": 3,\n}', "p.json"), /^p\.json:3: invalid JSON: /);
  assert.equal(
    problem('{\n  "thread": 3\n}', "p.json"),
    'p.json:2: unknown key "thread" at the top level (did you mean "threads"?)',
  );
});

test("tableName drops the indexes of a key path", () => {
  assert.equal(tableName(["site", 0, "route", 2]), "site.route");
  assert.equal(tableName([]), "");
});

test("a table where a value or a table is allowed is judged as a table: unknown keys are named", () => {
  const files = '[[site]]\nroot = "."\n[[site.route]]\npath = "/"\nfiles = { spaa = true }\n';
  assert.equal(problem(files), 'p.toml:5: unknown key "spaa" in site.route.files (did you mean "spa"?)');
  const app = '[[site]]\n[[site.route]]\npath = "/"\napp = { modul = "./a.ts" }\n';
  assert.equal(problem(app), 'p.toml:4: unknown key "modul" in site.route.app (did you mean "module"?)');
  assert.match(problem('[[site]]\n[[site.route]]\npath = "/"\napp = 3\n'), /^p\.toml:4: app must be a path such as/);
});
