// Unit tests for options of another mode: portico tcp's options on portico's command line, proxy options
// without --proxy, and portico's options on portico tcp's — each refused with a hint, never ignored.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCommandLine } from "../../src/config/load.ts";
import { makeSite } from "../helpers/server.ts";

const root = makeSite({ "a.txt": "a" });

test("portico tcp's options on portico's command line are refused with what was meant", async () => {
  await assert.rejects(() => parseCommandLine(["--upstream", "127.0.0.1:9"]), {
    message: '--upstream applies to "portico tcp" (did you mean --proxy?)',
  });
  await assert.rejects(() => parseCommandLine(["--listen", "8080"]), {
    message: '--listen applies to "portico tcp" (did you mean -p/--port or --host?)',
  });
  await assert.rejects(
    () => parseCommandLine(["--idle-timeout", "1s", "--proxy", "http://127.0.0.1:9"]),
    /--idle-timeout applies to "portico tcp"/,
  );
  // Also beside a configuration file.
  await assert.rejects(
    () => parseCommandLine(["-c", "/nonexistent.toml", "--upstream", "h:1"]),
    /--upstream applies to "portico tcp"/,
  );
});

test("proxy options without --proxy are refused with a hint naming --proxy", async () => {
  for (const args of [
    ["--lb", "p2c"],
    ["--health-path", "/h"],
    ["--max-fails", "3"],
    ["--proxy-error-detail"],
    ["--no-proxy-error-detail"],
  ])
    await assert.rejects(
      () => parseCommandLine([...args, "--root", root]),
      new RegExp(`^Error: ${args[0]!.replace("no-", "")} applies to proxied requests: add --proxy \\[PREFIX=\\]URL`),
    );
});

test("with --proxy the proxy's options are taken", async () => {
  const command = await parseCommandLine([
    "--proxy",
    "http://127.0.0.1:9",
    "--lb",
    "round-robin",
    "--health-path",
    "/h",
    "--proxy-error-detail",
    "0",
  ]);
  assert.equal(command.kind, "serve");
  if (command.kind !== "serve") return;
  const handler = command.config.sites[0]!.routes[0]!.handler;
  assert.equal(handler.kind, "proxy");
  if (handler.kind !== "proxy") return;
  assert.equal(handler.settings.lb, "round-robin");
  assert.equal(handler.settings.healthPath, "/h");
  assert.equal(handler.settings.proxyErrorDetail, true);
});

test("portico's options on portico tcp's command line name what portico tcp has instead", async () => {
  const base = ["tcp", "--upstream", "127.0.0.1:9"];
  await assert.rejects(() => parseCommandLine([...base, "--listen", "0", "--proxy", "http://x:1"]), {
    message: '--proxy applies to "portico" (HTTP), not "portico tcp" (did you mean --upstream?)',
  });
  await assert.rejects(() => parseCommandLine([...base, "--port", "80"]), {
    message: '--port applies to "portico" (HTTP), not "portico tcp" (did you mean --listen?)',
  });
  await assert.rejects(() => parseCommandLine([...base, "--listen", "0", "--spa"]), {
    message: '--spa applies to "portico" (HTTP), not "portico tcp" (see portico tcp --help)',
  });
});

test("with -c the proxy's flags apply to the file's proxy routes, whose table takes proxy_error_detail too", async () => {
  const dir = makeSite({
    "portico.toml": `[[site]]
listen = ["127.0.0.1:0"]

  [[site.route]]
  path = "/a/"
  proxy = { upstreams = ["http://127.0.0.1:9"], proxy_error_detail = true }

  [[site.route]]
  path = "/b/"
  proxy = { upstreams = ["http://127.0.0.1:9"] }
`,
  });
  const settingsOf = async (args: string[]): Promise<boolean[]> => {
    const command = await parseCommandLine(["check", "-c", `${dir}/portico.toml`, ...args]);
    assert.equal(command.kind, "check");
    if (command.kind !== "check") return [];
    return command.config.sites[0]!.routes.map(
      (r) => r.handler.kind === "proxy" && r.handler.settings.proxyErrorDetail,
    );
  };
  assert.deepEqual(await settingsOf([]), [true, false]);
  assert.deepEqual(await settingsOf(["--proxy-error-detail"]), [true, true]);
});
