// Prometheus' own linter for tests: `promtool check metrics` reads an exposition on stdin and fails on
// what Prometheus would refuse or flag (names, types, suffixes, units, HELP). Debian's `prometheus`
// package brings it; outside CI a missing promtool skips with the reason, in CI it is a failure.

import { spawnSync } from "node:child_process";

/** Why promtool checks cannot run here, or false. */
export function skipWithoutPromtool(): string | false {
  const found = spawnSync("promtool", ["--version"], { stdio: "ignore" });
  if (found.error === undefined && found.status === 0) return false;
  const reason = "promtool is not installed (apt-get install --no-install-recommends prometheus)";
  if (process.env.CI !== undefined && process.env.CI !== "") throw new Error(`CI needs ${reason}`);
  return reason;
}

/** Runs `promtool check metrics` on `text`: its complaints ("" when it has none) and exit status. */
export function promtoolCheck(text: string): { status: number | null; output: string } {
  const run = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", timeout: 60_000 });
  return { status: run.status, output: `${run.stdout ?? ""}${run.stderr ?? ""}`.trim() };
}
