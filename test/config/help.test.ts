// --help is generated from the option table: every flag with its value and default.

import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultText, filePlace, optionTables, usage } from "../../src/config/help.ts";
import { OPTIONS, type OptionSpec, optionByKey } from "../../src/config/options.ts";

test("usage lists every flag, and each default unless the help text gives it", () => {
  const text = usage();
  for (const spec of OPTIONS as readonly OptionSpec[]) {
    assert.match(text, new RegExp(`--${spec.flag}\\b`), spec.flag);
    const d = defaultText(spec);
    if (d !== "" && !/\(default/.test(spec.help)) assert.ok(text.includes(`(default: ${d})`), `${spec.flag}: ${d}`);
  }
});

test("defaults are written as a user would write them", () => {
  assert.equal(defaultText(optionByKey("maxBodyBytes")!), "1GiB");
  assert.equal(defaultText(optionByKey("headersTimeoutMs")!), "10s");
  assert.equal(defaultText(optionByKey("sendTimeoutMs")!), "1m");
  assert.equal(defaultText(optionByKey("threads")!), "CPUs");
  assert.equal(defaultText(optionByKey("listing")!), "on");
  assert.equal(defaultText(optionByKey("healthStatus")!), "2xx,3xx");
});

test("each option's place in a file: the flag's name with _ for -, in its section", () => {
  assert.equal(filePlace(optionByKey("maxBodyBytes")!), "`max_body` (top level)");
  assert.equal(filePlace(optionByKey("logFormat")!), "`format` in `[log]`");
  assert.equal(filePlace(optionByKey("spa")!), "`spa` in a route's `files`");
  assert.equal(filePlace(optionByKey("lb")!), "`lb` in a route's `proxy`");
  assert.equal(filePlace(optionByKey("root")!), "`root` of a `[[site]]`");
});

test("an option table has a row per option of its groups", () => {
  const table = optionTables(["Logging"]);
  const logging = (OPTIONS as readonly OptionSpec[]).filter((o) => o.group === "Logging").length;
  assert.equal(table.split("\n").filter((l) => l.startsWith("| `--")).length, logging);
});
