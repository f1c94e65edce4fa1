// Unit tests for a worker's app modules across reloads: an unchanged file is the same app, a
// changed one is imported afresh, and a module that cannot load is an AppLoadFailure naming it.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import type { ServerModel } from "../../src/config/model.ts";
import { AppLoadFailure, AppModules } from "../../src/runtime/app-modules.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-app-modules-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The part of a model AppModules reads: sites → routes → handlers. */
function modelOf(...modules: string[]): ServerModel {
  const routes = modules.map((module) => ({ path: "/", handler: { kind: "app", module, tryFiles: null } }));
  return { sites: [{ routes }] } as unknown as ServerModel;
}

function write(name: string, text: string, mtime: number): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  fs.utimesSync(file, mtime, mtime);
  return file;
}

async function answer(modules: AppModules, model: ServerModel, file: string): Promise<string> {
  const app = (await modules.load(model)).get(file)!;
  return (await app.fetch(new Request("http://x/"), {} as never)).text();
}

test("an unchanged module is the same app; a changed one is imported again", async () => {
  const file = write("app.mjs", "export default { fetch: () => new Response('one') };\n", 1_000);
  const modules = new AppModules();
  const model = modelOf(file, file);
  const first = await modules.load(model);
  assert.equal(first.size, 1, "a module named by two routes is loaded once");
  assert.equal((await modules.load(model)).get(file), first.get(file));
  write("app.mjs", "export default { fetch: () => new Response('two!') };\n", 2_000);
  assert.equal(await answer(modules, model, file), "two!");
});

test("a module that cannot load is an AppLoadFailure with its name and fault", async () => {
  const broken = write("broken.mjs", "export default {\n", 1_000);
  const none = write("none.mjs", "export const x = 1;\n", 1_000);
  const modules = new AppModules();
  await assert.rejects(
    () => modules.load(modelOf(broken)),
    (error: unknown) => {
      assert.ok(error instanceof AppLoadFailure);
      assert.equal(error.code, "APP_LOAD");
      assert.match(error.message, /broken\.mjs: /);
      return true;
    },
  );
  await assert.rejects(() => modules.load(modelOf(none)), /none\.mjs must export default an object with a fetch/);
});
