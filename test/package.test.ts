// The package as users get it: src/ compiled to JavaScript (tsconfig.build.json, into a temporary
// directory, never the checkout) behaves like the sources — the same --version and --help, a file
// served — and its command files are what an older Node can parse up to the version check.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { get } from "./helpers/raw.ts";
import { makeSite, runCli, startServer } from "./helpers/server.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
let pkg = "";

before(() => {
  pkg = fs.mkdtempSync(path.join(os.tmpdir(), "portico-build-"));
  const tsc = path.join(ROOT, "node_modules/typescript/bin/tsc");
  const build = spawnSync(
    process.execPath,
    [tsc, "-p", path.join(ROOT, "tsconfig.build.json"), "--outDir", path.join(pkg, "dist")],
    { encoding: "utf8", timeout: 180_000 },
  );
  assert.equal(build.status, 0, `tsc failed:\n${build.stdout}${build.stderr}`);
  // As installed: package.json beside dist/, the dependencies (uplot, bcryptjs) reachable from it.
  fs.copyFileSync(path.join(ROOT, "package.json"), path.join(pkg, "package.json"));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(pkg, "node_modules"));
});

after(() => fs.rmSync(pkg, { recursive: true, force: true }));

const bin = (name: string): string => path.join(pkg, "dist/bin", `${name}.js`);

test("the built portico prints the same --version and --help as the sources", async () => {
  for (const args of [["--version"], ["--help"]]) {
    const built = await runCli(args, { script: bin("portico") });
    const source = await runCli(args);
    assert.equal(built.code, 0, args[0]);
    assert.equal(built.stdout, source.stdout, args[0]);
    assert.equal(built.stderr, "");
  }
});

test("the built portico serves a file, and a bad flag is one line and exit 1 as from the sources", async () => {
  const root = makeSite({ "hello.txt": "hello from dist\n" });
  const server = await startServer({ script: bin("portico"), args: ["--root", root, "-t", "1", "-q"] });
  try {
    assert.match(server.stdout(), /^portico \d+\.\d+\.\d+ serving .* \(1 thread, transport \w+/);
    const res = await get(server.port, "/hello.txt");
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), "hello from dist\n");
  } finally {
    await server.stop();
  }
  const built = await runCli(["--no-such-flag"], { script: bin("portico") });
  const source = await runCli(["--no-such-flag"]);
  assert.equal(built.code, 1);
  assert.equal(built.stderr, source.stderr);
});

test("the built httpserver starts its preset", async () => {
  const dir = makeSite({ "a.txt": "seed\n" });
  const server = await startServer({ script: bin("httpserver"), args: ["-t", "1"], cwd: dir });
  try {
    assert.match(server.stdout(), /^httpserver listening at /);
    assert.equal((await get(server.port, "/a.txt")).body.toString(), "seed\n");
  } finally {
    await server.stop();
  }
});

test("the command files check the Node version before importing anything", () => {
  for (const name of ["portico", "httpserver"]) {
    const source = fs.readFileSync(bin(name), "utf8");
    assert.match(source, /^#!\/usr\/bin\/env node\n/);
    assert.doesNotMatch(source, /^\s*import\s[^(]/m, `${name}: a static import would be loaded before the check`);
    assert.ok(source.indexOf("22.15") < source.indexOf("import("), name);
  }
});

test("the public entry declares the configuration types", () => {
  const types = fs.readFileSync(path.join(pkg, "dist/index.d.ts"), "utf8");
  assert.match(types, /export type \{[^}]*\bServerModel as Config\b[^}]*\} from "\.\/config\/model\.ts"/);
  assert.ok(fs.existsSync(path.join(pkg, "dist/config/model.d.ts")));
});
