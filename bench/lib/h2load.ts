// Runs h2load (nghttp2-client) pinned to the load CPU for the HTTP/2 scenarios, over h2c with prior
// knowledge, and reads its report into the same shape as wrk's: requests/s, bytes/s, failures.
// h2load has no percentiles in its summary; latency columns stay empty for these rows.

import { runPinned } from "./tools.ts";
import type { LoadResult, LoadSpec } from "./wrk.ts";

export function h2loadArgs(spec: LoadSpec, port: number, seconds: number): string[] {
  const args = ["-t", String(spec.threads), "-c", String(spec.connections), "-m", String(spec.streams ?? 1)];
  args.push("-D", String(seconds), "-w", "30", "-W", "30");
  for (const h of spec.headers) args.push("-H", h);
  args.push(`http://127.0.0.1:${port}${spec.path}`);
  return args;
}

export function runH2load(spec: LoadSpec, port: number, seconds: number, cpus: string): Promise<LoadResult> {
  return runPinned(cpus, ["h2load", ...h2loadArgs(spec, port, seconds)], parseH2load);
}

const SIZES: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

export function parseH2load(out: string): LoadResult {
  const finished = /finished in [\d.]+s, ([\d.]+) req\/s, ([\d.]+)(B|KB|MB|GB)\/s/.exec(out);
  const requests =
    /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(
      out,
    );
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  if (finished === null || requests === null) throw new Error(`could not read h2load output:\n${out}`);
  const done = Number(requests[3]);
  return {
    requestsPerSec: Number(finished[1]),
    bytesPerSec: Number(finished[2]) * SIZES[finished[3]!]!,
    p50Ms: Number.NaN,
    p99Ms: Number.NaN,
    requests: done,
    non2xx: codes === null ? 0 : Number(codes[2]) + Number(codes[3]) + Number(codes[4]),
    socketErrors: Number(requests[5]) + Number(requests[6]) + Number(requests[7]),
    cpuUsPerRequest: Number.NaN,
  };
}
