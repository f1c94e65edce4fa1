// The installed commands re-execute themselves once under MALLOC_ARENA_MAX (runtime/malloc-arenas.ts):
// same PID, same arguments and flags, the variable set; a value the user set is left alone.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import { MALLOC_ARENAS } from "../../src/runtime/malloc-arenas.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-arenas-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// Prints what the process runs as after the call: a process that re-executed prints once, as its new self.
const script = path.join(dir, "probe.mjs");
const moduleUrl = pathToFileURL(path.resolve(import.meta.dirname, "../../src/runtime/malloc-arenas.ts")).href;
fs.writeFileSync(
  script,
  `const { execWithFewerArenas } = await import(${JSON.stringify(moduleUrl)});
execWithFewerArenas();
console.log(JSON.stringify({ pid: process.pid, arenas: process.env.MALLOC_ARENA_MAX ?? null, argv: process.argv.slice(2), execArgv: process.execArgv }));
`,
);

function probe(env: NodeJS.ProcessEnv): Promise<{ childPid: number; out: Record<string, unknown>[] }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ["--no-warnings", script, "a b", "--flag"],
      { env, timeout: 60_000 },
      (error, stdout) => {
        if (error !== null) reject(error);
        else
          resolve({
            childPid: child.pid!,
            out: stdout
              .trim()
              .split("\n")
              .map((line) => JSON.parse(line) as Record<string, unknown>),
          });
      },
    );
  });
}

const withoutArenas = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.MALLOC_ARENA_MAX;
  return env;
};

test("the process replaces itself once under MALLOC_ARENA_MAX, keeping its PID, arguments and flags", {
  skip: process.platform !== "linux" && "Linux only",
}, async () => {
  const { childPid, out } = await probe(withoutArenas());
  assert.equal(out.length, 1, "the first self ran nothing after the call");
  assert.deepEqual(out[0], {
    pid: childPid,
    arenas: MALLOC_ARENAS,
    argv: ["a b", "--flag"],
    execArgv: ["--no-warnings"],
  });
});

test("a MALLOC_ARENA_MAX the user set is left alone, with no re-execution", async () => {
  const { childPid, out } = await probe({ ...withoutArenas(), MALLOC_ARENA_MAX: "8" });
  assert.deepEqual(out, [{ pid: childPid, arenas: "8", argv: ["a b", "--flag"], execArgv: ["--no-warnings"] }]);
});
