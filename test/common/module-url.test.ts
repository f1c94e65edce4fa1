// Sibling module URLs keep the caller's extension: .ts from the sources, .js from dist/.

import assert from "node:assert/strict";
import { test } from "node:test";
import { siblingModule } from "../../src/common/module-url.ts";

test("a sibling of a .ts file is a .ts file, of a .js file a .js file, in the same directory", () => {
  assert.equal(siblingModule("worker", "file:///p/src/runtime/supervisor.ts").href, "file:///p/src/runtime/worker.ts");
  assert.equal(
    siblingModule("worker", "file:///p/dist/runtime/supervisor.js").href,
    "file:///p/dist/runtime/worker.js",
  );
});
