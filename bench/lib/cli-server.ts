// Starts Portico's command line as a child for the measurement scripts (listing-stall, rss-soak…) and
// reads the port it chose (port 0) from its banner. Not the benchmark's servers: servers.ts starts
// those on known ports, pinned, beside nginx and the peers.

import { type ChildProcess, spawn } from "node:child_process";

export interface CliServer {
  readonly child: ChildProcess;
  readonly port: number;
}

/** Runs `node CLI ARGS…` (ARGS ending with port 0) and resolves once the banner names the port. */
export function startCli(cli: string, args: readonly string[]): Promise<CliServer> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const m = /:(\d+)\//.exec(out);
      if (m !== null) resolve({ child, port: Number(m[1]) });
    });
    child.once("exit", (code) => reject(new Error(`server exited ${code}`)));
  });
}
