// Loading an app module: the default export forms accepted, and the errors (with stable codes) for a
// file that is missing, does not load, or exports no fetch.

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { AppError } from "../../src/app/errors.ts";
import { appOf, loadApp } from "../../src/app/load.ts";

test("the app is the default export with fetch, a CommonJS exports.default, or a bare fetch function", () => {
  const app = { fetch: () => new Response("x") };
  assert.equal(appOf({ default: app }), app);
  assert.equal(appOf({ default: { default: app } }), app);
  const bare = appOf({ default: () => new Response("y") });
  assert.equal(typeof bare?.fetch, "function");
  assert.equal(appOf({ default: { other: 1 } }), null);
  assert.equal(appOf({ fetch: app.fetch }), null);
});

test("a missing file, a module that throws and one without fetch fail with their codes", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-load-"));
  try {
    fs.writeFileSync(path.join(dir, "throws.mjs"), 'throw new Error("at load time");\n');
    fs.writeFileSync(path.join(dir, "none.mjs"), "export default 42;\n");
    fs.writeFileSync(path.join(dir, "good.mjs"), "export default { fetch: () => new Response('ok') };\n");
    const code = (error: unknown): string => (error instanceof AppError ? error.code : String(error));
    await assert.rejects(loadApp(path.join(dir, "absent.mjs")), (e) => code(e) === "APP_NOT_FOUND");
    await assert.rejects(
      loadApp(path.join(dir, "throws.mjs")),
      (e) => code(e) === "APP_LOAD_FAILED" && /at load time/.test(String(e)),
    );
    await assert.rejects(loadApp(path.join(dir, "none.mjs")), (e) => code(e) === "APP_NO_FETCH");
    const app = await loadApp(path.join(dir, "good.mjs"));
    // Loading installs the lightweight Response: what the app makes is one.
    const response = await app.fetch(new Request("http://x/"), {
      remoteAddress: "",
      remotePort: 0,
      localPort: 0,
      tls: false,
    });
    assert.equal(response.constructor.name, "Response");
    assert.equal(await response.text(), "ok");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
