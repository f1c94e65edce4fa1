// `npm test`'s last step: runs the test files (node --test, two at a time; `test/**/*.test.ts` unless
// globs are given) and then fails if they left the checkout different from how they found it — a new,
// changed or deleted file in `git status --porcelain` that was not there before. Tests write only into
// temporary directories. Outside a git checkout (an unpacked tarball) the check is skipped, saying so.

import { spawnSync } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");

/** The checkout's status lines, or null when ROOT is not the top of a git work tree (or git is missing). */
function gitStatus(): Set<string> | null {
  const top = spawnSync("git", ["rev-parse", "--show-toplevel"], { cwd: ROOT, encoding: "utf8" });
  if (top.status !== 0 || path.resolve(top.stdout.trim()) !== ROOT) return null;
  const status = spawnSync("git", ["status", "--porcelain", "--untracked-files=all"], { cwd: ROOT, encoding: "utf8" });
  if (status.status !== 0) return null;
  return new Set(status.stdout.split("\n").filter((line) => line !== ""));
}

/**
 * A bound on the whole run, far above what it takes on a loaded machine (~8 min): a test file whose
 * process cannot exit (a browser or server left running) fails the run instead of hanging CI.
 */
const SUITE_TIMEOUT_MS = 40 * 60_000;
/** And on each test: one that waits forever fails after this instead of holding its file up. */
const TEST_TIMEOUT_MS = 5 * 60_000;

const globs = process.argv.length > 2 ? process.argv.slice(2) : ["test/**/*.test.ts"];
const before = gitStatus();
const args = ["--test", "--test-concurrency=2", `--test-timeout=${TEST_TIMEOUT_MS}`, ...globs];
const run = spawnSync(process.execPath, args, {
  cwd: ROOT,
  stdio: "inherit",
  timeout: SUITE_TIMEOUT_MS,
});
if (run.error !== undefined) process.stderr.write(`suite: ${run.error.message}\n`);
let code = run.status ?? 1;
if (before === null) {
  process.stdout.write("suite: not a git checkout; the check that tests leave it clean is skipped\n");
} else {
  const after = gitStatus() ?? new Set<string>();
  const left = [...after].filter((line) => !before.has(line));
  if (left.length > 0) {
    process.stderr.write(`suite: the tests changed the checkout (they must write only into temporary directories):\n`);
    for (const line of left) process.stderr.write(`  ${line}\n`);
    code = 1;
  }
}
process.exit(code);
