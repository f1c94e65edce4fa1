// The module hooks apps are loaded with: TypeScript-style specifiers, the format a .ts file gets, and
// the whole path on a Node that cannot strip types (simulated with --no-experimental-strip-types, as
// Node 22.15–22.17 behaves), where the hooks strip them.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import module from "node:module";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { alternatives, formatOf } from "../../src/app/module-hooks.ts";

test("a relative specifier TypeScript accepts has the spellings Node needs", () => {
  assert.deepEqual(alternatives("./greet.js"), ["./greet.ts"]);
  assert.deepEqual(alternatives("../lib/x.mjs"), ["../lib/x.mts"]);
  assert.deepEqual(alternatives("./x.cjs"), ["./x.cts"]);
  assert.deepEqual(alternatives("./routes"), [
    "./routes.ts",
    "./routes.js",
    "./routes/index.ts",
    "./routes/index.js",
    "./routes.mts",
    "./routes.mjs",
  ]);
  assert.deepEqual(alternatives("./dir/")[0], "./dir.ts");
  assert.deepEqual(alternatives("./data.json"), []);
});

test("a .ts file is ESM unless its package says commonjs; .mts and .cts are what they say", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-hooks-"));
  try {
    fs.mkdirSync(path.join(dir, "cjs/sub"), { recursive: true });
    fs.writeFileSync(path.join(dir, "cjs/package.json"), '{"type":"commonjs"}');
    fs.mkdirSync(path.join(dir, "esm"));
    fs.writeFileSync(path.join(dir, "esm/package.json"), '{"name":"no-type"}');
    assert.equal(formatOf(path.join(dir, "cjs/sub/a.ts")), "commonjs");
    assert.equal(formatOf(path.join(dir, "cjs/a.mts")), "module");
    assert.equal(formatOf(path.join(dir, "esm/a.ts")), "module");
    assert.equal(formatOf(path.join(dir, "esm/a.cts")), "commonjs");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("without type stripping in Node, the hooks strip TypeScript and resolve ./x.js to x.ts and portico to itself", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-hooks-"));
  try {
    // The hooks file as the published package ships it: JavaScript.
    const source = fs.readFileSync(new URL("../../src/app/module-hooks.ts", import.meta.url), "utf8");
    fs.writeFileSync(path.join(dir, "module-hooks.mjs"), module.stripTypeScriptTypes(source));
    fs.writeFileSync(path.join(dir, "self.mjs"), "export const marker = 'portico itself';\n");
    fs.writeFileSync(
      path.join(dir, "greet.ts"),
      'export function greet(name: string): string {\n  return "hello, " + name;\n}\n',
    );
    fs.writeFileSync(
      path.join(dir, "app.ts"),
      [
        'import type { App } from "portico";',
        'import { marker } from "portico";',
        'import { greet } from "./greet.js";',
        "interface Shape { readonly text: string }",
        "const shape: Shape = { text: greet(marker) };",
        "export default { text: shape.text } satisfies Partial<App> & Shape;",
      ].join("\n"),
    );
    fs.writeFileSync(
      path.join(dir, "run.mjs"),
      [
        'import { installModuleHooks, needsTypeStripping } from "./module-hooks.mjs";',
        'if (!needsTypeStripping()) throw new Error("this Node strips types by itself");',
        'installModuleHooks({ stripTypes: true, selfUrl: new URL("./self.mjs", import.meta.url).href });',
        'const app = await import("./app.ts");',
        "process.stdout.write(app.default.text);",
      ].join("\n"),
    );
    const run = spawnSync(process.execPath, ["--no-experimental-strip-types", "--no-warnings", "run.mjs"], {
      cwd: dir,
      encoding: "utf8",
    });
    assert.equal(run.stderr, "");
    assert.equal(run.stdout, "hello, portico itself");
    // The same app without the hooks: Node refuses the .ts file, so the test above proves the hooks.
    const bare = spawnSync(process.execPath, ["--no-experimental-strip-types", "app.ts"], {
      cwd: dir,
      encoding: "utf8",
    });
    assert.notEqual(bare.status, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
