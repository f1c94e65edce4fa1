// The package as users get it: src/ bundled to JavaScript (scripts/build.ts, into a temporary
// directory, never the checkout) behaves like the sources — the same --version and --help, a file
// served, an app importing "portico" — and its command files are what an older Node can parse up to
// the version check.

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
  const build = spawnSync(process.execPath, [path.join(ROOT, "scripts/build.ts"), "--out", path.join(pkg, "dist")], {
    encoding: "utf8",
    timeout: 180_000,
  });
  assert.equal(build.status, 0, `the build failed:\n${build.stdout}${build.stderr}`);
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
    if (process.platform === "linux" && process.env.MALLOC_ARENA_MAX === undefined) {
      // The command re-executed itself under fewer malloc arenas (runtime/malloc-arenas.ts), as the same process.
      const environ = fs.readFileSync(`/proc/${server.child.pid}/environ`, "latin1").split("\0");
      assert.ok(environ.includes("MALLOC_ARENA_MAX=2"));
    }
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

test("an app outside the package imports defineApp from the built portico", async () => {
  // Not installed beside the app: `import "portico"` resolves to the bundle's public entry (app/load.ts).
  const dir = makeSite({
    "app.mjs":
      'import { defineApp } from "portico";\nexport default defineApp({ fetch: () => new Response("from the app\\n") });\n',
  });
  const server = await startServer({ script: bin("portico"), args: ["--app", path.join(dir, "app.mjs"), "-t", "1"] });
  try {
    assert.equal((await get(server.port, "/")).body.toString(), "from the app\n");
  } finally {
    await server.stop();
  }
});

/** Each thread's list of loaded modules (test/fixtures/module-trace.ts) for the built portico with `args`. */
async function builtModules(args: readonly string[]): Promise<string[][]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-modules-"));
  try {
    const trace = new URL("./fixtures/module-trace.ts", import.meta.url);
    const root = makeSite({ "a.txt": "a\n" });
    const server = await startServer({
      script: bin("portico"),
      args: ["-q", "-t", "1", "--root", root, ...args],
      nodeArgs: ["--import", `${trace.href}?out=${encodeURIComponent(dir)}`],
    });
    assert.equal(await server.stop(), 0);
    return fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), "utf8").trim().split("\n"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The source files bundled into the loaded modules, from the bundle's source maps (chunk names are
 * hashes): `/src/h2/session.ts` for the chunk that holds the HTTP/2 engine.
 */
function sourcesOf(modules: readonly string[]): string[] {
  const sources: string[] = [];
  for (const m of modules) {
    if (!m.startsWith("file:") || !m.includes("/dist/")) continue;
    const map = new URL(`${m}.map`);
    const listed = (JSON.parse(fs.readFileSync(map, "utf8")) as { sources: string[] }).sources;
    for (const s of listed) sources.push(new URL(s, map).pathname);
  }
  return sources;
}

test("the built portico loads a few modules per thread, and no TLS, HTTP/2 or bcryptjs for plain HTTP", async () => {
  const threads = await builtModules([]);
  assert.equal(threads.length, 2);
  for (const modules of threads) {
    // The point of the bundle (scripts/build.ts): ~130 modules per thread from file-for-file output.
    const own = modules.filter((m) => m.startsWith("file:"));
    assert.ok(own.length <= 30, `${own.length} modules:\n${own.join("\n")}`);
    assert.equal(modules.includes("node:tls"), false);
    // Built-ins come through getBuiltinModule (scripts/build.ts): no ES namespace reads fs.promises
    // (which loads readline) or the like; and nothing for plain HTTP hashes or signs.
    for (const builtin of ["node:crypto", "node:internal/fs/promises", "node:internal/readline/interface"])
      assert.equal(modules.includes(builtin), false, `${builtin} loaded`);
    assert.equal(sourcesOf(modules).includes(path.join(ROOT, "src/h2/session.ts")), false);
    assert.equal(
      modules.some((m) => m.includes("/bcryptjs/")),
      false,
    );
  }
  // The worker serves with the HTTP/1.1 engine, bundled into its few modules.
  const engine = path.join(ROOT, "src/http/connection.ts");
  assert.equal(threads.filter((modules) => sourcesOf(modules).includes(engine)).length, 1);
  // HTTPS loads them in the thread that serves it.
  const tls = path.join(import.meta.dirname, "fixtures/tls");
  const https = await builtModules([
    "--cert",
    path.join(tls, "localhost-cert.pem"),
    "--key",
    path.join(tls, "localhost-key.pem"),
  ]);
  const h2 = path.join(ROOT, "src/h2/session.ts");
  assert.ok(https.some((modules) => modules.includes("node:tls") && sourcesOf(modules).includes(h2)));
});
